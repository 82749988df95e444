#pragma once

#include "protocol/protocol.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <QUrl>

class QTimer;
class QWebSocket;
class RestPoller;
class ServerClient;

// Keeps the console's picture of a server current. It prefers the server's
// WebSocket (/api/v1/ws, docs/api.md "WebSocket"): results of the watched polls, stats and poll
// events are pushed. When the socket cannot be opened it polls the REST API instead
// (results of the selected poll every 500 ms, stats every second) and retries the
// socket with backoff. When the server does not answer at all the client is
// "reconnecting": it probes with backoff until the server is back.
class LiveClient : public QObject {
    Q_OBJECT
public:
    enum class State {
        Idle,         // not started
        Connecting,   // first contact
        Live,         // WebSocket open
        Polling,      // REST only
        Reconnecting, // server unreachable, probing with backoff
    };
    Q_ENUM(State)

    // The server lets one connection watch at most 100 polls; the others' totals are
    // polled over REST.
    static constexpr int MaxSubscriptions = Protocol::MaxWebSocketPollSubscriptions;
    static constexpr int FirstProbeDelayMs = 500;
    static constexpr int MaxProbeDelayMs = 8000;
    static constexpr int FirstSocketRetryMs = 1000;
    static constexpr int MaxSocketRetryMs = 30000;

    explicit LiveClient(ServerClient *client, QObject *parent = nullptr);

    void start(const QUrl &baseUrl);
    void stop();

    State state() const { return m_state; }
    bool isConnected() const { return m_state == State::Live || m_state == State::Polling; }
    bool socketLive() const;
    QString serverVersion() const { return m_version; }
    // While reconnecting: the attempt number and the time left until it.
    int attempt() const { return m_attempt; }
    int retryInMs() const;
    // While polling: the time until the next WebSocket attempt (-1: none planned).
    int socketRetryInMs() const;

    // The connection in a sentence, e.g. "Connected to http://… · live updates" or
    // "Reconnecting to http://… in 4 s (attempt 3)…".
    QString statusText() const;
    // Why the last probe failed (the server's message or the transport error), empty
    // once the server answers again.
    QString lastProblem() const { return m_lastProblem; }
    // The newest results seen for a poll (pushed or fetched); total -1 when none yet.
    struct Snapshot {
        QJsonObject results;
        qint64 total = -1;
        qint64 voters = -1; // votes cast (a multiple-choice vote counts once); -1: not told
    };
    Snapshot latestResults(const QString &pollId) const { return m_latest.value(pollId); }

    // The selected poll is polled fastest; the watched ones feed the poll list's totals.
    void setSelectedPoll(const QString &pollId);
    void setWatchedPolls(const QStringList &pollIds);
    // The poll was reset: its counts start again below the ones seen so far.
    void forgetResults(const QString &pollId);
    // Fetches everything now.
    void refresh();
    // Fetches one poll's results now (after a vote, when nothing pushes them).
    void fetchResults(const QString &pollId);
    // Sends a vote over the WebSocket; false when the socket is not open. The answer
    // comes as voteAcked() or voteRejected() with the same ref.
    bool sendVote(const QString &pollId, const QStringList &optionIds, qint64 ref,
                  const QString &voterId = {});

    // The WebSocket's path under the base URL (default /api/v1/ws). A path the server
    // does not upgrade (e.g. behind a proxy without WebSocket support) leaves the
    // client polling REST.
    void setSocketPath(const QString &path) { m_socketPath = path; }
    // The server's API prefix: REST calls and the WebSocket path go under it.
    void setApiPrefix(const QString &prefix);
    QString apiPrefix() const;
    static QUrl socketUrl(const QUrl &baseUrl, const QString &path = QStringLiteral("/api/v1/ws"));

Q_SIGNALS:
    void stateChanged(LiveClient::State state);
    void statsReceived(const QJsonObject &stats);
    void resultsReceived(const QString &pollId, const QJsonObject &results, qint64 total);
    void votersReceived(const QString &pollId, qint64 voters);
    // The server hides the poll's counts from this console (no admin token that sees them).
    void resultsHidden(const QString &pollId);
    void pollsReceived(const QJsonArray &polls);
    // type: poll_created, poll_updated or poll_deleted.
    void pollEvent(const QString &type, const QJsonObject &poll);
    void pollGone(const QString &pollId);
    void ringReceived(const QJsonObject &ring);
    void voteAcked(qint64 ref);
    // retryAfterSeconds > 0: the server asked to send the vote again after that long.
    void voteRejected(qint64 ref, const QString &code, const QString &message,
                      int retryAfterSeconds);

private:
    void setState(State state);
    void onStats(const QJsonObject &stats);
    void onUnreachable(const QString &why);
    void onProbeFailed(const QString &why);
    void scheduleProbe(bool firstFailure);
    void publishResults(const QString &pollId, const QJsonObject &answer);
    void noticeReset(const QJsonObject &poll);
    void onReachable();
    void openSocket();
    void onSocketConnected();
    void onSocketClosed();
    void onMessage(const QString &text);
    void send(const QJsonObject &message);
    void syncSubscriptions();
    void housekeeping();
    QStringList wantedSubscriptions() const;
    void updateRestTotals();

    ServerClient *m_client;
    RestPoller *m_rest;
    QWebSocket *m_socket;
    QTimer *m_probeTimer;
    QTimer *m_socketRetryTimer;
    QTimer *m_handshakeTimer;
    QTimer *m_housekeepingTimer;
    QUrl m_baseUrl;
    QString m_socketPath = QStringLiteral("/api/v1/ws");
    State m_state = State::Idle;
    QString m_version;
    int m_attempt = 0;
    int m_probeDelayMs = FirstProbeDelayMs;
    int m_socketRetryMs = FirstSocketRetryMs;
    QString m_selected;
    QStringList m_watched;
    QSet<QString> m_subscribed;
    QHash<QString, qint64> m_lastSeq;
    QHash<QString, Snapshot> m_latest;
    QHash<QString, QString> m_resetAt; // reset_at per poll, as last seen
    QSet<QString> m_hidden;            // the socket sends results_hidden for these
    QString m_lastProblem;
    QElapsedTimer m_lastMessage;
    QElapsedTimer m_lastStats;
    bool m_pingSent = false;
    bool m_socketOpening = false; // between open() and the socket's end
};
