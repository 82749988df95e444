#include "requesttrace.h"
#include "core/logger.h"
#include "core/requestmetrics.h"

RequestTrace::RequestTrace(RequestMetrics *metrics, const QString &method, const QString &path,
                           const QString &client)
    : m_metrics(metrics), m_method(method), m_path(path), m_client(client)
{
    m_timer.start();
}

void RequestTrace::setRoute(int series, const QString &route)
{
    m_series = series;
    m_route = route;
}

void RequestTrace::finish(int status)
{
    if (m_finished)
        return;
    m_finished = true;
    const qint64 nanoseconds = m_timer.nsecsElapsed();
    if (m_metrics)
        m_metrics->observe(m_series, status, quint64(nanoseconds));
    if (Logger::accessLogEnabled())
        Logger::access({m_method, m_route, m_path, status, double(nanoseconds) / 1e6, m_client});
}
