#pragma once

#include <QElapsedTimer>
#include <QString>

class RequestMetrics;

// Follows one request from its arrival to its answer: the router names its route,
// the exchange reports its status once answered; the duration then goes into the
// request histograms and, when enabled, a line of the access log.
class RequestTrace {
public:
    RequestTrace(RequestMetrics *metrics, const QString &method, const QString &path,
                 const QString &client);

    void setRoute(int series, const QString &route);
    // The first call counts; later ones (there should be none) are ignored.
    void finish(int status);

private:
    QElapsedTimer m_timer;
    RequestMetrics *m_metrics;
    QString m_method;
    QString m_path;
    QString m_client;
    QString m_route = QStringLiteral("unmatched");
    int m_series = -1;
    bool m_finished = false;
};
