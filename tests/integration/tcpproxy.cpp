#include "tcpproxy.h"

#include <QHostAddress>
#include <QTcpSocket>

namespace {

// Length of the complete RESP value at the start of `data`, or -1 while incomplete.
qsizetype respLength(const QByteArray &data, qsizetype from = 0)
{
    if (from >= data.size())
        return -1;
    const qsizetype lineEnd = data.indexOf("\r\n", from);
    if (lineEnd < 0)
        return -1;
    const char type = data[from];
    const qint64 number = data.mid(from + 1, lineEnd - from - 1).toLongLong();
    const qsizetype afterLine = lineEnd + 2;
    if (type == '$') {
        if (number < 0)
            return afterLine - from;
        const qsizetype end = afterLine + number + 2;
        return end <= data.size() ? end - from : -1;
    }
    if (type == '*') {
        qsizetype at = afterLine;
        for (qint64 i = 0; i < number; ++i) {
            const qsizetype length = respLength(data, at);
            if (length < 0)
                return -1;
            at += length;
        }
        return at - from;
    }
    return afterLine - from; // + - : and the like: one line
}

} // namespace

TcpProxy::TcpProxy(quint16 targetPort, QObject *parent) : QObject(parent), m_targetPort(targetPort)
{
    connect(&m_server, &QTcpServer::newConnection, this, &TcpProxy::accept);
}

TcpProxy::~TcpProxy()
{
    for (const auto &link : m_links) {
        link->client->abort();
        link->server->abort();
    }
}

bool TcpProxy::listen()
{
    return m_server.listen(QHostAddress::LocalHost, 0);
}

QString TcpProxy::url() const
{
    return QStringLiteral("redis://127.0.0.1:%1").arg(port());
}

int TcpProxy::subscribers() const
{
    int count = 0;
    for (const auto &link : m_links)
        count +=
            link->subscriber && link->client->state() == QAbstractSocket::ConnectedState ? 1 : 0;
    return count;
}

int TcpProxy::blackholeSubscribers()
{
    int count = 0;
    for (const auto &link : m_links)
        if (link->subscriber && !link->blackholed &&
            link->client->state() == QAbstractSocket::ConnectedState) {
            link->blackholed = true;
            ++count;
        }
    return count;
}

void TcpProxy::dropMessages(const QByteArray &marker, int count)
{
    m_dropMarker = marker;
    m_dropBudget = count;
}

void TcpProxy::accept()
{
    while (QTcpSocket *client = m_server.nextPendingConnection()) {
        auto link = std::make_unique<Link>();
        link->client = client;
        client->setParent(this);
        link->server = new QTcpSocket(this);
        Link *raw = link.get();
        connect(client, &QTcpSocket::readyRead, this, [this, raw] { forwardToServer(raw); });
        connect(link->server, &QTcpSocket::readyRead, this, [this, raw] { forwardToClient(raw); });
        connect(link->server, &QTcpSocket::connected, this, [this, raw] { forwardToServer(raw); });
        connect(client, &QTcpSocket::disconnected, link->server, &QTcpSocket::disconnectFromHost);
        connect(link->server, &QTcpSocket::disconnected, client, &QTcpSocket::disconnectFromHost);
        link->server->connectToHost(QHostAddress::LocalHost, m_targetPort);
        m_links.push_back(std::move(link));
    }
}

void TcpProxy::forwardToServer(Link *link)
{
    if (link->server->state() != QAbstractSocket::ConnectedState)
        return; // sent once connected
    const QByteArray bytes = link->client->readAll();
    if (link->blackholed)
        return;
    if (bytes.toUpper().contains("SUBSCRIBE"))
        link->subscriber = true;
    link->server->write(bytes);
}

void TcpProxy::forwardToClient(Link *link)
{
    link->fromServer += link->server->readAll();
    if (link->blackholed) {
        link->fromServer.clear();
        return;
    }
    if (!link->subscriber) {
        link->client->write(std::exchange(link->fromServer, {}));
        return;
    }
    for (;;) {
        const qsizetype length = respLength(link->fromServer);
        if (length < 0)
            return;
        const QByteArray value = link->fromServer.left(length);
        link->fromServer.remove(0, length);
        if (m_dropBudget > 0 && value.startsWith("*3\r\n$7\r\nmessage\r\n") &&
            value.contains(m_dropMarker)) {
            --m_dropBudget;
            ++m_dropped;
            continue;
        }
        link->client->write(value);
    }
}
