#pragma once

#include <QByteArray>
#include <functional>

class ConnectionGuard;
class HttpExchange;

// The hot routes (single and bulk votes, results) without QHttpServer's per-request
// machinery, on the same connections: ConnectionGuard offers each complete request it
// accepted (every connection rule, limit and deadline already applied); a request
// LeanRequest reads as a hot route is taken off the socket and handed to the worker's
// own dispatch (the same Router, budgets, controllers, traces and JSON errors as any
// other request); its answer is written in request order by HttpExchange. Everything
// else is left for QHttpServer.
class LeanPath {
public:
    using Dispatch = std::function<void(const HttpExchange &exchange)>;

    LeanPath(QByteArray apiPrefix, Dispatch dispatch);

    // The hook for GuardedTcpServer::Limits::lean.
    bool take(ConnectionGuard *guard, qint64 bytes) const;

private:
    QByteArray m_apiPrefix;
    Dispatch m_dispatch;
};
