#pragma once

#include "apidoccontroller.h"
#include "opscontroller.h"
#include "pagecontroller.h"
#include "pollcontroller.h"
#include "resultcontroller.h"
#include "router.h"
#include "shardcontroller.h"
#include "votecontroller.h"
#include "vote/voteservice.h"

#include <QObject>
#include <QPointer>
#include <QTcpServer>

class QHttpServer;
class LiveHub;
class DurableGate;

// One HTTP worker: a QHttpServer on its own thread, accepting on its own
// SO_REUSEPORT socket, with its own vote buffer.
class HttpWorker : public QObject {
    Q_OBJECT
public:
    HttpWorker(const ServerContext &server, int index, int socketDescriptor);
    ~HttpWorker() override;

    // Called on the worker's thread.
    void start();
    void stop();

private:
    void handle(const QHttpServerRequest &request, QHttpServerResponder &&responder);

    ServerContext m_server;
    int m_socketDescriptor;
    DurableGate *m_durable;
    WorkerScope m_scope;
    VoteService m_voteService;
    Router m_router;
    PollController m_polls;
    VoteController m_votes;
    ResultController m_results;
    OpsController m_ops;
    ShardController m_shards;
    PageController m_pages;
    ApiDocController m_apiDoc;
    LiveHub *m_live = nullptr;
    QHttpServer *m_http = nullptr;
    QPointer<QTcpServer> m_tcp; // QHttpServer::bind() may take ownership
};
