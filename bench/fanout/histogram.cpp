#include "histogram.h"

#include <algorithm>

void Histogram::add(double ms)
{
    const size_t bucket = std::min(m_counts.size() - 1, size_t(std::max(0.0, ms) * 10.0));
    ++m_counts[bucket];
    ++m_samples;
    m_max = std::max(m_max, ms);
}

void Histogram::merge(const Histogram &other)
{
    for (size_t i = 0; i < m_counts.size(); ++i)
        m_counts[i] += other.m_counts[i];
    m_samples += other.m_samples;
    m_max = std::max(m_max, other.m_max);
}

double Histogram::percentile(double p) const
{
    if (m_samples == 0)
        return 0;
    const quint64 rank = std::min(m_samples - 1, quint64(p / 100.0 * double(m_samples)));
    quint64 seen = 0;
    for (size_t i = 0; i < m_counts.size(); ++i) {
        seen += m_counts[i];
        if (seen > rank)
            return double(i) / 10.0;
    }
    return m_max;
}
