#pragma once

#include <QByteArray>
#include <QList>
#include <QMap>
#include <QSet>
#include <QString>
#include <memory>

class QProcess;
class QTemporaryDir;
struct redisContext;

// One answer of a synchronous command, copied out of hiredis.
struct RedisValue {
    enum class Type { None, String, Array, Integer, Nil, Status, Error };

    Type type = Type::None; // None: no answer (not connected, timed out, connection lost)
    QByteArray text;        // String, Status and Error; the transport error for None
    qint64 integer = 0;
    QList<RedisValue> elements;

    bool answered() const { return type != Type::None; }
    bool isError() const { return type == Type::Error || type == Type::None; }
    // Field -> value of an HGETALL answer.
    QMap<QByteArray, QByteArray> hash() const;
    // Members of an SMEMBERS answer.
    QSet<QByteArray> set() const;
    // A line for failure messages.
    QString describe() const;
};

// A real redis-server for integration tests: its own free loopback port and its own
// temporary directory, append-only file fsynced on every write (so an acknowledged
// write survives SIGKILL), no RDB snapshots. The process can be killed, restarted on
// the same port and directory, paused (SIGSTOP) and resumed (SIGCONT). The destructor
// ends it.
class RedisNode {
public:
    RedisNode();
    ~RedisNode();
    RedisNode(const RedisNode &) = delete;
    RedisNode &operator=(const RedisNode &) = delete;

    // Before the first start(): run as a Redis Sentinel (redis-sentinel, its
    // config file in the node's directory) monitoring `masterName` at 127.0.0.1:`masterPort`
    // with `quorum`, declaring the master down after `downAfterMs` without an answer.
    void monitor(const QString &masterName, quint16 masterPort, int quorum, int downAfterMs,
                 int failoverTimeoutMs);
    // Starts the server (a free port is picked the first time) and waits until it
    // answers PING. On failure returns false; diagnostics() tells why.
    bool start(int timeoutMs = 10000);
    // Starts it again on the same port with the same directory (after kill()).
    bool restart(int timeoutMs = 10000) { return start(timeoutMs); }
    // SIGKILL and wait for the process to end: nothing is flushed or saved.
    void kill();
    // SIGSTOP: the process stays, its sockets stay open, nothing is answered.
    void pause();
    void stop() { pause(); }
    // SIGCONT after pause().
    void resume();
    // SIGTERM (after SIGCONT if paused) and wait; SIGKILL if it does not end in time.
    void shutdown(int timeoutMs = 5000);

    bool isRunning() const;
    bool isPaused() const { return m_paused; }
    quint16 port() const { return m_port; }
    qint64 pid() const;
    QString dir() const;
    // "redis://127.0.0.1:<port>", for --redis-nodes.
    QString url() const;
    // "127.0.0.1:<port>", the default shard name tally gives this node.
    QString shardName() const;

    // Sends one command on a blocking connection (made on demand, kept between calls,
    // with `timeoutMs` for connecting and for the answer) and returns the answer.
    RedisValue command(const QList<QByteArray> &arguments, int timeoutMs = 3000);
    // Shorthands for assertions.
    QMap<QByteArray, QByteArray> hgetall(const QByteArray &key);
    QSet<QByteArray> smembers(const QByteArray &key);
    bool exists(const QByteArray &key);

    // The error of the last failed start and the server's own output.
    QString diagnostics() const;

private:
    bool waitUntilAnswering(int timeoutMs);
    void disconnect();

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<QProcess> m_process;
    quint16 m_port = 0;
    bool m_paused = false;
    redisContext *m_context = nullptr;
    QString m_error;
    QByteArray m_sentinelConfig; // empty: a plain redis-server
};
