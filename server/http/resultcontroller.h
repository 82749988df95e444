#pragma once

#include "router.h"

class QObject;
class ResultService;

// GET /results/{poll_id}: the REST face of the result service; a read that goes to a
// shard is answered on the worker's thread when it returns.
class ResultController {
public:
    ResultController(const ResultService &results, QObject *thread)
        : m_results(results), m_thread(thread)
    {
    }
    void registerRoutes(Router &router, const QString &prefix);

private:
    void results(const HttpExchange &exchange, const QString &pollId) const;

    const ResultService &m_results;
    QObject *m_thread;
};
