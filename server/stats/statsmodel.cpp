#include "statsmodel.h"
#include "core/config.h"
#include "core/pollcatalog.h"
#include "core/serverstats.h"
#include "core/voteledger.h"
#include "guard/connectiontracker.h"
#include "guard/requestguard.h"
#include "storage/rebalancer.h"
#include "storage/shard.h"
#include "storage/storageengine.h"
#include "vote/voteservice.h"

#include <QJsonArray>

namespace {

// One figure both views show: a number at `path` in /stats, sample of `metric`.
StatsFigure number(const QString &path, double value, const char *metric, const char *type,
                   const char *help, StatsFigure::Labels labels = {})
{
    return {path, -1, value, metric, type, help, std::move(labels), value, false};
}

StatsFigure integer(const QString &path, qint64 value, const char *metric, const char *type,
                    const char *help, StatsFigure::Labels labels = {})
{
    return {path, -1, value, metric, type, help, std::move(labels), double(value), false};
}

// A figure only /stats shows.
StatsFigure shown(const QString &path, const QJsonValue &value)
{
    return {path, -1, value, nullptr, "gauge", "", {}, 0, false};
}

// A sample only /metrics shows.
StatsFigure metric(const char *name, const char *type, const char *help, double value,
                   StatsFigure::Labels labels = {})
{
    return {QString(), -1, QJsonValue(), name, type, help, std::move(labels), value, false};
}

// Sets `value` at the dotted `path` of `object`.
void insertAt(QJsonObject &object, QStringView path, const QJsonValue &value)
{
    const qsizetype dot = path.indexOf(u'.');
    if (dot < 0) {
        object.insert(path.toString(), value);
        return;
    }
    const QString key = path.left(dot).toString();
    QJsonObject inner = object.value(key).toObject();
    insertAt(inner, path.mid(dot + 1), value);
    object.insert(key, inner);
}

} // namespace

StatsModel::StatsModel(const Config &config, const PollCatalog &catalog, const VoteLedger &ledger,
                       const StorageEngine &storage, const ServerStats &stats,
                       const RequestGuard &guard, const ConnectionTracker &connections)
    : m_config(config), m_catalog(catalog), m_ledger(ledger), m_storage(storage), m_stats(stats),
      m_guard(guard), m_connections(connections)
{
}

QList<StatsFigure> StatsModel::figures() const
{
    const ServerStats &stats = m_stats;
    const auto load = [](const QAtomicInteger<quint64> &counter) {
        return qint64(counter.loadRelaxed());
    };
    const QString durability =
        m_config.syncDurability() ? QStringLiteral("sync") : QStringLiteral("async");
    const QString version = QStringLiteral(TALLY_VERSION);
    QList<StatsFigure> figures;

    // Identity.
    StatsFigure build = integer(QStringLiteral("version"), 1, "tally_build_info", "gauge",
                                "Tally's version and the Qt it runs on; always 1.",
                                {{"version", version}, {"qt", QString::fromLatin1(qVersion())}});
    build.json = version;
    figures << build;
    StatsFigure instance =
        integer(QStringLiteral("instance_id"), 1, "tally_instance_info", "gauge",
                "This instance's id and durability mode; always 1.",
                {{"instance_id", m_storage.instanceId()}, {"durability", durability}});
    instance.json = m_storage.instanceId();
    figures << instance;
    figures << shown(QStringLiteral("durability"), durability)
            << shown(QStringLiteral("public_url"), m_config.publicUrl())
            << integer(QStringLiteral("workers"), m_ledger.workerCount(), "tally_workers", "gauge",
                       "HTTP worker threads.");

    // Votes.
    figures << integer(QStringLiteral("requests"), load(stats.requests), "tally_requests_total",
                       "counter", "HTTP requests received.")
            << integer(QStringLiteral("votes.accepted"), load(stats.votesAccepted),
                       "tally_votes_accepted_total", "counter", "Votes accepted.")
            << shown(QStringLiteral("votes.rejected"), load(stats.votesRejected));
    for (const auto &[reason, count] : stats.voteRejections.snapshot())
        figures << metric("tally_votes_rejected_total", "counter", "Votes rejected, by error code.",
                          double(count), {{"reason", reason}});
    figures << integer(QStringLiteral("votes.flushed"), load(stats.votesFlushed),
                       "tally_votes_flushed_total", "counter", "Votes applied to shards.")
            << integer(QStringLiteral("votes.discarded"), load(stats.votesDiscarded),
                       "tally_votes_discarded_total", "counter",
                       "Accepted votes dropped unstored because their poll was reset or deleted.")
            << integer(QStringLiteral("votes.recovered"), load(stats.votesRecovered),
                       "tally_votes_recovered_total", "counter",
                       "Votes replayed from the journal at start.")
            << integer(QStringLiteral("polls"), m_catalog.size(), "tally_polls", "gauge",
                       "Polls in the catalog.");

    // Buffer and flushes.
    const qint64 lastFlushMicros = load(stats.lastFlushMicros);
    StatsFigure lastFlush = number(
        QStringLiteral("flush.last_ms"), double(lastFlushMicros) / 1000.0,
        "tally_flush_last_duration_seconds", "gauge", "Duration of the last completed flush.");
    lastFlush.sample = double(lastFlushMicros) / 1e6;
    StatsFigure interval =
        integer(QStringLiteral("flush.interval_ms"), m_config.batchIntervalMs(),
                "tally_flush_interval_seconds", "gauge", "Configured seconds between flushes.");
    interval.sample = double(m_config.batchIntervalMs()) / 1000.0;
    figures << integer(QStringLiteral("buffer.depth"), m_ledger.bufferedVotes(),
                       "tally_buffer_depth", "gauge", "Votes buffered, not yet sent to a shard.")
            << integer(QStringLiteral("buffer.in_flight"), m_ledger.inflightVotes(),
                       "tally_votes_in_flight", "gauge", "Votes sent to shards, not yet confirmed.")
            << integer(QStringLiteral("flush.count"), load(stats.flushes), "tally_flushes_total",
                       "counter", "Flushes that moved votes.")
            << integer(QStringLiteral("flush.failures"), load(stats.flushFailures),
                       "tally_flush_failures_total", "counter", "Failed batch attempts.")
            << integer(QStringLiteral("flush.last_votes"), load(stats.lastFlushVotes),
                       "tally_flush_last_votes", "gauge", "Votes moved by the last flush.")
            << lastFlush << interval
            << integer(QStringLiteral("flush.max_votes"), m_config.batchMaxVotes(),
                       "tally_flush_max_votes", "gauge",
                       "Configured buffered votes that trigger an early flush.");

    // Result cache.
    const quint64 hits = m_ledger.cacheHits();
    const quint64 misses = m_ledger.cacheMisses();
    StatsFigure ttl =
        integer(QStringLiteral("cache.ttl_ms"), m_config.cacheTtlMs(), "tally_cache_ttl_seconds",
                "gauge", "Configured seconds a result read is cached.");
    ttl.sample = double(m_config.cacheTtlMs()) / 1000.0;
    figures << integer(QStringLiteral("cache.hits"), qint64(hits), "tally_cache_hits_total",
                       "counter", "Result reads served from cache.")
            << integer(QStringLiteral("cache.misses"), qint64(misses), "tally_cache_misses_total",
                       "counter", "Result reads that went to a shard.")
            << number(QStringLiteral("cache.hit_ratio"),
                      hits + misses == 0 ? 0.0 : double(hits) / double(hits + misses),
                      "tally_cache_hit_ratio", "gauge",
                      "Cache hits over all result reads since start.")
            << integer(QStringLiteral("cache.entries"), m_ledger.cacheEntries(),
                       "tally_cache_entries", "gauge", "Polls held in the result cache.")
            << ttl;

    // Clients and connections.
    const std::pair<const char *, RequestGuard::Budget> budgets[] = {
        {"votes", RequestGuard::Budget::Votes},
        {"reads", RequestGuard::Budget::Reads},
        {"admin", RequestGuard::Budget::Admin}};
    for (const auto &[name, budget] : budgets)
        figures << integer(
            QStringLiteral("rate_limited.") + QLatin1String(name),
            qint64(m_guard.limitedCount(budget)), "tally_rate_limited_requests_total", "counter",
            "Requests refused with 429, by budget.", {{"budget", QString::fromLatin1(name)}});
    figures << integer(QStringLiteral("rate_limited.tracked_clients"), m_guard.trackedClients(),
                       "tally_rate_limit_tracked_clients", "gauge",
                       "Clients with a rate-limit bucket.")
            << integer(QStringLiteral("connections.open"), m_connections.open(),
                       "tally_connections_open", "gauge", "Open HTTP and WebSocket connections.")
            << integer(QStringLiteral("connections.refused"), qint64(m_connections.refused()),
                       "tally_connections_refused_total", "counter",
                       "Connections refused over the connection limits.")
            << integer(QStringLiteral("connections.reaped_idle"), qint64(m_connections.reaped()),
                       "tally_connections_reaped_total", "counter",
                       "Idle connections closed by the server.")
            << integer(QStringLiteral("connections.timed_out"), qint64(m_connections.timedOut()),
                       "tally_connections_timed_out_total", "counter",
                       "Requests whose head or body did not arrive in time.")
            << integer(QStringLiteral("websocket_clients"), stats.websocketClients.loadRelaxed(),
                       "tally_websocket_clients", "gauge", "Connected WebSocket clients.");

    // What clients must stay within (the console sizes its bulk requests by it).
    figures << integer(QStringLiteral("limits.body_bytes"), m_config.maxBodyBytes(),
                       "tally_limit_body_bytes", "gauge", "Largest request body accepted.")
            << integer(QStringLiteral("limits.bulk_body_bytes"),
                       VoteService::bulkBodyBytes(m_config), "tally_limit_bulk_body_bytes", "gauge",
                       "Largest bulk vote request body accepted.")
            << integer(QStringLiteral("limits.bulk_votes"), VoteService::MaxBulkVotes,
                       "tally_limit_bulk_votes", "gauge", "Most votes in one bulk request.");

    // Moving polls between shards: the current or last rebalance.
    const Rebalancer::Progress rebalance = m_storage.rebalanceProgress();
    figures << shown(QStringLiteral("rebalance"), rebalance.toJson())
            << metric("tally_rebalance_running", "gauge",
                      "Whether a rebalance is moving polls now.",
                      rebalance.state == u"running" ? 1 : 0)
            << metric("tally_rebalance_polls_to_move", "gauge",
                      "Polls the current or last rebalance set out to move.", rebalance.toMove)
            << metric("tally_rebalance_polls_moved", "gauge",
                      "Polls the current or last rebalance has moved.", rebalance.moved)
            << metric("tally_rebalance_polls_failed", "gauge",
                      "Polls the current or last rebalance could not move.", rebalance.failed);

    figures << metric(
        "tally_batches_replayed_total", "counter",
        "Batches sent again because a failover lost them before they were replicated.",
        double(load(stats.batchesReplayed)));

    // Shards: an element of "shards" each, and a series per shard.
    static constexpr Shard::State States[] = {Shard::State::Connecting, Shard::State::Up,
                                              Shard::State::Down, Shard::State::Open,
                                              Shard::State::HalfOpen};
    const QHash<QString, int> polls = m_catalog.pollsPerShard();
    figures << shown(QStringLiteral("shards"), QJsonArray());
    int item = 0;
    for (const StorageEngine::ShardInfo &shard : m_storage.shardInfo()) {
        const StatsFigure::Labels labels{{"shard", shard.name}};
        QList<StatsFigure> of;
        of << shown(QStringLiteral("shards.name"), shard.name)
           << shown(QStringLiteral("shards.kind"), shard.kind)
           << shown(QStringLiteral("shards.state"), Shard::stateName(shard.state))
           << metric("tally_shard_up", "gauge", "Whether a shard is reachable.",
                     shard.state == Shard::State::Up ? 1 : 0, labels);
        // A state set: one series per possible state, 1 for the current one.
        for (const Shard::State state : States)
            of << metric("tally_shard_state", "gauge",
                         "Shard connection and circuit-breaker state (1 = current).",
                         shard.state == state ? 1 : 0,
                         {{"shard", shard.name}, {"state", Shard::stateName(state)}});
        of << integer(QStringLiteral("shards.polls"), polls.value(shard.name), "tally_shard_polls",
                      "gauge", "Polls stored on a shard.", labels)
           << integer(QStringLiteral("shards.votes"), shard.storedVotes, "tally_shard_votes",
                      "gauge", "Votes stored on a shard.", labels)
           << integer(QStringLiteral("shards.queued_batches"), shard.queuedBatches,
                      "tally_shard_queued_batches", "gauge",
                      "Batches waiting to be applied to a shard.", labels)
           << metric("tally_shard_ring_share", "gauge",
                     "Share of the hash ring a shard owns (0..1).", shard.ringShare, labels);
        if (shard.kind == u"redis")
            of << integer(
                QStringLiteral("shards.awaiting_replicas"), shard.awaitingReplicas,
                "tally_shard_awaiting_replicas_batches", "gauge",
                "Applied batches waiting for --redis-min-replicas replicas to confirm them.",
                labels);
        StatsFigure address = shown(QStringLiteral("shards.address"), shard.address);
        address.sensitive = true;
        of << address;
        // Sentinel-monitored shards: failovers and replicas; where they are, to admins.
        if (!shard.monitor.isEmpty()) {
            of << integer(QStringLiteral("shards.failovers"), shard.failovers,
                          "tally_shard_failovers_total", "counter",
                          "Master changes of a Sentinel-monitored shard seen by this run.", labels)
               << integer(QStringLiteral("shards.replica_count"), shard.replicas.size(),
                          "tally_shard_replicas", "gauge",
                          "Replicas the master of a Sentinel-monitored shard lists (ROLE).",
                          labels);
            const std::pair<QString, QJsonValue> places[] = {
                {QStringLiteral("shards.monitor"), shard.monitor},
                {QStringLiteral("shards.master"), shard.address},
                {QStringLiteral("shards.replicas"), QJsonArray::fromStringList(shard.replicas)}};
            for (const auto &[path, value] : places) {
                StatsFigure place = shown(path, value);
                place.sensitive = true;
                of << place;
            }
        }
        for (StatsFigure &figure : of)
            figure.item = figure.path.isEmpty() ? -1 : item;
        figures << of;
        ++item;
    }
    return figures;
}

QJsonObject StatsModel::json(bool showAddresses) const
{
    QJsonObject body;
    QHash<QString, QList<QJsonObject>> arrays; // array name -> its elements
    for (const StatsFigure &figure : figures()) {
        if (figure.path.isEmpty() || (figure.sensitive && !showAddresses))
            continue;
        if (figure.item < 0) {
            if (figure.json.isArray()) {
                arrays.insert(figure.path, {});
            } else {
                insertAt(body, figure.path, figure.json);
            }
            continue;
        }
        const qsizetype dot = figure.path.indexOf(u'.');
        QList<QJsonObject> &elements = arrays[figure.path.left(dot)];
        if (elements.size() <= figure.item)
            elements.resize(figure.item + 1);
        insertAt(elements[figure.item], QStringView(figure.path).mid(dot + 1), figure.json);
    }
    for (auto it = arrays.cbegin(); it != arrays.cend(); ++it) {
        QJsonArray array;
        for (const QJsonObject &element : it.value())
            array.append(element);
        insertAt(body, it.key(), array);
    }
    return body;
}
