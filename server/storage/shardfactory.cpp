#include "shardfactory.h"
#include "embeddedshard.h"
#include "redisshard.h"
#include "sentinelresolver.h"

#include <QDir>

QStringList ShardFactory::names(const Config &config)
{
    QStringList names;
    const QList<Config::RedisNode> nodes = config.redisNodes();
    for (const Config::RedisNode &node : nodes)
        names.append(node.name);
    if (names.isEmpty())
        for (int i = 0; i < config.embeddedShards(); ++i)
            names.append(QStringLiteral("shard-%1").arg(i));
    return names;
}

Shard *ShardFactory::create(const Config &config, int index, QObject *parent)
{
    const QList<Config::RedisNode> redisNodes = config.redisNodes();
    if (redisNodes.isEmpty()) {
        const QString name = QStringLiteral("shard-%1").arg(index);
        return new EmbeddedShard(name,
                                 QDir(config.dataDir()).filePath(name + QStringLiteral(".sqlite")),
                                 config.breakerFailures(), parent);
    }
    const Config::RedisNode &node = redisNodes[index];
    RedisShard::Options options;
    options.connectTimeoutMs = config.redisConnectTimeoutMs();
    options.commandTimeoutMs = config.redisCommandTimeoutMs();
    options.breakerFailures = config.breakerFailures();
    options.breakerResetMs = config.breakerResetMs();
    if (!node.monitored())
        return new RedisShard(node.name, node.host, node.port, options, parent);
    auto *resolver = new SentinelResolver(node.sentinels, node.masterName, options.connectTimeoutMs,
                                          options.commandTimeoutMs);
    return new RedisShard(node.name, resolver, options, parent);
}
