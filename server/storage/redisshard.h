#pragma once

#include "circuitbreaker.h"
#include "redisconnection.h"
#include "shard.h"

class QTimer;
class SentinelResolver;

// A shard on a Redis node (keys: docs/architecture.md, "Storage"), spoken to through one
// asynchronous connection on the storage thread. Reconnects with exponential backoff and jitter (a
// new hiredis context each time) behind a circuit breaker; while the node is unreachable every call
// fails fast with "shard_unavailable". With a SentinelResolver the node is a Sentinel-monitored
// group: every (re)connect asks the sentinels for the current master first, a +switch-master
// notification or a ROLE check that finds the node demoted drops the connection, and the replicas
// the master lists are reported.
class RedisShard : public Shard {
    Q_OBJECT
public:
    struct Options {
        int connectTimeoutMs = 1000;
        int commandTimeoutMs = 2000;
        int breakerFailures = 3;
        int breakerResetMs = 5000;
    };

    RedisShard(const QString &name, const QString &host, quint16 port, const Options &options,
               QObject *parent = nullptr);
    // A Sentinel-monitored group; the shard takes ownership of `resolver`.
    RedisShard(const QString &name, SentinelResolver *resolver, const Options &options,
               QObject *parent = nullptr);

    QString name() const override { return m_name; }
    QString kind() const override { return QStringLiteral("redis"); }
    // host:port; for a Sentinel group the current master (its sentinels until one is found).
    QString address() const override;
    State state() const override { return m_state; }
    qint64 storedVotes() const override { return m_storedVotes; }
    QString monitor() const override;
    QStringList replicas() const override { return m_replicas; }
    int failovers() const override { return m_failovers; }
    void waitForReplicas(int replicas, int timeoutMs, Reply<int> done) override;

    void open(Reply<bool> done) override;
    void loadPolls(Reply<QList<Poll>> done) override;
    void savePoll(const Poll &poll, bool create, Reply<bool> done) override;
    void deletePoll(const QString &pollId, Reply<bool> done) override;
    void restorePoll(const Poll &poll, Reply<bool> done) override;
    void readCounts(const QString &pollId, Reply<StoredCounts> done) override;
    void applyBatch(const QString &instance, const QString &source, quint64 sequence,
                    const PollCounts &counts, Reply<qint64> done) override;
    void appliedSequence(const QString &instance, Reply<quint64> done) override;
    void fenceSequence(const QString &instance, Reply<quint64> done) override;
    void claimVoter(const QString &pollId, const QString &voterId, Reply<bool> done) override;
    void resetPoll(const Poll &poll, Reply<bool> done) override;
    void releaseVoter(const QString &pollId, const QString &voterId, Reply<bool> done) override;
    void publish(const QByteArray &channel, const QByteArray &message) override;
    // Any command on this shard's connection, in order with the others (moves use it).
    void command(const QList<QByteArray> &arguments, RedisConnection::Handler handler);

    static QByteArray countsKey(const QString &pollId) { return "poll:" + pollId.toUtf8(); }
    static QByteArray metaKey(const QString &pollId) { return "poll:" + pollId.toUtf8() + ":meta"; }
    static QByteArray appliedKey(const QString &pollId)
    {
        return "poll:" + pollId.toUtf8() + ":applied";
    }
    static QByteArray votersKey(const QString &pollId)
    {
        return "poll:" + pollId.toUtf8() + ":voters";
    }
    // Set for a while when a poll is deleted, so a failover never brings it back.
    static QByteArray deletedKey(const QString &pollId)
    {
        return "poll:" + pollId.toUtf8() + ":deleted";
    }
    static QByteArray flushedKey(const QString &instance)
    {
        return "tally:flushed:" + instance.toUtf8();
    }

private:
    void connectNow();
    void connectTo(const QString &host, quint16 port);
    void onMasterSwitched(const QString &host, quint16 port);
    void checkRole();
    void scheduleReconnect();
    void onConnected();
    void onDisconnected(const QString &reason);
    void setState(State state);
    // Sends a command, or fails at once when the node is unreachable.
    void send(const QList<QByteArray> &arguments, RedisConnection::Handler handler);
    TallyError unavailable(const QString &detail = {}) const;

    QString m_name;
    QString m_host;
    quint16 m_port;
    Options m_options;
    CircuitBreaker m_breaker;
    RedisConnection *m_connection = nullptr;
    QTimer *m_reconnectTimer;
    int m_reconnectAttempts = 0;
    State m_state = State::Connecting;
    qint64 m_storedVotes = 0;
    QList<Reply<bool>> m_openWaiters;
    QString m_lastError;
    SentinelResolver *m_resolver = nullptr;
    bool m_resolving = false;
    bool m_hadMaster = false;
    bool m_wroteOnConnection = false; // WAIT counts only this connection's writes
    int m_failovers = 0;
    QStringList m_replicas;
    QTimer *m_roleTimer = nullptr;
};
