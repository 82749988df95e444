#pragma once

#include <QByteArray>

class StatsModel;

// The /metrics page: every figure of /api/v1/stats as a metric, the latency
// histograms, the standard process metrics and build information.
class MetricsReport {
public:
    static QByteArray text(const StatsModel &server);
};
