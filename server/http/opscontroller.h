#pragma once

#include "router.h"
#include "workerscope.h"

#include <QJsonObject>

// Operations endpoints: /health, /ready, /metrics, {prefix}/stats, {prefix}/ring.
class OpsController {
public:
    explicit OpsController(const WorkerScope &scope) : m_scope(scope) {}
    void registerRoutes(Router &router, const QString &prefix);

    // Shard addresses (data-directory paths, Redis host:port) only with `showAddresses`.
    static QJsonObject statsJson(const ServerContext &server, bool showAddresses = false);
    static QJsonObject ringJson(const ServerContext &server, bool showAddresses = false);
    // An admin caller: a token is configured and the request presents it.
    static bool isAdminCaller(const HttpExchange &exchange, const ServerContext &server);
    static QByteArray metricsText(const ServerContext &server);

private:
    WorkerScope m_scope;
};
