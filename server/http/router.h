#pragma once

#include "httpexchange.h"
#include "guard/requestguard.h"

#include <QHttpServerRequest>
#include <QHash>
#include <QStringList>
#include <functional>

class RequestMetrics;

// Method + path routing with `{name}` segments. Unlike QHttpServer 6.4's own routing
// it tells a wrong method (405 with Allow) from an unknown path (404), answers HEAD
// on every GET route, and lets every handler answer later through the exchange.
class Router {
public:
    using Method = QHttpServerRequest::Method;
    using Handler = std::function<void(const HttpExchange &, const QStringList &params)>;

    using Budget = RequestGuard::Budget;

    void setGuard(RequestGuard *guard) { m_guard = guard; }
    // Before add(): each route gets its request-duration series, labelled with its pattern.
    void setMetrics(RequestMetrics *metrics) { m_metrics = metrics; }
    void add(Method method, const QString &pattern, Handler handler, Budget budget = Budget::None);
    void dispatch(const HttpExchange &exchange) const;

    static QString methodName(Method method);

private:
    struct Route {
        Method method;
        QStringList segments;
        Handler handler;
        Budget budget;
        QString pattern;
        int series = -1;
    };
    static bool match(const Route &route, const QStringList &segments, QStringList *params);

    QList<Route> m_routes;
    void traceUnmatched(const HttpExchange &exchange) const;

    RequestGuard *m_guard = nullptr;
    RequestMetrics *m_metrics = nullptr;
    mutable QHash<int, int> m_unmatchedSeries; // method -> series, for paths no route has
};
