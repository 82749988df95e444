#include "connectionguard.h"
#include "connectiontracker.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTcpSocket>
#include <QTimer>

ConnectionGuard::ConnectionGuard(QTcpSocket *socket, ConnectionTracker *tracker, const QString &client,
                                 const GuardedTcpServer::Limits &limits)
    : QObject(socket), m_socket(socket), m_tracker(tracker), m_client(client), m_limits(limits),
      m_idle(new QTimer(this))
{
    m_idle->setSingleShot(true);
    m_idle->start(m_limits.idleTimeoutMs);
    connect(m_idle, &QTimer::timeout, this, [this] {
        m_tracker->countReaped();
        m_socket->abort();
    });
    connect(socket, &QTcpSocket::readyRead, this, &ConnectionGuard::inspect);
    connect(socket, &QTcpSocket::bytesWritten, m_idle, [this] { m_idle->start(m_limits.idleTimeoutMs); });
}

ConnectionGuard::~ConnectionGuard()
{
    m_tracker->release(m_client);
}

void ConnectionGuard::refuse(QTcpSocket *socket, int status, const QByteArray &reason, const QString &code,
                             const QString &message, const QByteArray &extraHeader)
{
    const QByteArray body = QJsonDocument(QJsonObject{{QStringLiteral("error"),
                                                       QJsonObject{{QStringLiteral("code"), code},
                                                                   {QStringLiteral("message"), message}}}})
                                .toJson(QJsonDocument::Compact);
    socket->write("HTTP/1.1 " + QByteArray::number(status) + ' ' + reason +
                  "\r\nContent-Type: application/json\r\nConnection: close\r\n" + extraHeader +
                  "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" + body);
    QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    socket->disconnectFromHost();
}

void ConnectionGuard::reject(int status, const QByteArray &reason, const QString &code, const QString &message)
{
    m_rejected = true;
    m_socket->readAll(); // QHttpServer, whose slot runs next, finds nothing to parse
    refuse(m_socket, status, reason, code, message);
}

void ConnectionGuard::inspect()
{
    m_idle->start(m_limits.idleTimeoutMs);
    if (m_rejected) {
        m_socket->readAll();
        return;
    }
    // QHttpServer reads inside a transaction that it commits only once a request is
    // complete, and reads everything that arrived each time: the unread data is what
    // arrived since. Bytes of a body whose head passed are skipped, so the data of a
    // large body arriving in several reads is not taken for the next head.
    const qint64 available = m_socket->bytesAvailable();
    const qint64 skip = std::min(available, m_bodyLeft);
    m_bodyLeft -= skip;
    if (skip == available)
        return;
    const QByteArray pending = m_socket->peek(skip + m_limits.maxHeaderBytes + 4).mid(skip);
    const qsizetype headEnd = pending.indexOf("\r\n\r\n");
    if (headEnd < 0) {
        if (pending.size() > m_limits.maxHeaderBytes)
            reject(431, "Request Header Fields Too Large", QStringLiteral("headers_too_large"),
                   QStringLiteral("The request head exceeds %1 bytes.").arg(m_limits.maxHeaderBytes));
        return;
    }
    const QByteArray head = pending.left(headEnd);
    const qsizetype lineEnd = head.indexOf("\r\n");
    const QList<QByteArray> requestLine = head.left(lineEnd < 0 ? head.size() : lineEnd).split(' ');
    if (requestLine.size() >= 2 && requestLine[1].startsWith("//")) {
        reject(404, "Not Found", QStringLiteral("not_found"),
               QStringLiteral("There is no resource at %1.").arg(QString::fromLatin1(requestLine[1].left(200))));
        return;
    }
    const QByteArray target = requestLine.size() >= 2 ? requestLine[1].split('?').constFirst() : QByteArray();
    const qint64 bodyLimit = !m_limits.bulkPath.isEmpty() && target == m_limits.bulkPath
                                 ? std::max(m_limits.maxBodyBytes, m_limits.maxBulkBodyBytes)
                                 : m_limits.maxBodyBytes;
    bool upgradeWebSocket = false;
    bool connectionUpgrade = false;
    qint64 declaredBody = 0;
    bool hasBody = false;
    for (const QByteArray &line : head.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0)
            continue;
        const QByteArray name = line.left(colon).trimmed().toLower();
        const QByteArray value = line.mid(colon + 1).trimmed();
        if (name == "content-length" && value.toLongLong() > bodyLimit) {
            reject(413, "Payload Too Large", QStringLiteral("body_too_large"),
                   QStringLiteral("The request body exceeds %1 bytes.").arg(bodyLimit));
            return;
        }
        if (name == "transfer-encoding" && value.toLower().contains("chunked")) {
            reject(411, "Length Required", QStringLiteral("length_required"),
                   QStringLiteral("Send request bodies with a Content-Length."));
            return;
        }
        if (name == "content-length")
            declaredBody = std::max<qint64>(0, value.toLongLong());
        hasBody = hasBody || (name == "content-length" && value.toLongLong() != 0) ||
                  name == "transfer-encoding";
        upgradeWebSocket =
            upgradeWebSocket || (name == "upgrade" && value.toLower() == "websocket");
        connectionUpgrade =
            connectionUpgrade || (name == "connection" && value.toLower().contains("upgrade"));
    }
    m_bodyLeft = std::max<qint64>(0, declaredBody - (available - skip - (headEnd + 4)));
    // Only a real opening handshake (a GET without a body that QHttpServer will hand to
    // the WebSocket server) leaves the guard: any other request naming "Upgrade" is
    // plain HTTP to Qt, whose body and idle time must stay bounded.
    if (upgradeWebSocket && connectionUpgrade && !hasBody && requestLine.constFirst() == "GET") {
        // From here on the connection speaks WebSocket, with its own limits and pings.
        m_idle->stop();
        disconnect(m_socket, &QTcpSocket::readyRead, this, &ConnectionGuard::inspect);
        disconnect(m_socket, &QTcpSocket::bytesWritten, m_idle, nullptr);
    }
}
