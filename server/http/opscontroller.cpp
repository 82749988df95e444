#include "opscontroller.h"
#include "core/config.h"
#include "core/pollcatalog.h"
#include "metricsreport.h"
#include "routepolicy.h"
#include "stats/statsmodel.h"
#include "storage/journal.h"
#include "storage/storageengine.h"

#include <QJsonArray>

void OpsController::registerRoutes(Router &router, const QString &prefix)
{
    using M = Router::Method;
    router.add(M::Get, QStringLiteral("/health"), [](const HttpExchange &e, const QStringList &) {
        e.replyJson(HttpExchange::Status::Ok,
                    {{QStringLiteral("status"), QStringLiteral("healthy")}});
    });
    router.add(
        M::Get, QStringLiteral("/ready"), [this](const HttpExchange &e, const QStringList &) {
            QJsonArray shards;
            QStringList down;
            for (const StorageEngine::ShardInfo &shard : m_storage.shardInfo()) {
                QJsonObject item{{QStringLiteral("name"), shard.name},
                                 {QStringLiteral("kind"), shard.kind},
                                 {QStringLiteral("state"), Shard::stateName(shard.state)}};
                if (shard.kind == u"redis")
                    item.insert(QStringLiteral("subscribed"), shard.subscribed);
                if (!shard.monitor.isEmpty()) {
                    // Addresses stay out of this public answer; /api/v1/stats shows them to admins.
                    item.insert(QStringLiteral("replicas"), int(shard.replicas.size()));
                    item.insert(QStringLiteral("failovers"), shard.failovers);
                }
                shards.append(item);
                if (shard.state != Shard::State::Up || !shard.subscribed)
                    down.append(shard.name);
            }
            const Journal *journal = m_journal;
            const bool journalFailing = journal && journal->failing();
            const bool ready = down.isEmpty() && !shards.isEmpty() && !journalFailing;
            QJsonObject body{{QStringLiteral("status"),
                              ready ? QStringLiteral("ready") : QStringLiteral("unavailable")},
                             {QStringLiteral("shards"), shards}};
            if (journal) {
                QJsonObject state{{QStringLiteral("state"), journalFailing
                                                                ? QStringLiteral("failing")
                                                                : QStringLiteral("ok")},
                                  {QStringLiteral("backlog"), journal->backlog()}};
                if (journalFailing)
                    state.insert(QStringLiteral("error"), journal->lastError());
                body.insert(QStringLiteral("journal"), state);
            }
            if (!down.isEmpty() || shards.isEmpty())
                body.insert(QStringLiteral("unavailable_shards"), QJsonArray::fromStringList(down));
            e.replyJson(ready ? HttpExchange::Status::Ok : HttpExchange::Status::ServiceUnavailable,
                        body);
        });
    router.add(
        M::Get, QStringLiteral("/metrics"), [this](const HttpExchange &e, const QStringList &) {
            e.replyRaw(HttpExchange::Status::Ok, QByteArrayLiteral("text/plain; version=0.0.4"),
                       MetricsReport::text(m_stats));
        });
    router.add(
        M::Get, prefix + QStringLiteral("/stats"),
        [this](const HttpExchange &e, const QStringList &) {
            e.replyJson(HttpExchange::Status::Ok, m_stats.json(isAdminCaller(e, m_config)));
        },
        Router::Access::Reads);
    router.add(
        M::Get, prefix + QStringLiteral("/ring"),
        [this](const HttpExchange &e, const QStringList &) {
            e.replyJson(HttpExchange::Status::Ok, ringJson(isAdminCaller(e, m_config)));
        },
        Router::Access::Reads);
}

bool OpsController::isAdminCaller(const HttpExchange &exchange, const Config &config)
{
    // Without a token nobody proves to be the operator, so nobody sees where data lives.
    const QString token = config.adminToken();
    return !token.isEmpty() && !RoutePolicy::checkAdmin(exchange, token);
}

QJsonObject OpsController::ringJson(bool showAddresses) const
{
    const QHash<QString, int> polls = m_catalog.pollsPerShard();
    QJsonArray nodes;
    for (const StorageEngine::ShardInfo &shard : m_storage.shardInfo()) {
        QJsonObject node{{QStringLiteral("name"), shard.name},
                         {QStringLiteral("kind"), shard.kind},
                         {QStringLiteral("state"), Shard::stateName(shard.state)},
                         {QStringLiteral("virtual_nodes"), shard.points},
                         {QStringLiteral("share"), shard.ringShare},
                         {QStringLiteral("polls"), polls.value(shard.name)}};
        if (showAddresses)
            node.insert(QStringLiteral("address"), shard.address);
        nodes.append(node);
    }
    return {{QStringLiteral("hash"), QStringLiteral("md5")},
            {QStringLiteral("virtual_nodes"), m_config.virtualNodes()},
            {QStringLiteral("nodes"), nodes}};
}
