#pragma once

#include <QTcpServer>
#include <functional>

class ConnectionGuard;
class ConnectionTracker;

// The listening side of a worker with the limits QHttpServer 6.4 lacks: connections
// overall and per client, and for each connection a ConnectionGuard socket (request
// checks, deadlines, ordered answers to pipelined requests; see there).
class GuardedTcpServer : public QTcpServer {
    Q_OBJECT
public:
    struct Limits {
        int idleTimeoutMs = 30000;
        int headerTimeoutMs = 10000;
        qint64 minBodyRate = 1024; // bytes per second after the head; 0: no deadline
        int maxHeaderBytes = 16384;
        qint64 maxBodyBytes = 16384;
        // The bulk vote route has a larger body limit (see VoteService::bulkBodyBytes).
        QByteArray bulkPath;
        qint64 maxBulkBodyBytes = 16384;
        // Offered every complete, accepted request of `bytes` bytes at the head of the
        // guard's input; true when it took the request (see LeanPath).
        std::function<bool(ConnectionGuard *guard, qint64 bytes)> lean;
    };

    GuardedTcpServer(ConnectionTracker *tracker, const Limits &limits, QObject *parent = nullptr);

protected:
    void incomingConnection(qintptr descriptor) override;

private:
    ConnectionTracker *m_tracker;
    Limits m_limits;
};
