#include "router.h"
#include "core/requestmetrics.h"

#include <QUrl>
#include <QVarLengthArray>

void Router::add(Method method, const QString &pattern, Handler handler, Access access)
{
    const int series = m_metrics ? m_metrics->seriesFor(methodName(method), pattern) : -1;
    Route route{
        method, pattern.split(u'/', Qt::SkipEmptyParts), std::move(handler), access, pattern,
        series};
    Q_ASSERT(route.segments.size() <= 64); // one bit per segment
    for (qsizetype i = 0; i < route.segments.size(); ++i)
        if (route.segments[i].startsWith(u'{'))
            route.paramSegments |= quint64(1) << i;
    m_routes.append(std::move(route));
    m_routesBySize[m_routes.constLast().segments.size()].append(m_routes.size() - 1);
}

bool Router::matches(const Route &route, QSpan segments, QStringList *params)
{
    if (route.segments.size() != qsizetype(segments.size()))
        return false;
    // The fixed segments first, from the last: most candidates share the leading "api/v1"
    // and differ after it, and fail there before any string is made.
    for (size_t i = segments.size(); i-- > 0;)
        if (!(route.paramSegments >> i & 1) && route.segments[qsizetype(i)] != segments[i])
            return false;
    params->clear();
    for (size_t i = 0; i < segments.size(); ++i)
        if (route.paramSegments >> i & 1)
            params->append(segments[i].toString());
    return true;
}

Router::Match Router::match(Method method, const QString &path) const
{
    // Views into the path: a request is routed without copying its segments, and only
    // the `{name}` segments it matches become strings.
    // Empty segments are not collapsed: "/api//v1" is a different (unknown) path.
    // Split by hand, in one pass that also notes any '%': QStringView::split() builds a
    // QList on the heap for every request.
    QVarLengthArray<QStringView, 8> segments;
    const QStringView whole(path);
    bool anyEncoded = false;
    for (qsizetype i = whole.startsWith(u'/') ? 1 : 0, start = i;; ++i) {
        if (i == whole.size() || whole[i] == u'/') {
            segments.append(whole.sliced(start, i - start));
            if (i == whole.size())
                break;
            start = i + 1;
        } else if (whole[i] == u'%') {
            anyEncoded = true;
        }
    }
    if (segments.last().isEmpty() && segments.size() > 1)
        segments.removeLast();
    if (segments.size() == 1 && segments.first().isEmpty())
        segments.clear();

    Match found;
    const auto candidates = m_routesBySize.constFind(segments.size());
    if (candidates == m_routesBySize.cend())
        return found;
    // Decode each segment on its own: an encoded '/' stays inside its segment. Sized
    // once, before any view points into it.
    QList<QString> decoded;
    for (qsizetype i = 0; anyEncoded && i < segments.size(); ++i)
        if (segments[i].contains(u'%')) {
            if (decoded.isEmpty())
                decoded.resize(segments.size());
            decoded[i] = QUrl::fromPercentEncoding(segments[i].toUtf8());
            segments[i] = decoded[i];
        }
    // HEAD is answered by the GET route; HttpExchange leaves the body out.
    const Method wanted = method == Method::Head ? Method::Get : method;
    for (const qsizetype index : *candidates) {
        const Route &route = m_routes.at(index);
        if (!matches(route, QSpan(segments.constData(), size_t(segments.size())), &found.params))
            continue;
        if (route.method == wanted) {
            found.route = &route;
            found.allowed.clear();
            return found;
        }
        found.allowed.append(methodName(route.method));
        if (route.method == Method::Get)
            found.allowed.append(methodName(Method::Head));
    }
    found.params.clear();
    return found;
}

void Router::dispatch(const HttpExchange &exchange, const Step &before) const
{
    const Match found = match(exchange.method(), exchange.path());
    if (const Route *route = found.route) {
        if (RequestTrace *trace = exchange.trace())
            trace->setRoute(route->series, route->pattern);
        if (before && !before(exchange, *route))
            return;
        route->handler(exchange, found.params);
        return;
    }
    traceUnmatched(exchange);
    const QString &path = exchange.path();
    if (found.status() == 405) {
        const QString allowed = found.allowed.join(QStringLiteral(", "));
        exchange.replyError(HttpExchange::Status::MethodNotAllowed,
                            QStringLiteral("method_not_allowed"),
                            QStringLiteral("%1 is not allowed on %2; use %3.")
                                .arg(methodName(exchange.method()), path, allowed),
                            QByteArrayLiteral("Allow"), allowed.toLatin1());
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
        it = m_unmatchedSeries.insert(method, m_metrics->seriesFor(methodName(exchange.method()),
                                                                   QStringLiteral("unmatched")));
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
