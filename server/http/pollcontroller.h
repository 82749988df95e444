#pragma once

#include "router.h"
#include "workerscope.h"

// Poll administration and listing: /polls, /polls/{id}, /polls/{id}/open|close, /themes.
class PollController {
public:
    explicit PollController(const WorkerScope &scope) : m_scope(scope) {}
    // The admin routes ask for Router::Access::Admin: the policy step checks the token.
    void registerRoutes(Router &router, const QString &prefix);

private:
    void create(const HttpExchange &exchange) const;
    void list(const HttpExchange &exchange) const;
    void get(const HttpExchange &exchange, const QString &id) const;
    void setOpen(const HttpExchange &exchange, const QString &id, bool open) const;
    void remove(const HttpExchange &exchange, const QString &id) const;
    void themes(const HttpExchange &exchange) const;

    WorkerScope m_scope;
};
