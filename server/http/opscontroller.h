#pragma once

#include "router.h"
#include "workerscope.h"

#include <QJsonObject>

// Operations endpoints: /health, /ready, /metrics, {prefix}/stats, {prefix}/ring.
class OpsController {
public:
    explicit OpsController(const WorkerScope &scope) : m_scope(scope) {}
    void registerRoutes(Router &router, const QString &prefix);

    static QJsonObject statsJson(const ServerContext &server);
    static QJsonObject ringJson(const ServerContext &server);
    static QByteArray metricsText(const ServerContext &server);

private:
    WorkerScope m_scope;
};
