#pragma once

#include "httpexchange.h"

#include <QHash>
#include <QHttpServerRequest>
#include <QList>
#include <QStringList>
#include <functional>
#include <span>

class RequestMetrics;

// Method + path routing with `{name}` segments. Unlike QHttpServer 6.4's own routing
// it tells a wrong method (405 with Allow) from an unknown path (404), answers HEAD
// on every GET route, and lets every handler answer later through the exchange.
//
// The router only matches and dispatches. What a route asks of a request before its
// handler runs (a rate budget, the admin token) it carries as the route's Access; the
// step the caller passes to dispatch() (RoutePolicy in Tally) checks it.
class Router {
public:
    using Method = QHttpServerRequest::Method;
    using Handler = std::function<void(const HttpExchange &, const QStringList &params)>;

    enum class Access {
        Open,  // no budget (votes spend theirs in the vote service, one token per vote)
        Reads, // the client's read budget
        Admin, // the client's admin budget, then the admin token
    };

    struct Route {
        Method method;
        QStringList segments;
        Handler handler;
        Access access;
        QString pattern;
        int series = -1;
        quint64 paramSegments = 0; // bit i: segment i is a `{name}`
    };

    // Where a request goes.
    struct Match {
        const Route *route = nullptr; // the route that takes it, if any
        QStringList params;           // the route's `{name}` segments, percent-decoded
        QStringList allowed;          // without a route: the methods the path has

        // 0 when a route takes the request; otherwise the status the router answers
        // with: 405 (with `Allow: allowed`) or 404.
        int status() const { return route ? 0 : allowed.isEmpty() ? 404 : 405; }
    };

    // Runs before a matched route's handler; false when it answered the request itself.
    using Step = std::function<bool(const HttpExchange &, const Route &)>;

    // Before add(): each route gets its request-duration series, labelled with its pattern.
    void setMetrics(RequestMetrics *metrics) { m_metrics = metrics; }
    void add(Method method, const QString &pattern, Handler handler, Access access = Access::Open);

    // `path` as sent: percent-encoded (each segment is decoded on its own, so an encoded
    // '/' stays inside its segment); empty segments are not collapsed.
    Match match(Method method, const QString &path) const;
    // Matches, then runs `before` and the route's handler, or answers 404/405.
    void dispatch(const HttpExchange &exchange, const Step &before = {}) const;

    static QString methodName(Method method);

private:
    using QSpan = std::span<const QStringView>;
    static bool matches(const Route &route, QSpan segments, QStringList *params);
    void traceUnmatched(const HttpExchange &exchange) const;

    QList<Route> m_routes;
    QHash<qsizetype, QList<qsizetype>> m_routesBySize; // segment count -> routes, in order added
    RequestMetrics *m_metrics = nullptr;
    mutable QHash<int, int> m_unmatchedSeries; // method -> series, for paths no route has
};
