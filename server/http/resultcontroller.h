#pragma once

#include "core/poll.h"
#include "core/votecounts.h"
#include "router.h"
#include "workerscope.h"

// GET /results/{poll_id}: cached counts plus pending votes when the cache is fresh,
// otherwise a read from the owning shard (answered when it returns). While a poll's
// results are not visible only administrators see them.
class ResultController {
public:
    explicit ResultController(const WorkerScope &scope) : m_scope(scope) {}
    void registerRoutes(Router &router, const QString &prefix);

    // `voters` is the number of votes cast (for a single-choice poll: the total).
    static QJsonObject resultsJson(const QString &pollId, const OptionCounts &counts, int optionCount,
                                   const QString &servedVia, qint64 voters = -1);
    // The error for a caller who may not see the poll's counts now, if it may not.
    static std::optional<TallyError> hiddenFrom(const HttpExchange &exchange, const Poll &poll,
                                                const QString &adminToken);

private:
    void results(const HttpExchange &exchange, const QString &pollId) const;

    WorkerScope m_scope;
};
