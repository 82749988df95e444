#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QMap>
#include <QObject>
#include <QStringList>
#include <QUrl>

class LiveClient;
class QJsonObject;
class QTimer;
class ServerClient;

// Sends N votes to one poll at R votes per second, spread over the options by
// weight (on a multiple-choice poll each vote picks 1..max choices options, cycling
// through those counts), without ever blocking the GUI thread: a timer releases the votes that are
// due, and only a bounded number of requests (or unacknowledged WebSocket votes) is
// in flight at once, so a slow server slows the burst down instead of piling up
// requests. The burst has its own HTTP connection pool, so the console's own
// requests (results, stats) are not queued behind it.
class VoteBurst : public QObject {
    Q_OBJECT
public:
    enum class Transport { RestBulk, RestSingle, WebSocket };
    Q_ENUM(Transport)

    struct Plan {
        QString pollId;
        QStringList optionIds;
        QList<int> weights; // one per option, >= 0, not all zero
        int count = 0;
        int ratePerSecond = 0;
        Transport transport = Transport::RestBulk;
        // A one-vote-per-voter poll: every vote gets its own voter id. Bulk requests
        // cannot carry those, so such a plan must use RestSingle or WebSocket.
        bool uniqueVoters = false;
        // Options per vote at most (the poll's max_choices).
        int maxChoices = 1;
    };
    // The options of one vote.
    using Ballot = QStringList;

    static constexpr int TickMs = 20;
    // Votes per bulk request at most; fewer when the server's limits (its /stats
    // "limits", read when a REST bulk burst starts) allow fewer.
    static constexpr int MaxBulkChunk = 500;
    static constexpr int MaxBulkInFlight = 4;
    static constexpr int MaxSingleInFlight = 16;
    // Unacknowledged WebSocket votes at most: SocketWindowMs of the burst's rate, within
    // these bounds. A WebSocket vote's round trip is not the server's work alone: the
    // server sends its acks without TCP_NODELAY, so all but the first of a run wait for
    // our TCP acknowledgement, which leaves with our next votes (a tick later) or after
    // the delayed-ACK timeout (40 ms on Linux); a busy machine adds to that. A fixed window
    // of 500 refilled every other tick: about 12,500 votes/s, whatever the rate asked.
    static constexpr int MinSocketWindow = 500;
    static constexpr int MaxSocketWindow = 10000;
    static constexpr int SocketWindowMs = 250;
    static int socketWindowFor(int ratePerSecond);
    // WebSocket votes sent in one tick at most: twice the tick's share of the rate, at
    // least MinSocketWindow. A tick that runs late catches up over a few ticks instead of
    // filling the whole window in one turn of the GUI thread's event loop.
    static int socketVotesPerTickFor(int ratePerSecond);

    // A voter id nobody else uses: "console-<random>-<n>".
    static QString newVoterId();

    explicit VoteBurst(LiveClient *live, QObject *parent = nullptr);

    // Starts a burst against the server at `baseUrl`; false (and why) when the plan
    // cannot run.
    bool start(const Plan &plan, const QUrl &baseUrl, QString *error);
    void cancel();
    bool isRunning() const { return m_running; }

    const Plan &plan() const { return m_plan; }
    int dispatched() const { return m_dispatched; }
    int accepted() const { return m_accepted; }
    int errors() const { return m_errors; }
    int inFlight() const { return m_inFlight; }
    // Unacknowledged WebSocket votes this burst allows at once.
    int socketWindow() const { return m_socketWindow; }
    qint64 elapsedMs() const;
    // Accepted votes per second since the start.
    double achievedRate() const;
    QString lastError() const { return m_lastError; }
    // Votes the server asked to send again later (429 / 503 with Retry-After).
    int retried() const { return m_retried; }
    // While the server asked to wait: the time left, else 0.
    qint64 waitingMs() const;
    // Options selected per option id in this burst (a vote may select several).
    QMap<QString, int> perOption() const { return m_perOption; }
    // Votes per REST bulk request in this burst (0 until the server's limits are known).
    int bulkChunk() const { return m_bulkChunk; }
    // The largest chunk of `pollId` votes (of up to `maxChoices` options each) that fits
    // `maxVotes` items and `maxBodyBytes`.
    static int bulkChunkFor(const QString &pollId, int maxVotes, qint64 maxBodyBytes,
                            int maxChoices = 1);

Q_SIGNALS:
    void progressed();
    void finished(bool cancelled);

private:
    void tick();
    void learnLimits(const QJsonObject &stats);
    // The options of the next new vote, by weight.
    Ballot pickBallot();
    void sendBulk(const QList<Ballot> &ballots);
    void sendSingle(const Ballot &ballot);
    QJsonObject voteBody(const Ballot &ballot) const;
    // The next votes to send: first those to retry, then new ones by weight.
    QList<Ballot> takeVotes(int count);
    void retryLater(const QList<Ballot> &ballots, int seconds);
    void sendSocket(const Ballot &ballot);
    void onAck(qint64 ref);
    void onSocketError(qint64 ref, const QString &code, const QString &message,
                       int retryAfterSeconds);
    void fail(int votes, const QString &message);
    void checkDone();

    LiveClient *m_live;
    ServerClient *m_rest;
    QTimer *m_timer;
    QElapsedTimer m_clock;
    Plan m_plan;
    QList<int> m_current; // smooth weighted round robin state
    int m_weightSum = 0;
    bool m_running = false;
    int m_generation = 0;
    int m_dispatched = 0;
    int m_accepted = 0;
    int m_errors = 0;
    int m_inFlight = 0;
    qint64 m_finishedAtMs = -1;
    qint64 m_nextRef = 1;
    QHash<qint64, Ballot> m_outstanding; // WebSocket votes sent, by ref, awaiting an answer
    QList<Ballot> m_retry;
    qint64 m_resumeAtMs = 0;
    int m_retried = 0;
    QMap<QString, int> m_perOption;
    int m_bulkChunk = 0;
    int m_socketWindow = MinSocketWindow;
    int m_socketVotesPerTick = MinSocketWindow;
    QString m_lastError;
};
