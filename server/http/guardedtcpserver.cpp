#include "guardedtcpserver.h"
#include "connectionguard.h"
#include "connectiontracker.h"
#include "requestguard.h"

#include <QTcpSocket>

GuardedTcpServer::GuardedTcpServer(ConnectionTracker *tracker, const Limits &limits, QObject *parent)
    : QTcpServer(parent), m_tracker(tracker), m_limits(limits)
{
}

void GuardedTcpServer::incomingConnection(qintptr descriptor)
{
    auto *socket = new QTcpSocket(this);
    if (!socket->setSocketDescriptor(descriptor)) {
        delete socket;
        return;
    }
    const QString client = RequestGuard::normalise(socket->peerAddress());
    if (!m_tracker->admit(client)) {
        ConnectionGuard::refuse(socket, 503, "Service Unavailable", QStringLiteral("too_many_connections"),
                                QStringLiteral("Too many open connections; retry shortly."),
                                "Retry-After: 1\r\n");
        return;
    }
    // The guard connects to readyRead before QHttpServer does, so it inspects first.
    new ConnectionGuard(socket, m_tracker, client, m_limits);
    addPendingConnection(socket);
    Q_EMIT newConnection();
}
