#include "metricsreport.h"
#include "guard/connectiontracker.h"
#include "core/config.h"
#include "core/pollcatalog.h"
#include "core/processmetrics.h"
#include "core/serverstats.h"
#include "core/voteledger.h"
#include "metricswriter.h"
#include "guard/requestguard.h"
#include "stats/statsmodel.h"
#include "storage/storageengine.h"

#include <algorithm>

namespace {

constexpr double NsPerSecond = 1e9;

void writeProcess(MetricsWriter &out)
{
    const ProcessMetrics process = ProcessMetrics::read();
    const auto maybe = [&out](const char *name, const char *type, const char *help, double value) {
        if (value >= 0)
            out.single(name, type, help, value);
    };
    maybe("process_cpu_seconds_total", "counter",
          "Total user and system CPU time spent in seconds.", process.cpuSeconds);
    maybe("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
          process.residentBytes);
    maybe("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
          process.virtualBytes);
    maybe("process_open_fds", "gauge", "Number of open file descriptors.", process.openFds);
    maybe("process_max_fds", "gauge", "Maximum number of open file descriptors.", process.maxFds);
    maybe("process_start_time_seconds", "gauge",
          "Start time of the process since unix epoch in seconds.", process.startTimeSeconds);
    maybe("process_threads", "gauge", "Number of OS threads in the process.", process.threads);
}

void writeVotes(MetricsWriter &out, const ServerStats &stats)
{
    out.single("tally_requests_total", "counter", "HTTP requests received.",
               double(stats.requests.loadRelaxed()));
    out.single("tally_votes_accepted_total", "counter", "Votes accepted.",
               double(stats.votesAccepted.loadRelaxed()));
    out.family("tally_votes_rejected_total", "counter", "Votes rejected, by error code.");
    for (const auto &[reason, count] : stats.voteRejections.snapshot())
        out.sample("tally_votes_rejected_total", double(count), {{"reason", reason}});
    out.single("tally_votes_flushed_total", "counter", "Votes applied to shards.",
               double(stats.votesFlushed.loadRelaxed()));
    out.single("tally_votes_recovered_total", "counter",
               "Votes replayed from the journal at start.",
               double(stats.votesRecovered.loadRelaxed()));
}

void writeFlush(MetricsWriter &out, const StatsModel &server)
{
    const ServerStats &stats = server.stats();
    out.single("tally_buffer_depth", "gauge", "Votes buffered, not yet sent to a shard.",
               double(server.ledger().bufferedVotes()));
    out.single("tally_votes_in_flight", "gauge", "Votes sent to shards, not yet confirmed.",
               double(server.ledger().inflightVotes()));
    out.single("tally_flushes_total", "counter", "Flushes that moved votes.",
               double(stats.flushes.loadRelaxed()));
    out.single("tally_flush_failures_total", "counter", "Failed batch attempts.",
               double(stats.flushFailures.loadRelaxed()));
    out.single("tally_flush_last_votes", "gauge", "Votes moved by the last flush.",
               double(stats.lastFlushVotes.loadRelaxed()));
    out.single("tally_flush_last_duration_seconds", "gauge",
               "Duration of the last completed flush.",
               double(stats.lastFlushMicros.loadRelaxed()) / 1e6);
    out.single("tally_flush_interval_seconds", "gauge", "Configured seconds between flushes.",
               double(server.config().batchIntervalMs()) / 1000.0);
    out.single("tally_flush_max_votes", "gauge",
               "Configured buffered votes that trigger an early flush.",
               double(server.config().batchMaxVotes()));
    out.family("tally_flush_duration_seconds", "histogram",
               "Time from a flush until its last batch is stored.");
    out.histogram("tally_flush_duration_seconds", stats.flushDuration.snapshot(), NsPerSecond);
    out.family("tally_journal_sync_duration_seconds", "histogram",
               "Duration of one journal fdatasync cycle.");
    out.histogram("tally_journal_sync_duration_seconds", stats.journalSyncDuration.snapshot(),
                  NsPerSecond);
}

void writeCache(MetricsWriter &out, const StatsModel &server)
{
    const quint64 hits = server.ledger().cacheHits();
    const quint64 misses = server.ledger().cacheMisses();
    out.single("tally_cache_hits_total", "counter", "Result reads served from cache.",
               double(hits));
    out.single("tally_cache_misses_total", "counter", "Result reads that went to a shard.",
               double(misses));
    out.single("tally_cache_hit_ratio", "gauge", "Cache hits over all result reads since start.",
               hits + misses == 0 ? 0.0 : double(hits) / double(hits + misses));
    out.single("tally_cache_entries", "gauge", "Polls held in the result cache.",
               double(server.ledger().cacheEntries()));
    out.single("tally_cache_ttl_seconds", "gauge", "Configured seconds a result read is cached.",
               double(server.config().cacheTtlMs()) / 1000.0);
}

void writeConnections(MetricsWriter &out, const StatsModel &server)
{
    if (server.guard()) {
        out.family("tally_rate_limited_requests_total", "counter",
                   "Requests refused with 429, by budget.");
        const std::pair<const char *, RequestGuard::Budget> budgets[] = {
            {"votes", RequestGuard::Budget::Votes},
            {"reads", RequestGuard::Budget::Reads},
            {"admin", RequestGuard::Budget::Admin}};
        for (const auto &[name, budget] : budgets)
            out.sample("tally_rate_limited_requests_total",
                       double(server.guard()->limitedCount(budget)),
                       {{"budget", QString::fromLatin1(name)}});
        out.single("tally_rate_limit_tracked_clients", "gauge", "Clients with a rate-limit bucket.",
                   double(server.guard()->trackedClients()));
    }
    if (server.connections()) {
        out.single("tally_connections_open", "gauge", "Open HTTP and WebSocket connections.",
                   double(server.connections()->open()));
        out.single("tally_connections_refused_total", "counter",
                   "Connections refused over the connection limits.",
                   double(server.connections()->refused()));
        out.single("tally_connections_reaped_total", "counter",
                   "Idle connections closed by the server.", double(server.connections()->reaped()));
    }
    out.single("tally_websocket_clients", "gauge", "Connected WebSocket clients.",
               double(server.stats().websocketClients.loadRelaxed()));
    out.family("tally_websocket_send_queue_bytes", "histogram",
               "Bytes a WebSocket client had not received yet when another message was queued.");
    out.histogram("tally_websocket_send_queue_bytes", server.stats().websocketSendQueue.snapshot(),
                  1.0);
}

void writeShards(MetricsWriter &out, const StatsModel &server)
{
    const QList<StorageEngine::ShardInfo> shards = server.storage().shardInfo();
    const QHash<QString, int> polls = server.catalog().pollsPerShard();
    out.single("tally_polls", "gauge", "Polls in the catalog.", double(server.catalog().size()));
    out.family("tally_shard_up", "gauge", "Whether a shard is reachable.");
    for (const StorageEngine::ShardInfo &shard : shards)
        out.sample("tally_shard_up", shard.state == u"up" ? 1 : 0, {{"shard", shard.name}});
    // A state set: one series per possible state, 1 for the current one.
    out.family("tally_shard_state", "gauge",
               "Shard connection and circuit-breaker state (1 = current).");
    static const QStringList states = {QStringLiteral("connecting"), QStringLiteral("up"),
                                       QStringLiteral("down"), QStringLiteral("open"),
                                       QStringLiteral("half-open")};
    for (const StorageEngine::ShardInfo &shard : shards)
        for (const QString &state : states)
            out.sample("tally_shard_state", shard.state == state ? 1 : 0,
                       {{"shard", shard.name}, {"state", state}});
    out.family("tally_shard_polls", "gauge", "Polls stored on a shard.");
    for (const StorageEngine::ShardInfo &shard : shards)
        out.sample("tally_shard_polls", polls.value(shard.name), {{"shard", shard.name}});
    out.family("tally_shard_votes", "gauge", "Votes stored on a shard.");
    for (const StorageEngine::ShardInfo &shard : shards)
        out.sample("tally_shard_votes", double(shard.storedVotes), {{"shard", shard.name}});
    out.family("tally_shard_queued_batches", "gauge", "Batches waiting to be applied to a shard.");
    for (const StorageEngine::ShardInfo &shard : shards)
        out.sample("tally_shard_queued_batches", shard.queuedBatches, {{"shard", shard.name}});
    out.family("tally_shard_awaiting_replicas_batches", "gauge",
               "Applied batches waiting for --redis-min-replicas replicas to confirm them.");
    for (const StorageEngine::ShardInfo &shard : shards)
        out.sample("tally_shard_awaiting_replicas_batches", shard.awaitingReplicas, {{"shard", shard.name}});
    // Sentinel-monitored shards only; no empty families without them.
    if (std::any_of(shards.cbegin(), shards.cend(),
                    [](const StorageEngine::ShardInfo &shard) { return !shard.monitor.isEmpty(); })) {
        out.family("tally_shard_replicas", "gauge",
                   "Replicas the master of a Sentinel-monitored shard lists (ROLE).");
        for (const StorageEngine::ShardInfo &shard : shards)
            if (!shard.monitor.isEmpty())
                out.sample("tally_shard_replicas", double(shard.replicas.size()), {{"shard", shard.name}});
        out.family("tally_shard_failovers_total", "counter",
                   "Master changes of a Sentinel-monitored shard seen by this run.");
        for (const StorageEngine::ShardInfo &shard : shards)
            if (!shard.monitor.isEmpty())
                out.sample("tally_shard_failovers_total", shard.failovers, {{"shard", shard.name}});
    }
    out.single("tally_batches_replayed_total", "counter",
               "Batches sent again because a failover lost them before they were replicated.",
               double(server.stats().batchesReplayed.loadRelaxed()));
    out.family("tally_shard_ring_share", "gauge", "Share of the hash ring a shard owns (0..1).");
    for (const StorageEngine::ShardInfo &shard : shards)
        out.sample("tally_shard_ring_share", shard.ringShare, {{"shard", shard.name}});
    const Rebalancer::Progress rebalance = server.storage().rebalanceProgress();
    out.single("tally_rebalance_running", "gauge", "Whether a rebalance is moving polls now.",
               rebalance.state == u"running" ? 1 : 0);
    out.single("tally_rebalance_polls_to_move", "gauge",
               "Polls the current or last rebalance set out to move.", rebalance.toMove);
    out.single("tally_rebalance_polls_moved", "gauge",
               "Polls the current or last rebalance has moved.", rebalance.moved);
    out.single("tally_rebalance_polls_failed", "gauge",
               "Polls the current or last rebalance could not move.", rebalance.failed);
}

void writeRequests(MetricsWriter &out, const RequestMetrics &http)
{
    out.family(
        "tally_http_request_duration_seconds", "histogram",
        "Time from a request's arrival to its answer, by route template, method and status class.");
    for (int i = 0; i < http.seriesCount(); ++i) {
        const RequestMetrics::Series &series = http.series(i);
        for (int statusClass = 0; statusClass < RequestMetrics::StatusClasses; ++statusClass) {
            const Histogram::Snapshot snapshot = series.byClass[size_t(statusClass)]->snapshot();
            if (snapshot.count() == 0)
                continue; // a series appears with its first request
            out.histogram("tally_http_request_duration_seconds", snapshot, NsPerSecond,
                          {{"route", series.route},
                           {"method", series.method},
                           {"status", RequestMetrics::statusClassName(statusClass)}});
        }
    }
}

} // namespace

QByteArray MetricsReport::text(const StatsModel &server)
{
    MetricsWriter out;
    out.family("tally_build_info", "gauge", "Tally's version and the Qt it runs on; always 1.");
    out.sample(
        "tally_build_info", 1,
        {{"version", QStringLiteral(TALLY_VERSION)}, {"qt", QString::fromLatin1(qVersion())}});
    out.family("tally_instance_info", "gauge", "This instance's id and durability mode; always 1.");
    out.sample("tally_instance_info", 1,
               {{"instance_id", server.storage().instanceId()},
                {"durability", server.config().syncDurability() ? QStringLiteral("sync")
                                                               : QStringLiteral("async")}});
    out.single("tally_workers", "gauge", "HTTP worker threads.",
               double(server.ledger().workerCount()));
    writeProcess(out);
    writeVotes(out, server.stats());
    writeFlush(out, server);
    writeCache(out, server);
    writeConnections(out, server);
    writeShards(out, server);
    writeRequests(out, server.stats().http);
    return out.text();
}
