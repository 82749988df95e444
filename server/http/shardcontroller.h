#pragma once

#include "router.h"
#include "workerscope.h"

class Config;
class StorageEngine;

// Shard administration: {prefix}/shards/rebalance moves polls to the shards the hash
// ring names for them (Redis shards; see docs/operations.md).
class ShardController {
public:
    ShardController(const WorkerScope &scope, const Config &config, StorageEngine &storage)
        : m_scope(scope), m_config(config), m_storage(storage)
    {
    }
    // The route asks for Router::Access::Admin: the policy step checks the token.
    void registerRoutes(Router &router, const QString &prefix);

private:
    void rebalance(const HttpExchange &exchange) const;

    WorkerScope m_scope;
    const Config &m_config;
    StorageEngine &m_storage;
};
