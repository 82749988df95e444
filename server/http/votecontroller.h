#pragma once

#include "router.h"

class Config;
class PollCatalog;
class RequestGuard;
class VoteService;

// REST transport of the vote service: POST /vote/{poll_id} and POST /votes (bulk).
// Reads requests and writes answers; every vote rule lives in VoteService.
class VoteController {
public:
    // `guard` (may be null) names the client of each request.
    VoteController(const Config &config, const PollCatalog &catalog, const RequestGuard *guard,
                   const VoteService *votes)
        : m_config(config), m_catalog(catalog), m_guard(guard), m_votes(votes)
    {
    }
    void registerRoutes(Router &router, const QString &prefix);

private:
    void vote(const HttpExchange &exchange, const QString &pollId) const;
    void bulk(const HttpExchange &exchange) const;

    const Config &m_config;
    const PollCatalog &m_catalog;
    const RequestGuard *m_guard;
    const VoteService *m_votes;
};
