#pragma once

#include <QTcpServer>

class ConnectionTracker;

// The listening side of a worker with the limits QHttpServer 6.4 lacks: connections
// overall and per client, a deadline for idle keep-alive connections, and a check of
// each request's head (size, declared body length, odd targets) before Qt buffers it.
class GuardedTcpServer : public QTcpServer {
    Q_OBJECT
public:
    struct Limits {
        int idleTimeoutMs = 30000;
        int maxHeaderBytes = 16384;
        qint64 maxBodyBytes = 16384;
        // The bulk vote route has a larger body limit (see VoteService::bulkBodyBytes).
        QByteArray bulkPath;
        qint64 maxBulkBodyBytes = 16384;
    };

    GuardedTcpServer(ConnectionTracker *tracker, const Limits &limits, QObject *parent = nullptr);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    ConnectionTracker *m_tracker;
    Limits m_limits;
};
