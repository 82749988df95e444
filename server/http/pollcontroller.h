#pragma once

#include "router.h"
#include "workerscope.h"

// Poll administration and listing: /polls, /polls/{id}, /polls/{id}/open|close, /themes.
class PollController {
public:
    explicit PollController(const WorkerScope &scope) : m_scope(scope) {}
    void registerRoutes(Router &router, const QString &prefix);

    // Empty when allowed; otherwise the 401/403 error to send. With a token, every
    // caller must send it; without one, only local requests may administer.
    static std::optional<TallyError> checkAdmin(const HttpExchange &exchange, const QString &token);
    // The direct peer is loopback and no proxy forwarded the request.
    static bool isLocal(const HttpExchange &exchange);

private:
    void create(const HttpExchange &exchange) const;
    void list(const HttpExchange &exchange) const;
    void get(const HttpExchange &exchange, const QString &id) const;
    void setOpen(const HttpExchange &exchange, const QString &id, bool open) const;
    void reveal(const HttpExchange &exchange, const QString &id) const;
    void reset(const HttpExchange &exchange, const QString &id) const;
    void remove(const HttpExchange &exchange, const QString &id) const;
    void themes(const HttpExchange &exchange) const;
    bool authorized(const HttpExchange &exchange) const;

    WorkerScope m_scope;
};
