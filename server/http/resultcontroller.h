#pragma once

#include "core/poll.h"
#include "core/tallyerror.h"
#include "router.h"

#include <optional>

class Config;
class QObject;
class ResultService;

// GET /results/{poll_id}: the REST face of the result service; a read that goes to a
// shard is answered on the worker's thread when it returns. While a poll's results are
// not visible only administrators see them.
class ResultController {
public:
    ResultController(const ResultService &results, const Config &config, QObject *thread)
        : m_results(results), m_config(config), m_thread(thread)
    {
    }
    void registerRoutes(Router &router, const QString &prefix);

    // The error for a caller who may not see the poll's counts now, if it may not.
    static std::optional<TallyError> hiddenFrom(const HttpExchange &exchange, const Poll &poll,
                                                const QString &adminToken);

private:
    void results(const HttpExchange &exchange, const QString &pollId) const;

    const ResultService &m_results;
    const Config &m_config;
    QObject *m_thread;
};
