#pragma once

#include "outcome.h"

#include <QHash>
#include <QHostAddress>
#include <QPair>
#include <QStringList>
#include <QVariant>

class SettingSources;

// The server's resolved settings. Every value comes from the SettingSpec table with the
// precedence flag > environment > config file > default (SettingSources); the command
// line itself is parsed by the application (app/commandline.h).
class Config {
public:
    struct RedisNode {
        struct Address {
            QString host;
            quint16 port = 26379;
        };
        QString name;
        QString host; // a plain node; empty for a Sentinel-monitored group
        quint16 port = 6379;
        QList<Address> sentinels; // a Sentinel-monitored group: its sentinels
        QString masterName;       // and the name they monitor its master under
        bool monitored() const { return !sentinels.isEmpty(); }
    };

    // Every setting of the table from the first source that holds it, then checked as a
    // whole.
    static Outcome<Config> resolve(const SettingSources &sources);
    static Config defaults();

    // By name, for the settings table's own users (help, describe(), tests); everything
    // else reads a setting through its accessor below.
    QVariant value(const QString &name) const { return m_values.value(name); }
    QString source(const QString &name) const { return m_sources.value(name); }
    void set(const QString &name, const QVariant &value);

    // Values the server settles at start when none was given.
    void setAdminToken(const QString &token) { set(QStringLiteral("admin-token"), token); }
    void setPublicUrl(const QString &url) { set(QStringLiteral("public-url"), url); }
    // The console's ways out of a failed start: a free port, another data directory.
    void setPort(quint16 port) { set(QStringLiteral("port"), port); }
    void setDataDir(const QString &dir) { set(QStringLiteral("data-dir"), dir); }

    bool headless() const { return value(QStringLiteral("headless")).toBool(); }
    QString bindAddress() const { return value(QStringLiteral("bind")).toString(); }
    quint16 port() const { return quint16(value(QStringLiteral("port")).toInt()); }
    int workers() const { return value(QStringLiteral("workers")).toInt(); }
    QString dataDir() const;
    QList<RedisNode> redisNodes() const;
    int embeddedShards() const { return value(QStringLiteral("embedded-shards")).toInt(); }
    int virtualNodes() const { return value(QStringLiteral("virtual-nodes")).toInt(); }
    int batchIntervalMs() const;
    qint64 batchMaxVotes() const { return value(QStringLiteral("batch-max-votes")).toLongLong(); }
    int cacheTtlMs() const;
    qint64 maxPendingVotes() const
    {
        return value(QStringLiteral("max-pending-votes")).toLongLong();
    }
    int redisConnectTimeoutMs() const
    {
        return value(QStringLiteral("redis-connect-timeout")).toInt();
    }
    int redisCommandTimeoutMs() const
    {
        return value(QStringLiteral("redis-command-timeout")).toInt();
    }
    int redisMinReplicas() const { return value(QStringLiteral("redis-min-replicas")).toInt(); }
    int redisReplicaTimeoutMs() const
    {
        return value(QStringLiteral("redis-replica-timeout")).toInt();
    }
    int breakerFailures() const { return value(QStringLiteral("breaker-failures")).toInt(); }
    int breakerResetMs() const { return secondsToMs(QStringLiteral("breaker-reset")); }
    int idleTimeoutMs() const { return secondsToMs(QStringLiteral("idle-timeout")); }
    int headerTimeoutMs() const { return secondsToMs(QStringLiteral("header-timeout")); }
    int webSocketIdleTimeoutMs() const { return secondsToMs(QStringLiteral("ws-idle-timeout")); }
    int catalogRefreshMs() const { return secondsToMs(QStringLiteral("catalog-refresh")); }
    int instanceLeaseMs() const { return secondsToMs(QStringLiteral("instance-lease")); }
    int resetTimeoutMs() const { return secondsToMs(QStringLiteral("reset-timeout")); }
    int cacheEntries() const { return value(QStringLiteral("cache-entries")).toInt(); }
    int liveIntervalMs() const { return value(QStringLiteral("live-interval")).toInt(); }
    bool syncDurability() const
    {
        return value(QStringLiteral("durability")).toString() == u"sync";
    }
    qint64 journalMaxBacklog() const
    {
        return value(QStringLiteral("journal-max-backlog")).toLongLong();
    }
    int drainTimeoutMs() const { return secondsToMs(QStringLiteral("drain-timeout")); }
    QString adminToken() const { return value(QStringLiteral("admin-token")).toString(); }
    QString adminTokenFile() const { return value(QStringLiteral("admin-token-file")).toString(); }
    QString instanceId() const { return value(QStringLiteral("instance-id")).toString(); }
    QString apiPrefix() const { return value(QStringLiteral("api-prefix")).toString(); }
    int maxBodyBytes() const { return value(QStringLiteral("max-body")).toInt(); }
    bool jsonLogs() const { return value(QStringLiteral("log-format")).toString() == u"json"; }
    bool accessLog() const { return value(QStringLiteral("access-log")).toBool(); }
    // Requests per second and client (the burst allowed is twice as many).
    double rateVotes() const { return value(QStringLiteral("rate-votes")).toDouble(); }
    double rateReads() const { return value(QStringLiteral("rate-reads")).toDouble(); }
    double rateAdmin() const { return value(QStringLiteral("rate-admin")).toDouble(); }
    bool rateLimitLoopback() const { return value(QStringLiteral("rate-limit-loopback")).toBool(); }
    // As given: comma-separated addresses and CIDR subnets (parseTrustedProxies).
    QString trustedProxies() const { return value(QStringLiteral("trusted-proxies")).toString(); }
    int maxHeaderBytes() const { return value(QStringLiteral("max-header")).toInt(); }
    qint64 minBodyRate() const { return value(QStringLiteral("min-body-rate")).toLongLong(); }
    int maxConnections() const { return value(QStringLiteral("max-connections")).toInt(); }
    int maxConnectionsPerClient() const
    {
        return value(QStringLiteral("max-connections-per-client")).toInt();
    }
    // Where the audience reaches the server, without a trailing slash.
    QString publicUrl() const;

    // One line per setting with its value and where it came from.
    QString describe() const;

    static Outcome<QList<RedisNode>> parseRedisNodes(const QString &text);
    // The --bind value as an address ("localhost", "*" and "0.0.0.0" included).
    static Outcome<QHostAddress> parseBindAddress(const QString &text);
    // --trusted-proxies: addresses and CIDR subnets, each checked (no prefix over 32/128).
    static Outcome<QList<QPair<QHostAddress, int>>> parseTrustedProxies(const QString &text);

private:
    int secondsToMs(const QString &name) const;
    Outcome<bool> validate() const;

    QHash<QString, QVariant> m_values;
    QHash<QString, QString> m_sources;
};
