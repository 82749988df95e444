#pragma once

#include <QJsonObject>

class Config;
class ConnectionTracker;
class PollCatalog;
class RequestGuard;
class StorageEngine;
class VoteLedger;
struct ServerStats;

// The server's figures, read from the subsystems that own them, for every view of
// them: GET {prefix}/stats, the WebSocket "stats" channel and /metrics.
// Any thread: every source is read through its thread-safe accessors.
class StatsModel {
public:
    // `guard` and `connections` may be null (their figures are then left out).
    StatsModel(const Config &config, const PollCatalog &catalog, const VoteLedger &ledger,
               const StorageEngine &storage, const ServerStats &stats, const RequestGuard *guard,
               const ConnectionTracker *connections);

    // The body of GET {prefix}/stats. Shard addresses (data-directory paths, Redis
    // host:port) only with `showAddresses`.
    QJsonObject json(bool showAddresses = false) const;

    // The sources, for the /metrics page.
    const Config &config() const { return m_config; }
    const PollCatalog &catalog() const { return m_catalog; }
    const VoteLedger &ledger() const { return m_ledger; }
    const StorageEngine &storage() const { return m_storage; }
    const ServerStats &stats() const { return m_stats; }
    const RequestGuard *guard() const { return m_guard; }
    const ConnectionTracker *connections() const { return m_connections; }

private:
    const Config &m_config;
    const PollCatalog &m_catalog;
    const VoteLedger &m_ledger;
    const StorageEngine &m_storage;
    const ServerStats &m_stats;
    const RequestGuard *m_guard;
    const ConnectionTracker *m_connections;
};
