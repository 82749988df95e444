#include "router.h"
#include "core/requestmetrics.h"

#include <QUrl>

void Router::add(Method method, const QString &pattern, Handler handler, Budget budget)
{
    const int series = m_metrics ? m_metrics->seriesFor(methodName(method), pattern) : -1;
    m_routes.append({method, pattern.split(u'/', Qt::SkipEmptyParts), std::move(handler), budget,
                     pattern, series});
}

bool Router::match(const Route &route, const QStringList &segments, QStringList *params)
{
    if (route.segments.size() != segments.size())
        return false;
    params->clear();
    for (qsizetype i = 0; i < segments.size(); ++i) {
        const QString &expected = route.segments[i];
        if (expected.startsWith(u'{'))
            params->append(segments[i]);
        else if (expected != segments[i])
            return false;
    }
    return true;
}

void Router::dispatch(const HttpExchange &exchange) const
{
    const QString &path = exchange.path();
    // Empty segments are not collapsed: "/api//v1" is a different (unknown) path.
    QStringList segments = path.split(u'/');
    if (!segments.isEmpty() && segments.constFirst().isEmpty())
        segments.removeFirst();
    if (!segments.isEmpty() && segments.constLast().isEmpty() && segments.size() > 1)
        segments.removeLast();
    if (segments.size() == 1 && segments.constFirst().isEmpty())
        segments.clear();
    // Decode each segment on its own: an encoded '/' stays inside its segment.
    for (QString &segment : segments)
        segment = QUrl::fromPercentEncoding(segment.toUtf8());

    QStringList params;
    QStringList allowed;
    // HEAD is answered by the GET route; HttpExchange leaves the body out.
    const Method method = exchange.method() == Method::Head ? Method::Get : exchange.method();
    for (const Route &route : m_routes) {
        if (!match(route, segments, &params))
            continue;
        if (route.method == method) {
            if (RequestTrace *trace = exchange.trace())
                trace->setRoute(route.series, route.pattern);
            if (m_guard && route.budget != Budget::None) {
                const QString client = m_guard->clientOf(exchange.peer(), exchange.header("X-Forwarded-For"),
                                                         exchange.header("X-Real-IP"));
                if (const qint64 waitMs = m_guard->check(route.budget, client)) {
                    const qint64 seconds = std::max<qint64>(1, (waitMs + 999) / 1000);
                    exchange.replyError(HttpExchange::Status::TooManyRequests, QStringLiteral("rate_limited"),
                                        QStringLiteral("Too many requests from %1; retry in %2 s.").arg(client).arg(seconds),
                                        QByteArrayLiteral("Retry-After"), QByteArray::number(seconds));
                    return;
                }
            }
            route.handler(exchange, params);
            return;
        }
        allowed.append(methodName(route.method));
        if (route.method == Method::Get)
            allowed.append(methodName(Method::Head));
    }
    traceUnmatched(exchange);
    if (!allowed.isEmpty()) {
        exchange.replyError(HttpExchange::Status::MethodNotAllowed,
                            QStringLiteral("method_not_allowed"),
                            QStringLiteral("%1 is not allowed on %2; use %3.")
                                .arg(methodName(exchange.method()), path,
                                     allowed.join(QStringLiteral(", "))),
                            QByteArrayLiteral("Allow"), allowed.join(QStringLiteral(", ")).toLatin1());
        return;
    }
    exchange.replyError(HttpExchange::Status::NotFound, QStringLiteral("not_found"),
                        QStringLiteral("There is no resource at %1.").arg(path.left(200)));
}

void Router::traceUnmatched(const HttpExchange &exchange) const
{
    RequestTrace *trace = exchange.trace();
    if (!trace || !m_metrics)
        return;
    // One series per method for every unknown path: raw paths would make the label
    // set unbounded.
    const int method = int(exchange.method());
    auto it = m_unmatchedSeries.constFind(method);
    if (it == m_unmatchedSeries.cend())
        it = m_unmatchedSeries.insert(
            method, m_metrics->seriesFor(methodName(exchange.method()), QStringLiteral("unmatched")));
    trace->setRoute(*it, QStringLiteral("unmatched"));
}

QString Router::methodName(Method method)
{
    switch (method) {
    case Method::Get:
        return QStringLiteral("GET");
    case Method::Put:
        return QStringLiteral("PUT");
    case Method::Delete:
        return QStringLiteral("DELETE");
    case Method::Post:
        return QStringLiteral("POST");
    case Method::Head:
        return QStringLiteral("HEAD");
    case Method::Options:
        return QStringLiteral("OPTIONS");
    case Method::Patch:
        return QStringLiteral("PATCH");
    case Method::Connect:
        return QStringLiteral("CONNECT");
    case Method::Trace:
        return QStringLiteral("TRACE");
    default:
        return QStringLiteral("UNKNOWN");
    }
}
