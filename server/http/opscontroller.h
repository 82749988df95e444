#pragma once

#include "router.h"

#include <QJsonObject>

class Config;
class Journal;
class PollCatalog;
class StatsModel;
class StorageEngine;

// Operations endpoints: /health, /ready, /metrics, {prefix}/stats, {prefix}/ring.
class OpsController {
public:
    // `journal` is null when votes are not journaled.
    OpsController(const Config &config, const StatsModel &stats, const PollCatalog &catalog,
                  const StorageEngine &storage, const Journal *journal)
        : m_config(config), m_stats(stats), m_catalog(catalog), m_storage(storage),
          m_journal(journal)
    {
    }
    void registerRoutes(Router &router, const QString &prefix);

    // Shard addresses (data-directory paths, Redis host:port) only with `showAddresses`.
    QJsonObject ringJson(bool showAddresses = false) const;
    // An admin caller: a token is configured and the request presents it.
    static bool isAdminCaller(const HttpExchange &exchange, const Config &config);

private:
    const Config &m_config;
    const StatsModel &m_stats;
    const PollCatalog &m_catalog;
    const StorageEngine &m_storage;
    const Journal *m_journal;
};
