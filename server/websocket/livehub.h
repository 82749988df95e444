#pragma once

#include "core/periodic.h"
#include "core/requestparser.h"
#include "core/tallyerror.h"
#include "live/livereceiver.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <memory>
#include <optional>

class LiveFeed;
class LiveSession;
class PollCatalog;
class RequestGuard;
class VoteService;
class QHttpServer;
class QTimer;
class QWebSocket;

// A worker's WebSocket clients: takes upgraded connections from its QHttpServer,
// routes the feed's messages to the sessions that asked for them, and casts votes
// through the same vote service as REST, on the connecting client's vote budget.
// Lives on the worker's thread.
class LiveHub : public QObject, public LiveReceiver {
    Q_OBJECT
public:
    // `guard` (may be null) names the client of each connection, as for REST requests.
    LiveHub(LiveFeed *feed, const PollCatalog *catalog, const VoteService *votes,
            const RequestGuard *guard, QObject *parent = nullptr);
    ~LiveHub() override;

    void acceptFrom(QHttpServer *server);
    void closeAll(int code, const QString &reason);
    int sessionCount() const { return int(m_sessions.size()); }

    // Messages from the feed (queued onto this thread).
    void deliverResults(const QString &pollId, const QByteArray &message) override;
    void deliverStats(const QByteArray &message) override;
    void deliverPollEvent(const QByteArray &message) override;
    void deliverTo(quint64 sessionId, const QByteArray &message) override;

    // Used by sessions.
    bool pollExists(const QString &pollId) const;
    void watchPoll(LiveSession *session, const QString &pollId);
    void unwatchPoll(LiveSession *session, const QString &pollId);
    void watchStats(int delta);
    void recordSendQueue(qint64 bytes) const;
    // Casts a vote of `client`; `done` runs once it is acknowledged (durable, in sync
    // mode) or refused.
    void castVote(const QString &client, const QJsonObject &message,
                  std::function<void(std::optional<TallyError>)> done) const;
    // Casts votes of `client` that arrived together (see VoteService::castEach); `each`
    // runs once per vote with its index.
    void castVotes(const QString &client, const QList<VoteRequest> &votes,
                   std::function<void(qsizetype, std::optional<TallyError>)> each) const;

    // A session silent for this long is closed (each session keeps its own deadline);
    // every session is pinged at a third of it, at most every 25 s.
    void setIdleTimeout(int idleMs);
    static constexpr int DefaultIdleTimeoutMs = 75000;
    static constexpr int MaxPingIntervalMs = Periodic::MaxWebSocketPingMs;

private:
    void remove(quint64 sessionId);
    void sendPendingResults();

    LiveFeed *m_feed;
    const PollCatalog *m_catalog;
    const VoteService *m_votes;
    const RequestGuard *m_guard;
    QHash<quint64, LiveSession *> m_sessions;
    QHash<QString, QSet<LiveSession *>> m_watchers;
    QHash<QString, QByteArray> m_pendingResults; // latest results message per poll, not sent yet
    QTimer *m_pingTimer;
    int m_idleTimeoutMs = DefaultIdleTimeoutMs;
    quint64 m_nextId = 1;
};
