#pragma once

#include "core/poll.h"
#include "core/votecounts.h"

#include <QAtomicInteger>
#include <QHash>
#include <QMutex>
#include <QObject>
#include <QSet>

class LiveHub;
class StorageEngine;
struct ServerContext;
class QTimer;

// Produces the live messages of DESIGN §5 on the storage thread and hands them to
// every worker's LiveHub. Every `--live-interval` it reads the counts of each poll
// somebody watches and pushes a snapshot only when they changed: at most one per
// poll per interval, always the latest state, and nothing to do on the vote path.
class LiveFeed : public QObject {
    Q_OBJECT
public:
    LiveFeed(const ServerContext &server, int liveIntervalMs, QObject *parent = nullptr);

    // Any thread. Hubs register when their worker starts and leave before it stops.
    void addHub(LiveHub *hub);
    void removeHub(LiveHub *hub);
    void watchPoll(const QString &pollId, int delta);
    void watchStats(int delta);
    void clientCountChanged(int delta) { m_clients.fetchAndAddRelaxed(delta); }
    qint64 clientCount() const { return m_clients.loadRelaxed(); }
    // Any thread: the bytes a WebSocket has not sent yet when another message is queued.
    void recordSendQueue(qint64 bytes) const;
    // Any thread. Sends the current snapshot of a poll to one session of one hub.
    void requestSnapshot(LiveHub *hub, quint64 sessionId, const QString &pollId);

    // Storage thread: poll lifecycle events for the "polls" channel.
    void publishPollEvent(const QString &type, const QJsonObject &poll);

    void start();

private:
    void tick();
    void publishStats();
    // Counts of a poll with the option count of the poll snapshot they were read for.
    // `done` gets the poll snapshot the counts were read for.
    void readCounts(const QString &pollId, bool shareRead,
                    std::function<void(const OptionCounts &, const Poll &poll)> done);
    QByteArray resultsMessage(const Poll &poll, const OptionCounts &counts);
    // What subscribers get instead of counts while a poll's results are not visible.
    static QByteArray hiddenMessage(const QString &pollId);
    // Calls `deliver` for every hub while holding the lock, so no hub can go away meanwhile.
    void forEachHub(const std::function<void(LiveHub *)> &deliver);

    const ServerContext &m_server;
    int m_intervalMs;
    QTimer *m_tickTimer = nullptr;
    QTimer *m_statsTimer = nullptr;

    mutable QMutex m_mutex; // guards the members below
    QSet<LiveHub *> m_hubs;
    QHash<QString, int> m_watchers;
    int m_statsWatchers = 0;

    // Storage thread only.
    QHash<QString, OptionCounts> m_lastSent;
    QHash<QString, quint64> m_sequence;
    QSet<QString> m_reading;
    QSet<QString> m_hidden; // watched polls whose subscribers were told the results are hidden
    QAtomicInteger<qint64> m_clients = 0;
};
