#pragma once

#include <QByteArray>

struct ServerContext;

// The /metrics page: every figure of /api/v1/stats as a metric, the latency
// histograms, the standard process metrics and build information.
class MetricsReport {
public:
    static QByteArray text(const ServerContext &server);
};
