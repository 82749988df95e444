#include "requestmetrics.h"

RequestMetrics::RequestMetrics() = default;
RequestMetrics::~RequestMetrics() = default;

QList<quint64> RequestMetrics::durationBoundsNs()
{
    // 100 us .. 10 s: a vote takes well under a millisecond, a sync-durability vote
    // waits for the disk, a deferred read may wait for a shard's timeout.
    return {100'000,     250'000,     500'000,       1'000'000,     2'500'000,
            5'000'000,   10'000'000,  25'000'000,    50'000'000,    100'000'000,
            250'000'000, 500'000'000, 1'000'000'000, 2'500'000'000, 10'000'000'000};
}

int RequestMetrics::seriesFor(const QString &method, const QString &route)
{
    const QMutexLocker lock(&m_registerLock);
    const int count = m_count.load(std::memory_order_relaxed);
    for (int i = 0; i < count; ++i)
        if (m_series[size_t(i)]->method == method && m_series[size_t(i)]->route == route)
            return i;
    if (count == MaxSeries)
        return -1;
    auto series = std::make_unique<Series>();
    series->method = method;
    series->route = route;
    for (auto &histogram : series->byClass)
        histogram = std::make_unique<Histogram>(durationBoundsNs());
    m_series[size_t(count)] = std::move(series);
    m_count.store(count + 1, std::memory_order_release);
    return count;
}

void RequestMetrics::observe(int series, int status, quint64 nanoseconds)
{
    if (series < 0 || series >= seriesCount())
        return;
    const int statusClass = std::clamp(status / 100, 1, StatusClasses) - 1;
    m_series[size_t(series)]->byClass[size_t(statusClass)]->observe(nanoseconds);
}
