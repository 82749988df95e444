#pragma once

#include "histogram.h"

#include <QMutex>
#include <QString>
#include <array>
#include <atomic>
#include <memory>

// Request durations by (method, route template, status class). Series are registered
// once, when a route is added (never while serving), and live as long as this object;
// recording a request touches only its series' histogram, so workers share no lock.
class RequestMetrics {
public:
    static constexpr int MaxSeries = 256;
    static constexpr int StatusClasses = 5; // 1xx .. 5xx

    struct Series {
        QString method;
        QString route;
        std::array<std::unique_ptr<Histogram>, StatusClasses> byClass;
    };

    RequestMetrics();
    ~RequestMetrics();

    // The index of the (method, route) series, creating it the first time; -1 when the
    // table is full (the request is then not recorded).
    int seriesFor(const QString &method, const QString &route);
    void observe(int series, int status, quint64 nanoseconds);

    int seriesCount() const { return m_count.load(std::memory_order_acquire); }
    const Series &series(int index) const { return *m_series[size_t(index)]; }

    static QList<quint64> durationBoundsNs();
    static QString statusClassName(int statusClass)
    {
        return QStringLiteral("%1xx").arg(statusClass + 1);
    }

private:
    QMutex m_registerLock; // registration only
    std::array<std::unique_ptr<Series>, MaxSeries> m_series;
    std::atomic<int> m_count{0};
};
