#pragma once

#include "guardedtcpserver.h"

#include <QObject>

class QTcpSocket;
class QTimer;

// Watches one client connection. It sees every chunk before QHttpServer does
// (its slot is connected first): when the head of the pending request is too large,
// declares a body over the limit, or names an odd target, it answers with a JSON
// error and closes, so the body is never buffered. It also closes the connection
// after the idle timeout.
class ConnectionGuard : public QObject {
    Q_OBJECT
public:
    ConnectionGuard(QTcpSocket *socket, ConnectionTracker *tracker, const QString &client,
                    const GuardedTcpServer::Limits &limits);
    ~ConnectionGuard() override;

    // Answers a refused connection and closes it.
    static void refuse(QTcpSocket *socket, int status, const QByteArray &reason,
                       const QString &code, const QString &message,
                       const QByteArray &extraHeader = {});

private:
    void inspect();
    void reject(int status, const QByteArray &reason, const QString &code, const QString &message);

    QTcpSocket *m_socket;
    ConnectionTracker *m_tracker;
    QString m_client;
    GuardedTcpServer::Limits m_limits;
    QTimer *m_idle;
    bool m_rejected = false;
    qint64 m_bodyLeft = 0; // bytes of the current request's body still to arrive
};
