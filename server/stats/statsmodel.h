#pragma once

#include "statsfigure.h"

#include <QJsonObject>
#include <QList>

class Config;
class ConnectionTracker;
class PollCatalog;
class RequestGuard;
class StorageEngine;
class VoteLedger;
struct ServerStats;

// The server's figures in one list, read from the subsystems that own them, for
// every view of them: GET {prefix}/stats and the WebSocket "stats" channel render
// json(), /metrics renders figures() (plus the latency histograms and process
// metrics, which are distributions, not figures). Adding a figure is one entry in
// figures(). Any thread: every source is read through its thread-safe accessors.
class StatsModel {
public:
    StatsModel(const Config &config, const PollCatalog &catalog, const VoteLedger &ledger,
               const StorageEngine &storage, const ServerStats &stats, const RequestGuard &guard,
               const ConnectionTracker &connections);

    QList<StatsFigure> figures() const;
    // The body of GET {prefix}/stats. Shard addresses (data-directory paths, Redis
    // host:port) only with `showAddresses`.
    QJsonObject json(bool showAddresses = false) const;
    // The counters behind the histograms of /metrics.
    const ServerStats &stats() const { return m_stats; }

private:
    const Config &m_config;
    const PollCatalog &m_catalog;
    const VoteLedger &m_ledger;
    const StorageEngine &m_storage;
    const ServerStats &m_stats;
    const RequestGuard &m_guard;
    const ConnectionTracker &m_connections;
};
