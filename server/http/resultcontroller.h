#pragma once

#include "core/poll.h"
#include "core/votecounts.h"
#include "router.h"
#include "workerscope.h"

// GET /results/{poll_id}: cached counts plus pending votes when the cache is fresh,
// otherwise a read from the owning shard (answered when it returns).
class ResultController {
public:
    explicit ResultController(const WorkerScope &scope) : m_scope(scope) {}
    void registerRoutes(Router &router, const QString &prefix);

    static QJsonObject resultsJson(const QString &pollId, const OptionCounts &counts, int optionCount,
                                   const QString &servedVia);

private:
    void results(const HttpExchange &exchange, const QString &pollId) const;

    WorkerScope m_scope;
};
