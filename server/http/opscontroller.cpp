#include "opscontroller.h"
#include "connectiontracker.h"
#include "core/config.h"
#include "core/pollcatalog.h"
#include "core/serverstats.h"
#include "core/voteledger.h"
#include "live/livefeed.h"
#include "connectiontracker.h"
#include "metricsreport.h"
#include "pollcontroller.h"
#include "requestguard.h"
#include "shardcontroller.h"
#include "storage/journal.h"
#include "storage/storageengine.h"
#include "vote/voteservice.h"

#include <QJsonArray>

void OpsController::registerRoutes(Router &router, const QString &prefix)
{
    using M = Router::Method;
    router.add(M::Get, QStringLiteral("/health"), [](const HttpExchange &e, const QStringList &) {
        e.replyJson(HttpExchange::Status::Ok, {{QStringLiteral("status"), QStringLiteral("healthy")}});
    });
    router.add(M::Get, QStringLiteral("/ready"), [this](const HttpExchange &e, const QStringList &) {
        QJsonArray shards;
        QStringList down;
        for (const StorageEngine::ShardInfo &shard : m_scope.server.storage->shardInfo()) {
            QJsonObject item{{QStringLiteral("name"), shard.name},
                             {QStringLiteral("kind"), shard.kind},
                             {QStringLiteral("state"), shard.state}};
            if (shard.kind == u"redis")
                item.insert(QStringLiteral("subscribed"), shard.subscribed);
            shards.append(item);
            if (shard.state != u"up" || !shard.subscribed)
                down.append(shard.name);
        }
        const Journal *journal = m_scope.server.journal;
        const bool journalFailing = journal && journal->failing();
        const bool ready = down.isEmpty() && !shards.isEmpty() && !journalFailing;
        QJsonObject body{{QStringLiteral("status"), ready ? QStringLiteral("ready") : QStringLiteral("unavailable")},
                         {QStringLiteral("shards"), shards}};
        if (journal) {
            QJsonObject state{{QStringLiteral("state"),
                               journalFailing ? QStringLiteral("failing") : QStringLiteral("ok")},
                              {QStringLiteral("backlog"), journal->backlog()}};
            if (journalFailing)
                state.insert(QStringLiteral("error"), journal->lastError());
            body.insert(QStringLiteral("journal"), state);
        }
        if (!down.isEmpty() || shards.isEmpty())
            body.insert(QStringLiteral("unavailable_shards"), QJsonArray::fromStringList(down));
        e.replyJson(ready ? HttpExchange::Status::Ok : HttpExchange::Status::ServiceUnavailable, body);
    });
    router.add(M::Get, QStringLiteral("/metrics"), [this](const HttpExchange &e, const QStringList &) {
        e.replyRaw(HttpExchange::Status::Ok, QByteArrayLiteral("text/plain; version=0.0.4"),
                   metricsText(m_scope.server));
    });
    router.add(
        M::Get, prefix + QStringLiteral("/stats"),
        [this](const HttpExchange &e, const QStringList &) {
            e.replyJson(HttpExchange::Status::Ok,
                        statsJson(m_scope.server, isAdminCaller(e, m_scope.server)));
        },
        Router::Budget::Reads);
    router.add(
        M::Get, prefix + QStringLiteral("/ring"),
        [this](const HttpExchange &e, const QStringList &) {
            e.replyJson(HttpExchange::Status::Ok,
                        ringJson(m_scope.server, isAdminCaller(e, m_scope.server)));
        },
        Router::Budget::Reads);
}

bool OpsController::isAdminCaller(const HttpExchange &exchange, const ServerContext &server)
{
    // Without a token nobody proves to be the operator, so nobody sees where data lives.
    const QString token = server.config->adminToken();
    return !token.isEmpty() && !PollController::checkAdmin(exchange, token);
}

QJsonObject OpsController::statsJson(const ServerContext &server, bool showAddresses)
{
    const ServerStats &stats = *server.stats;
    const quint64 hits = server.ledger->cacheHits();
    const quint64 misses = server.ledger->cacheMisses();
    const QHash<QString, int> polls = server.catalog->pollsPerShard();
    QJsonArray shards;
    for (const StorageEngine::ShardInfo &shard : server.storage->shardInfo()) {
        QJsonObject item{{QStringLiteral("name"), shard.name},
                         {QStringLiteral("kind"), shard.kind},
                         {QStringLiteral("state"), shard.state},
                         {QStringLiteral("polls"), polls.value(shard.name)},
                         {QStringLiteral("votes"), shard.storedVotes},
                         {QStringLiteral("queued_batches"), shard.queuedBatches}};
        if (showAddresses)
            item.insert(QStringLiteral("address"), shard.address);
        shards.append(item);
    }
    return {
        {QStringLiteral("instance_id"), server.storage->instanceId()},
        {QStringLiteral("version"), QStringLiteral(TALLY_VERSION)},
        {QStringLiteral("public_url"), server.config->publicUrl()},
        {QStringLiteral("workers"), server.ledger->workerCount()},
        {QStringLiteral("durability"), server.config->syncDurability() ? QStringLiteral("sync") : QStringLiteral("async")},
        {QStringLiteral("polls"), server.catalog->size()},
        {QStringLiteral("requests"), qint64(stats.requests.loadRelaxed())},
        {QStringLiteral("votes"),
         QJsonObject{{QStringLiteral("accepted"), qint64(stats.votesAccepted.loadRelaxed())},
                     {QStringLiteral("rejected"), qint64(stats.votesRejected.loadRelaxed())},
                     {QStringLiteral("flushed"), qint64(stats.votesFlushed.loadRelaxed())},
                     {QStringLiteral("recovered"), qint64(stats.votesRecovered.loadRelaxed())}}},
        {QStringLiteral("buffer"),
         QJsonObject{{QStringLiteral("depth"), server.ledger->bufferedVotes()},
                     {QStringLiteral("in_flight"), server.ledger->inflightVotes()}}},
        {QStringLiteral("flush"),
         QJsonObject{{QStringLiteral("count"), qint64(stats.flushes.loadRelaxed())},
                     {QStringLiteral("failures"), qint64(stats.flushFailures.loadRelaxed())},
                     {QStringLiteral("last_votes"), qint64(stats.lastFlushVotes.loadRelaxed())},
                     {QStringLiteral("last_ms"), double(stats.lastFlushMicros.loadRelaxed()) / 1000.0},
                     {QStringLiteral("interval_ms"), server.config->batchIntervalMs()},
                     {QStringLiteral("max_votes"), server.config->batchMaxVotes()}}},
        {QStringLiteral("cache"),
         QJsonObject{{QStringLiteral("hits"), qint64(hits)},
                     {QStringLiteral("misses"), qint64(misses)},
                     {QStringLiteral("hit_ratio"), hits + misses == 0 ? 0.0 : double(hits) / double(hits + misses)},
                     {QStringLiteral("entries"), server.ledger->cacheEntries()},
                     {QStringLiteral("ttl_ms"), server.config->cacheTtlMs()}}},
        {QStringLiteral("rate_limited"),
         server.guard ? QJsonObject{{QStringLiteral("votes"), qint64(server.guard->limitedCount(RequestGuard::Budget::Votes))},
                                    {QStringLiteral("reads"), qint64(server.guard->limitedCount(RequestGuard::Budget::Reads))},
                                    {QStringLiteral("admin"), qint64(server.guard->limitedCount(RequestGuard::Budget::Admin))},
                                    {QStringLiteral("tracked_clients"), server.guard->trackedClients()}}
                      : QJsonObject{}},
        {QStringLiteral("connections"),
         server.connections ? QJsonObject{{QStringLiteral("open"), server.connections->open()},
                                          {QStringLiteral("refused"), qint64(server.connections->refused())},
                                          {QStringLiteral("reaped_idle"), qint64(server.connections->reaped())},
                                          {QStringLiteral("timed_out"), qint64(server.connections->timedOut())}}
                            : QJsonObject{}},
        {QStringLiteral("websocket_clients"), server.live ? server.live->clientCount() : 0},
        // What clients must stay within (the console sizes its bulk requests by it).
        {QStringLiteral("limits"),
         QJsonObject{{QStringLiteral("body_bytes"), server.config->maxBodyBytes()},
                     {QStringLiteral("bulk_body_bytes"), VoteService::bulkBodyBytes(*server.config)},
                     {QStringLiteral("bulk_votes"), VoteService::MaxBulkVotes}}},
        {QStringLiteral("shards"), shards},
        {QStringLiteral("rebalance"), ShardController::rebalanceJson(server.storage->rebalanceProgress())},
    };
}

QJsonObject OpsController::ringJson(const ServerContext &server, bool showAddresses)
{
    const QHash<QString, int> polls = server.catalog->pollsPerShard();
    QJsonArray nodes;
    for (const StorageEngine::ShardInfo &shard : server.storage->shardInfo()) {
        QJsonObject node{{QStringLiteral("name"), shard.name},
                         {QStringLiteral("kind"), shard.kind},
                         {QStringLiteral("state"), shard.state},
                         {QStringLiteral("virtual_nodes"), shard.points},
                         {QStringLiteral("share"), shard.ringShare},
                         {QStringLiteral("polls"), polls.value(shard.name)}};
        if (showAddresses)
            node.insert(QStringLiteral("address"), shard.address);
        nodes.append(node);
    }
    return {{QStringLiteral("hash"), QStringLiteral("md5")},
            {QStringLiteral("virtual_nodes"), server.config->virtualNodes()},
            {QStringLiteral("nodes"), nodes}};
}

QByteArray OpsController::metricsText(const ServerContext &server)
{
    return MetricsReport::text(server);
}
