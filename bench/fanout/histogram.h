// Latencies in 0.1 ms buckets up to 60 s: constant memory however many samples.
#pragma once

#include <QtGlobal>

#include <vector>

class Histogram {
public:
    void add(double ms);
    void merge(const Histogram &other);
    quint64 samples() const { return m_samples; }
    double max() const { return m_max; }
    double percentile(double p) const;

private:
    std::vector<quint64> m_counts = std::vector<quint64>(600000);
    quint64 m_samples = 0;
    double m_max = 0;
};
