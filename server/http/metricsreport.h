#pragma once

#include <QByteArray>

class StatsModel;

// The /metrics page: the figures of the statistics model as metrics, then the
// latency histograms and the standard process metrics.
class MetricsReport {
public:
    static QByteArray text(const StatsModel &server);
};
