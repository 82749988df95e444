#pragma once

#include "core/tallyerror.h"
#include "router.h"

#include <optional>

class Config;
class HttpExchange;
class RequestGuard;

// The step every matched route passes before its handler (Router::dispatch): the
// client's rate budget for the route's access, then, for admin routes, the admin
// token. A refused request is answered here (429, 401 or 403).
class RoutePolicy {
public:
    // Without a guard nothing is rate limited.
    RoutePolicy(RequestGuard *guard, const Config &config) : m_guard(guard), m_config(config) {}

    // True when the route's handler may run.
    bool admit(const HttpExchange &exchange, Router::Access access) const;
    // admit() as the step Router::dispatch() takes.
    Router::Step step() const;

    // Empty when allowed; otherwise the 401/403 error to send. With a token, every
    // caller must send it; without one, only local requests may administer.
    static std::optional<TallyError> checkAdmin(const HttpExchange &exchange, const QString &token);
    // The direct peer is loopback and no proxy forwarded the request.
    static bool isLocal(const HttpExchange &exchange);

private:
    RequestGuard *m_guard;
    const Config &m_config;
};
