#pragma once

#include "redisreply.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <functional>
#include <optional>

struct redisAsyncContext;
class QSocketNotifier;
class QTimer;

// One hiredis asynchronous connection driven by the Qt event loop of the thread it
// lives in. Our own adapter rather than hiredis' stock Qt one: it enforces connect
// and command timeouts with a QTimer (hiredis 0.14 has none for async contexts)
// and never blocks. A connection is used once: after disconnected(), make a new one.
class RedisConnection : public QObject {
    Q_OBJECT
public:
    // nullopt: no reply will come (connection failed, timed out or closed).
    using Handler = std::function<void(std::optional<RedisReply>)>;

    RedisConnection(const QString &host, quint16 port, int connectTimeoutMs, int commandTimeoutMs,
                    QObject *parent = nullptr);
    ~RedisConnection() override;

    // `host` as an address (IPv4 preferred). hiredis resolves names synchronously inside
    // its connect call, so callers resolve once, when a shard or sentinel is configured.
    static QString resolveHost(const QString &host);

    void open();
    bool isConnected() const { return m_connected; }
    // Queues a command; commands on one connection are answered in order.
    void command(const QList<QByteArray> &arguments, Handler handler);
    // Subscribes to a Pub/Sub channel; `onMessage` gets each message's payload and
    // `onSubscribed` runs once Redis confirms the subscription (a refusal closes the
    // connection). A connection that subscribes is used for nothing else (Redis' rule).
    void subscribe(const QByteArray &channel, std::function<void(const QByteArray &)> onMessage,
                   std::function<void()> onSubscribed = {});
    // Drops the connection: every pending handler gets nullopt, then disconnected().
    void abort(const QString &reason);

Q_SIGNALS:
    void connected();
    void disconnected(const QString &reason);

private:
    static void onConnect(const redisAsyncContext *context, int status);
    static void onDisconnect(const redisAsyncContext *context, int status);
    static void onReply(redisAsyncContext *context, void *reply, void *privdata);
    static void onHandshake(redisAsyncContext *context, void *reply, void *privdata);
    static void addRead(void *data);
    static void delRead(void *data);
    static void addWrite(void *data);
    static void delWrite(void *data);
    static void cleanup(void *data);

    void checkDeadlines();
    void finish(const QString &reason);

    QString m_host;
    quint16 m_port;
    int m_connectTimeoutMs;
    int m_commandTimeoutMs;
    redisAsyncContext *m_context = nullptr;
    QPointer<QSocketNotifier> m_readNotifier;
    QPointer<QSocketNotifier> m_writeNotifier;
    QTimer *m_deadlineTimer;
    QElapsedTimer m_openedAt;
    bool m_connected = false;
    bool m_finished = false;
    QString m_failure;
    quint64 m_nextId = 1;
    struct Pending {
        Handler handler;
        qint64 sentAtMs;
    };
    QHash<quint64, Pending> m_pending;
    struct Subscription {
        std::function<void(const QByteArray &)> onMessage;
        std::function<void()> onSubscribed;
    };
    QHash<quint64, Subscription> m_subscriptions;
    QElapsedTimer m_clock;
};
