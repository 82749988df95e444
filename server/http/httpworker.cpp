#include "httpworker.h"
#include "core/config.h"
#include "core/logcategories.h"
#include "core/logger.h"
#include "core/periodic.h"
#include "core/serverstats.h"
#include "guard/requestguard.h"
#include "guardedtcpserver.h"
#include "leanpath.h"
#include "listensocket.h"
#include "protocol/protocol.h"
#include "storage/journal.h"
#include "vote/durablegate.h"
#include "websocket/livehub.h"

#include <QHttpServer>
#include <QTcpServer>
#include <QTimer>

HttpWorker::HttpWorker(const Services &services, int index, int socketDescriptor)
    : m_services(services), m_index(index), m_socketDescriptor(socketDescriptor),
      m_durable(new DurableGate(services.journal && services.journal->mode() == Journal::Mode::Sync,
                                this)),
      m_scope{this},
      m_voteService(services.config, services.catalog, services.ledger, services.storage,
                    services.stats, services.journal, &services.guard, index, this, m_durable),
      m_policy(&services.guard, services.config), m_admit(m_policy.step()),
      m_polls(m_scope, services.config, services.catalog, services.storage),
      m_votes(services.config, services.catalog, &services.guard, &m_voteService),
      m_results(services.results, services.config, this), m_exports(services.results, this),
      m_ops(services.config, services.statsModel, services.catalog, services.storage,
            services.journal),
      m_shards(m_scope, services.config, services.storage),
      m_pages(services.config, services.catalog)
{
    const QString prefix = services.config.apiPrefix();
    if (services.journal)
        services.journal->registerWorker(
            index, m_durable, [gate = m_durable](quint64 sequence) { gate->reached(sequence); });
    m_router.setMetrics(&services.stats.http);
    m_polls.registerRoutes(m_router, prefix);
    m_votes.registerRoutes(m_router, prefix);
    m_results.registerRoutes(m_router, prefix);
    m_exports.registerRoutes(m_router, prefix);
    m_ops.registerRoutes(m_router, prefix);
    m_shards.registerRoutes(m_router, prefix);
    m_pages.registerRoutes(m_router);
    m_apiDoc.registerRoutes(m_router, prefix);
}

HttpWorker::~HttpWorker()
{
    if (!m_tcp)
        ListenSocket::close(m_socketDescriptor);
}

void HttpWorker::start()
{
    Histogram::bindThreadSlot(m_index);
    GuardedTcpServer::Limits limits;
    limits.idleTimeoutMs = m_services.config.idleTimeoutMs();
    limits.headerTimeoutMs = m_services.config.headerTimeoutMs();
    limits.minBodyRate = m_services.config.minBodyRate();
    limits.maxHeaderBytes = m_services.config.maxHeaderBytes();
    limits.maxBodyBytes = m_services.config.maxBodyBytes();
    // The bulk route takes up to VoteService::MaxBulkVotes votes in one body.
    limits.bulkPath = (m_services.config.apiPrefix() + Protocol::BulkVotesPath.toString()).toUtf8();
    limits.maxBulkBodyBytes = VoteService::bulkBodyBytes(m_services.config);
    m_lean =
        std::make_unique<LeanPath>(m_services.config.apiPrefix().toUtf8(),
                                   [this](const HttpExchange &exchange) { dispatch(exchange); });
    limits.lean = [lean = m_lean.get()](ConnectionGuard *guard, qint64 bytes) {
        return lean->take(guard, bytes);
    };
    m_tcp = new GuardedTcpServer(&m_services.connections, limits, this);
    if (!m_tcp->setSocketDescriptor(m_socketDescriptor)) {
        qCWarning(lcHttp, "HTTP worker %d: cannot take over the listening socket: %s", m_index,
                  qPrintable(m_tcp->errorString()));
        return;
    }
    m_http = new QHttpServer(this);
    // Every request goes through our own router (see Router for why).
    m_http->setMissingHandler(
        [this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
            handle(request, std::move(responder));
        });
    // The WebSocket endpoint is a real route: QHttpServer only upgrades requests a
    // route claims. It must not answer an upgrade request itself; anything else (an
    // Upgrade header without "Connection: upgrade" included) gets 426.
    const QString wsPath = m_services.config.apiPrefix() + Protocol::WebSocketPath.toString();
    m_http->route(wsPath, [wsPath](const QHttpServerRequest &request,
                                   QHttpServerResponder &&responder) {
        if (request.value("Upgrade").compare("websocket", Qt::CaseInsensitive) == 0 &&
            request.value("Connection").toLower().contains("upgrade"))
            return;
        HttpExchange(request, std::move(responder))
            .replyError(HttpExchange::Status::UpgradeRequired, QStringLiteral("upgrade_required"),
                        QStringLiteral("%1 speaks WebSocket only.").arg(wsPath),
                        QByteArrayLiteral("Upgrade"), QByteArrayLiteral("websocket"));
    });
    m_live =
        new LiveHub(&m_services.live, &m_services.catalog, &m_voteService, &m_services.guard, this);
    m_live->setIdleTimeout(m_services.config.webSocketIdleTimeoutMs());
    m_live->acceptFrom(m_http);
    m_http->bind(m_tcp);
    if (m_index == 0) {
        // Idle buckets hold no information; dropping them keeps memory bounded.
        Periodic::every(this, Periodic::RateLimitEvictionMs,
                        [guard = &m_services.guard] { guard->evictIdle(); });
    }
}

void HttpWorker::stop()
{
    if (m_live) {
        m_live->closeAll(1001, QStringLiteral("server shutting down"));
        delete m_live;
        m_live = nullptr;
    }
    // Deleting the server closes the listening socket and every client connection.
    delete m_http;
    m_http = nullptr;
    delete m_tcp.data();
}

void HttpWorker::handle(const QHttpServerRequest &request, QHttpServerResponder &&responder)
{
    dispatch(HttpExchange(request, std::move(responder)));
}

void HttpWorker::dispatch(HttpExchange exchange)
{
    ServerStats::bump(m_services.stats.requests);
    QString client;
    if (Logger::accessLogEnabled())
        client = exchange.client(&m_services.guard);
    exchange.setTrace(std::make_shared<RequestTrace>(
        &m_services.stats.http, Router::methodName(exchange.method()), exchange.path(), client));
    m_router.dispatch(exchange, m_admit);
}
