#pragma once

#include "core/config.h"
#include "core/outcome.h"
#include "redisreply.h"

#include <QObject>
#include <QStringList>
#include <functional>
#include <memory>
#include <vector>

class RedisConnection;
class QTimer;

// Finds the current master of a Sentinel-monitored group, on the storage thread and
// without blocking: asks the sentinels in turn (SENTINEL get-master-addr-by-name),
// then confirms with ROLE on the address given that it is a master (a sentinel may
// lag behind a failover). It also listens for +switch-master on every sentinel
// (dedicated Pub/Sub connections, reconnected with backoff) and reports the new
// master at once.
class SentinelResolver : public QObject {
    Q_OBJECT
public:
    struct Master {
        QString host;
        quint16 port = 0;
        QStringList replicas; // "host:port" of each replica ROLE listed
    };
    using Address = Config::RedisNode::Address;

    SentinelResolver(const QList<Address> &sentinels, const QString &masterName,
                     int connectTimeoutMs, int commandTimeoutMs, QObject *parent = nullptr);
    ~SentinelResolver() override;

    QString masterName() const { return m_masterName; }
    // "sentinel://a:1,b:2/name", for logs and errors.
    QString describe() const;
    // Starts following +switch-master notifications.
    void watch();
    // Asks the sentinels for the master and confirms it; one call at a time.
    void resolve(std::function<void(Outcome<Master>)> done);

    // Parses ROLE's answer on a master: the replicas it lists.
    static QStringList replicasFromRole(const RedisReply &role);

Q_SIGNALS:
    // A sentinel announced that the group's master is now host:port.
    void masterSwitched(const QString &host, quint16 port);

private:
    struct Watcher {
        Address address;
        RedisConnection *connection = nullptr;
        QTimer *retry = nullptr;
        int failures = 0;
    };
    struct Attempt;
    void ask(const std::shared_ptr<Attempt> &attempt);
    void confirm(const std::shared_ptr<Attempt> &attempt, const QString &host, quint16 port);
    void next(const std::shared_ptr<Attempt> &attempt, const QString &problem);
    void watchOne(Watcher *watcher);

    QList<Address> m_sentinels;
    QString m_masterName;
    int m_connectTimeoutMs;
    int m_commandTimeoutMs;
    int m_preferred = 0; // the sentinel that answered last
    std::vector<std::unique_ptr<Watcher>> m_watchers;
};
