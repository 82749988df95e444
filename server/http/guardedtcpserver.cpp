#include "guardedtcpserver.h"
#include "connectionguard.h"
#include "guard/connectiontracker.h"

GuardedTcpServer::GuardedTcpServer(ConnectionTracker *tracker, const Limits &limits,
                                   QObject *parent)
    : QTcpServer(parent), m_tracker(tracker), m_limits(limits)
{
}

void GuardedTcpServer::incomingConnection(qintptr descriptor)
{
    auto *socket = new ConnectionGuard(m_limits, this);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        return;
    }
    if (!socket->admit(m_tracker)) {
        ConnectionGuard::refuse(
            socket,
            RequestHead::refusal(503, "Service Unavailable", QStringLiteral("too_many_connections"),
                                 QStringLiteral("Too many open connections; retry shortly.")),
            "Retry-After: 1\r\n");
        return;
    }
    addPendingConnection(socket);
    Q_EMIT newConnection();
}
