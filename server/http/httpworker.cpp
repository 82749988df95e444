#include "httpworker.h"
#include "core/config.h"
#include "core/logcategories.h"
#include "core/logger.h"
#include "core/serverstats.h"
#include "vote/durablegate.h"
#include "guardedtcpserver.h"
#include "requestguard.h"
#include "listensocket.h"
#include "storage/journal.h"
#include "live/livehub.h"

#include <QHttpServer>
#include <QTcpServer>
#include <QTimer>

HttpWorker::HttpWorker(const ServerContext &server, int index, int socketDescriptor)
    : m_server(server), m_socketDescriptor(socketDescriptor),
      m_durable(new DurableGate(server.journal && server.journal->mode() == Journal::Mode::Sync, this)),
      m_scope{server, index, this, m_durable},
      m_voteService(server, server.guard, index, this, m_durable),
      m_polls(m_scope), m_votes(m_scope, &m_voteService), m_results(m_scope), m_ops(m_scope), m_shards(m_scope), m_pages(m_scope)
{
    const QString prefix = server.config->apiPrefix();
    if (server.journal)
        server.journal->registerWorker(index, m_durable, [gate = m_durable](quint64 sequence) { gate->reached(sequence); });
    m_router.setGuard(server.guard);
    m_router.setMetrics(&server.stats->http);
    m_polls.registerRoutes(m_router, prefix);
    m_votes.registerRoutes(m_router, prefix);
    m_results.registerRoutes(m_router, prefix);
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
    Histogram::bindThreadSlot(m_scope.workerIndex);
    GuardedTcpServer::Limits limits;
    limits.idleTimeoutMs = m_server.config->idleTimeoutMs();
    limits.headerTimeoutMs = m_server.config->headerTimeoutMs();
    limits.minBodyRate = m_server.config->value(QStringLiteral("min-body-rate")).toLongLong();
    limits.maxHeaderBytes = m_server.config->value(QStringLiteral("max-header")).toInt();
    limits.maxBodyBytes = m_server.config->maxBodyBytes();
    // The bulk route takes up to VoteService::MaxBulkVotes votes in one body.
    limits.bulkPath = (m_server.config->apiPrefix() + QStringLiteral("/votes")).toUtf8();
    limits.maxBulkBodyBytes = VoteService::bulkBodyBytes(*m_server.config);
    m_tcp = new GuardedTcpServer(m_server.connections, limits, this);
    if (!m_tcp->setSocketDescriptor(m_socketDescriptor)) {
        qCWarning(lcHttp, "HTTP worker %d: cannot take over the listening socket: %s", m_scope.workerIndex,
                 qPrintable(m_tcp->errorString()));
        return;
    }
    m_http = new QHttpServer(this);
    // Every request goes through our own router (see Router for why).
    m_http->setMissingHandler([this](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
        handle(request, std::move(responder));
    });
    // The WebSocket endpoint is a real route: QHttpServer only upgrades requests a
    // route claims. It must not answer an upgrade request itself; anything else (an
    // Upgrade header without "Connection: upgrade" included) gets 426.
    const QString wsPath = m_server.config->apiPrefix() + QStringLiteral("/ws");
    m_http->route(wsPath, [wsPath](const QHttpServerRequest &request, QHttpServerResponder &&responder) {
        if (request.value("Upgrade").compare("websocket", Qt::CaseInsensitive) == 0 &&
            request.value("Connection").toLower().contains("upgrade"))
            return;
        HttpExchange(request, std::move(responder))
            .replyError(HttpExchange::Status::UpgradeRequired, QStringLiteral("upgrade_required"),
                        QStringLiteral("%1 speaks WebSocket only.").arg(wsPath),
                        QByteArrayLiteral("Upgrade"), QByteArrayLiteral("websocket"));
    });
    if (m_server.live) {
        m_live = new LiveHub(m_server.live, m_server.catalog, &m_voteService, m_server.guard, this);
        m_live->setIdleTimeout(m_server.config->webSocketIdleTimeoutMs());
        m_live->acceptFrom(m_http);
    }
    m_http->bind(m_tcp);
    if (m_server.guard && m_scope.workerIndex == 0) {
        // Idle buckets hold no information; dropping them keeps memory bounded.
        auto *evict = new QTimer(this);
        connect(evict, &QTimer::timeout, this, [guard = m_server.guard] { guard->evictIdle(); });
        evict->start(10000);
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
    ServerStats::bump(m_server.stats->requests);
    HttpExchange exchange(request, std::move(responder));
    QString client;
    if (Logger::accessLogEnabled())
        client = m_server.guard ? m_server.guard->clientOf(exchange.peer(), exchange.header("X-Forwarded-For"),
                                                           exchange.header("X-Real-IP"))
                                : exchange.peer().toString();
    exchange.setTrace(std::make_shared<RequestTrace>(&m_server.stats->http, Router::methodName(exchange.method()),
                                                     exchange.path(), client));
    m_router.dispatch(exchange);
}
