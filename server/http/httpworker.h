#pragma once

#include "apidoccontroller.h"
#include "exportcontroller.h"
#include "leanpath.h"
#include "opscontroller.h"
#include "pagecontroller.h"
#include "pollcontroller.h"
#include "resultcontroller.h"
#include "routepolicy.h"
#include "router.h"
#include "shardcontroller.h"
#include "vote/voteservice.h"
#include "votecontroller.h"

#include <QObject>
#include <QPointer>
#include <QTcpServer>
#include <memory>

class QHttpServer;
class Config;
class ConnectionTracker;
class DurableGate;
class Journal;
class LiveFeed;
class LiveHub;
class PollCatalog;
class RequestGuard;
class ResultService;
class StatsModel;
class StorageEngine;
class VoteLedger;
struct ServerStats;

// One HTTP worker: a QHttpServer on its own thread, accepting on its own
// SO_REUSEPORT socket, with its own vote buffer.
class HttpWorker : public QObject {
    Q_OBJECT
public:
    // What the worker's controllers, vote service and WebSocket hub use; owned by
    // TallyServer, complete before the first worker is made, and alive until the last
    // worker is gone.
    struct Services {
        const Config &config;
        const PollCatalog &catalog;
        VoteLedger &ledger;
        StorageEngine &storage;
        ServerStats &stats;
        Journal *journal; // null when votes are not journaled
        RequestGuard &guard;
        ConnectionTracker &connections;
        LiveFeed &live;
        const ResultService &results;
        const StatsModel &statsModel;
    };

    HttpWorker(const Services &services, int index, int socketDescriptor);
    ~HttpWorker() override;

    // Called on the worker's thread.
    void start();
    void stop();

private:
    void handle(const QHttpServerRequest &request, QHttpServerResponder &&responder);
    // Every request, from QHttpServer or the lean path: counted, traced, routed.
    void dispatch(HttpExchange exchange);

    Services m_services;
    int m_index;
    int m_socketDescriptor;
    DurableGate *m_durable;
    WorkerScope m_scope;
    VoteService m_voteService;
    RoutePolicy m_policy;
    Router::Step m_admit;
    Router m_router;
    PollController m_polls;
    VoteController m_votes;
    ResultController m_results;
    ExportController m_exports;
    OpsController m_ops;
    ShardController m_shards;
    PageController m_pages;
    ApiDocController m_apiDoc;
    LiveHub *m_live = nullptr;
    QHttpServer *m_http = nullptr;
    std::unique_ptr<LeanPath> m_lean;
    QPointer<QTcpServer> m_tcp; // QHttpServer::bind() may take ownership
};
