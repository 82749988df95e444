#include "statsmodel.h"
#include "core/config.h"
#include "core/pollcatalog.h"
#include "core/serverstats.h"
#include "core/voteledger.h"
#include "guard/connectiontracker.h"
#include "guard/requestguard.h"
#include "storage/storageengine.h"
#include "vote/voteservice.h"

#include <QJsonArray>

StatsModel::StatsModel(const Config &config, const PollCatalog &catalog, const VoteLedger &ledger,
                       const StorageEngine &storage, const ServerStats &stats,
                       const RequestGuard *guard, const ConnectionTracker *connections)
    : m_config(config), m_catalog(catalog), m_ledger(ledger), m_storage(storage), m_stats(stats),
      m_guard(guard), m_connections(connections)
{
}

QJsonObject StatsModel::json(bool showAddresses) const
{
    const ServerStats &stats = m_stats;
    const quint64 hits = m_ledger.cacheHits();
    const quint64 misses = m_ledger.cacheMisses();
    const QHash<QString, int> polls = m_catalog.pollsPerShard();
    QJsonArray shards;
    for (const StorageEngine::ShardInfo &shard : m_storage.shardInfo()) {
        QJsonObject item{{QStringLiteral("name"), shard.name},
                         {QStringLiteral("kind"), shard.kind},
                         {QStringLiteral("state"), shard.state},
                         {QStringLiteral("polls"), polls.value(shard.name)},
                         {QStringLiteral("votes"), shard.storedVotes},
                         {QStringLiteral("queued_batches"), shard.queuedBatches}};
        if (showAddresses)
            item.insert(QStringLiteral("address"), shard.address);
        if (shard.kind == u"redis")
            item.insert(QStringLiteral("awaiting_replicas"), shard.awaitingReplicas);
        if (!shard.monitor.isEmpty()) {
            item.insert(QStringLiteral("failovers"), shard.failovers);
            item.insert(QStringLiteral("replica_count"), int(shard.replicas.size()));
            if (showAddresses) {
                item.insert(QStringLiteral("monitor"), shard.monitor);
                item.insert(QStringLiteral("master"), shard.address);
                item.insert(QStringLiteral("replicas"), QJsonArray::fromStringList(shard.replicas));
            }
        }
        shards.append(item);
    }
    return {
        {QStringLiteral("instance_id"), m_storage.instanceId()},
        {QStringLiteral("version"), QStringLiteral(TALLY_VERSION)},
        {QStringLiteral("public_url"), m_config.publicUrl()},
        {QStringLiteral("workers"), m_ledger.workerCount()},
        {QStringLiteral("durability"), m_config.syncDurability() ? QStringLiteral("sync") : QStringLiteral("async")},
        {QStringLiteral("polls"), m_catalog.size()},
        {QStringLiteral("requests"), qint64(stats.requests.loadRelaxed())},
        {QStringLiteral("votes"),
         QJsonObject{{QStringLiteral("accepted"), qint64(stats.votesAccepted.loadRelaxed())},
                     {QStringLiteral("rejected"), qint64(stats.votesRejected.loadRelaxed())},
                     {QStringLiteral("flushed"), qint64(stats.votesFlushed.loadRelaxed())},
                     {QStringLiteral("recovered"), qint64(stats.votesRecovered.loadRelaxed())}}},
        {QStringLiteral("buffer"),
         QJsonObject{{QStringLiteral("depth"), m_ledger.bufferedVotes()},
                     {QStringLiteral("in_flight"), m_ledger.inflightVotes()}}},
        {QStringLiteral("flush"),
         QJsonObject{{QStringLiteral("count"), qint64(stats.flushes.loadRelaxed())},
                     {QStringLiteral("failures"), qint64(stats.flushFailures.loadRelaxed())},
                     {QStringLiteral("last_votes"), qint64(stats.lastFlushVotes.loadRelaxed())},
                     {QStringLiteral("last_ms"), double(stats.lastFlushMicros.loadRelaxed()) / 1000.0},
                     {QStringLiteral("interval_ms"), m_config.batchIntervalMs()},
                     {QStringLiteral("max_votes"), m_config.batchMaxVotes()}}},
        {QStringLiteral("cache"),
         QJsonObject{{QStringLiteral("hits"), qint64(hits)},
                     {QStringLiteral("misses"), qint64(misses)},
                     {QStringLiteral("hit_ratio"), hits + misses == 0 ? 0.0 : double(hits) / double(hits + misses)},
                     {QStringLiteral("entries"), m_ledger.cacheEntries()},
                     {QStringLiteral("ttl_ms"), m_config.cacheTtlMs()}}},
        {QStringLiteral("rate_limited"),
         m_guard ? QJsonObject{{QStringLiteral("votes"), qint64(m_guard->limitedCount(RequestGuard::Budget::Votes))},
                                    {QStringLiteral("reads"), qint64(m_guard->limitedCount(RequestGuard::Budget::Reads))},
                                    {QStringLiteral("admin"), qint64(m_guard->limitedCount(RequestGuard::Budget::Admin))},
                                    {QStringLiteral("tracked_clients"), m_guard->trackedClients()}}
                      : QJsonObject{}},
        {QStringLiteral("connections"),
         m_connections ? QJsonObject{{QStringLiteral("open"), m_connections->open()},
                                          {QStringLiteral("refused"), qint64(m_connections->refused())},
                                          {QStringLiteral("reaped_idle"), qint64(m_connections->reaped())},
                                          {QStringLiteral("timed_out"), qint64(m_connections->timedOut())}}
                            : QJsonObject{}},
        {QStringLiteral("websocket_clients"), qint64(stats.websocketClients.loadRelaxed())},
        // What clients must stay within (the console sizes its bulk requests by it).
        {QStringLiteral("limits"),
         QJsonObject{{QStringLiteral("body_bytes"), m_config.maxBodyBytes()},
                     {QStringLiteral("bulk_body_bytes"), VoteService::bulkBodyBytes(m_config)},
                     {QStringLiteral("bulk_votes"), VoteService::MaxBulkVotes}}},
        {QStringLiteral("shards"), shards},
        {QStringLiteral("rebalance"), m_storage.rebalanceProgress().toJson()},
    };
}
