#pragma once

#include "router.h"
#include "workerscope.h"

class VoteService;

// REST transport of the vote service: POST /vote/{poll_id} and POST /votes (bulk).
// Reads requests and writes answers; every vote rule lives in VoteService.
class VoteController {
public:
    VoteController(const WorkerScope &scope, const VoteService *votes)
        : m_scope(scope), m_votes(votes)
    {
    }
    void registerRoutes(Router &router, const QString &prefix);

private:
    void vote(const HttpExchange &exchange, const QString &pollId) const;
    void bulk(const HttpExchange &exchange) const;
    QString clientOf(const HttpExchange &exchange) const;

    WorkerScope m_scope;
    const VoteService *m_votes;
};
