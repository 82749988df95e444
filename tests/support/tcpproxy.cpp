#include "tcpproxy.h"

#include <QHostAddress>
#include <QTcpServer>
#include <QTcpSocket>
#include <QThread>
#include <vector>

namespace {

// Length of the complete RESP value at `from` in `data`, or -1 while incomplete.
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

// The proxy's state and sockets, on the proxy's thread.
class TcpProxy::Relay : public QObject {
public:
    explicit Relay(quint16 targetPort) : m_targetPort(targetPort)
    {
        connect(&m_server, &QTcpServer::newConnection, this, &Relay::accept);
    }
    ~Relay() override
    {
        for (const auto &link : m_links) {
            link->client->abort();
            link->server->abort();
        }
    }

    quint16 listen()
    {
        return m_server.listen(QHostAddress::LocalHost, 0) ? m_server.serverPort() : 0;
    }

    int blackholeSubscribers()
    {
        int count = 0;
        for (const auto &link : m_links)
            if (link->subscriber && !link->blackholed && open(*link)) {
                link->blackholed = true;
                ++count;
            }
        return count;
    }
    void dropMessages(const QByteArray &marker, int count)
    {
        m_dropMarker = marker;
        m_dropBudget = count;
    }
    int dropped() const { return m_dropped; }
    void setCut(bool cut)
    {
        m_cut = cut;
        if (cut)
            for (const auto &link : m_links) {
                link->client->abort();
                link->server->abort();
            }
    }
    int subscribers() const
    {
        int count = 0;
        for (const auto &link : m_links)
            count += link->subscriber && open(*link) ? 1 : 0;
        return count;
    }

private:
    struct Link {
        QTcpSocket *client = nullptr;
        QTcpSocket *server = nullptr;
        bool subscriber = false;
        bool blackholed = false;
        QByteArray fromServer; // not yet forwarded (an incomplete RESP value)
    };
    static bool open(const Link &link)
    {
        return link.client->state() == QAbstractSocket::ConnectedState;
    }

    void accept()
    {
        while (QTcpSocket *client = m_server.nextPendingConnection()) {
            if (m_cut) {
                client->abort();
                client->deleteLater();
                continue;
            }
            auto link = std::make_unique<Link>();
            link->client = client;
            client->setParent(this);
            link->server = new QTcpSocket(this);
            Link *raw = link.get();
            connect(client, &QTcpSocket::readyRead, this, [this, raw] { toServer(raw); });
            connect(link->server, &QTcpSocket::readyRead, this, [this, raw] { toClient(raw); });
            connect(link->server, &QTcpSocket::connected, this, [this, raw] { toServer(raw); });
            connect(client, &QTcpSocket::disconnected, link->server,
                    &QTcpSocket::disconnectFromHost);
            connect(link->server, &QTcpSocket::disconnected, client,
                    &QTcpSocket::disconnectFromHost);
            link->server->connectToHost(QHostAddress::LocalHost, m_targetPort);
            m_links.push_back(std::move(link));
        }
    }

    void toServer(Link *link)
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

    void toClient(Link *link)
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

    QTcpServer m_server{this};
    quint16 m_targetPort;
    std::vector<std::unique_ptr<Link>> m_links;
    QByteArray m_dropMarker;
    int m_dropBudget = 0;
    int m_dropped = 0;
    bool m_cut = false;
};

TcpProxy::TcpProxy(quint16 targetPort)
    : m_thread(std::make_unique<QThread>()), m_relay(new Relay(targetPort))
{
    m_relay->moveToThread(m_thread.get());
    m_thread->start();
}

TcpProxy::~TcpProxy()
{
    QMetaObject::invokeMethod(
        m_relay, [this] { delete m_relay; }, Qt::BlockingQueuedConnection);
    m_thread->quit();
    m_thread->wait();
}

bool TcpProxy::listen()
{
    QMetaObject::invokeMethod(
        m_relay, [this] { m_port = m_relay->listen(); }, Qt::BlockingQueuedConnection);
    return m_port != 0;
}

QString TcpProxy::url() const
{
    return QStringLiteral("redis://127.0.0.1:%1").arg(m_port);
}

int TcpProxy::blackholeSubscribers()
{
    int count = 0;
    QMetaObject::invokeMethod(
        m_relay, [&] { count = m_relay->blackholeSubscribers(); }, Qt::BlockingQueuedConnection);
    return count;
}

void TcpProxy::dropMessages(const QByteArray &marker, int count)
{
    QMetaObject::invokeMethod(
        m_relay, [&] { m_relay->dropMessages(marker, count); }, Qt::BlockingQueuedConnection);
}

int TcpProxy::dropped() const
{
    int count = 0;
    QMetaObject::invokeMethod(
        m_relay, [&] { count = m_relay->dropped(); }, Qt::BlockingQueuedConnection);
    return count;
}

int TcpProxy::subscribers() const
{
    int count = 0;
    QMetaObject::invokeMethod(
        m_relay, [&] { count = m_relay->subscribers(); }, Qt::BlockingQueuedConnection);
    return count;
}

void TcpProxy::setCut(bool cut)
{
    QMetaObject::invokeMethod(
        m_relay, [&] { m_relay->setCut(cut); }, Qt::BlockingQueuedConnection);
}
