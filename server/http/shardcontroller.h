#pragma once

#include "router.h"
#include "storage/rebalancer.h"
#include "workerscope.h"

#include <QJsonObject>

// Shard administration: {prefix}/shards/rebalance moves polls to the shards the hash
// ring names for them (Redis shards; see docs/operations.md).
class ShardController {
public:
    explicit ShardController(const WorkerScope &scope) : m_scope(scope) {}
    void registerRoutes(Router &router, const QString &prefix);

    // The progress as /stats and the rebalance endpoint show it.
    static QJsonObject rebalanceJson(const Rebalancer::Progress &progress);

private:
    void rebalance(const HttpExchange &exchange) const;

    WorkerScope m_scope;
};
