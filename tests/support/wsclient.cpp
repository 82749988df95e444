#include "wsclient.h"

#include <QNetworkRequest>

#include <QDateTime>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTimer>
#include <QWebSocket>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

WsClient::WsClient(QObject *parent)
    : QObject(parent), m_socket(new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this))
{
    connect(m_socket, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        QJsonParseError parseError;
        const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8(), &parseError);
        m_received.append(parseError.error == QJsonParseError::NoError && document.isObject()
                              ? document.object()
                              : QJsonObject{{QStringLiteral("_raw"), text}});
        m_receivedAt.append(QDateTime::currentMSecsSinceEpoch());
        m_read.append(false);
        Q_EMIT activity();
    });
    connect(m_socket, &QWebSocket::connected, this, &WsClient::activity);
    connect(m_socket, &QWebSocket::disconnected, this, &WsClient::activity);
    connect(m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this] {
        m_error = m_socket->errorString();
        Q_EMIT activity();
    });
}

WsClient::~WsClient()
{
    m_socket->abort();
}

QUrl WsClient::wsUrl(const QUrl &httpBase, const QString &path)
{
    QUrl url = httpBase;
    url.setScheme(httpBase.scheme() == u"https" ? QStringLiteral("wss") : QStringLiteral("ws"));
    url.setPath(path);
    return url;
}

bool WsClient::open(const QUrl &url, int timeoutMs)
{
    return open(QNetworkRequest(url), timeoutMs);
}

bool WsClient::open(const QNetworkRequest &request, int timeoutMs)
{
    const QUrl url = request.url();
    m_error.clear();
    m_socket->open(request);
    const bool done = waitUntil(
        [this] {
            return m_socket->state() == QAbstractSocket::ConnectedState || !m_error.isEmpty();
        },
        timeoutMs);
    if (!done && m_error.isEmpty())
        m_error =
            QStringLiteral("no handshake with %1 within %2 ms").arg(url.toString()).arg(timeoutMs);
    return isConnected();
}

bool WsClient::isConnected() const
{
    return m_socket->state() == QAbstractSocket::ConnectedState;
}

void WsClient::send(const QJsonObject &message)
{
    m_socket->sendTextMessage(
        QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
}

void WsClient::sendText(const QString &text)
{
    m_socket->sendTextMessage(text);
}

void WsClient::sendBinary(const QByteArray &data)
{
    m_socket->sendBinaryMessage(data);
}

bool WsClient::sync(int timeoutMs)
{
    const QString ref = QStringLiteral("sync-%1").arg(m_nextRef++);
    send({{QStringLiteral("type"), QStringLiteral("ping")}, {QStringLiteral("ref"), ref}});
    return next(
               [&ref](const QJsonObject &m) {
                   return m.value(QStringLiteral("type")).toString() == u"pong" &&
                          m.value(QStringLiteral("ref")).toString() == ref;
               },
               timeoutMs)
        .has_value();
}

std::optional<QJsonObject> WsClient::next(const std::function<bool(const QJsonObject &)> &match,
                                          int timeoutMs)
{
    qsizetype scanned = 0;
    std::optional<QJsonObject> found;
    auto scan = [&] {
        for (; !found && scanned < m_received.size(); ++scanned) {
            if (!m_read[scanned] && match(m_received[scanned])) {
                m_read[scanned] = true;
                found = m_received[scanned];
            }
        }
        return found.has_value();
    };
    waitUntil(scan, timeoutMs);
    return found;
}

std::optional<QJsonObject> WsClient::nextOfType(const QString &type, int timeoutMs)
{
    return next(
        [&type](const QJsonObject &m) {
            return m.value(QStringLiteral("type")).toString() == type;
        },
        timeoutMs);
}

QList<QJsonObject> WsClient::takeUnread(const QString &type)
{
    QList<QJsonObject> out;
    for (qsizetype i = 0; i < m_received.size(); ++i) {
        if (m_read[i] ||
            (!type.isEmpty() && m_received[i].value(QStringLiteral("type")).toString() != type))
            continue;
        m_read[i] = true;
        out.append(m_received[i]);
    }
    return out;
}

int WsClient::unreadCount(const QString &type) const
{
    int count = 0;
    for (qsizetype i = 0; i < m_received.size(); ++i)
        if (!m_read[i] &&
            (type.isEmpty() || m_received[i].value(QStringLiteral("type")).toString() == type))
            ++count;
    return count;
}

bool WsClient::waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    if (done())
        return true;
    QEventLoop loop;
    QTimer deadline;
    deadline.setSingleShot(true);
    connect(&deadline, &QTimer::timeout, &loop, &QEventLoop::quit);
    // Conditions may also depend on other objects (another client, a clock): look again
    // now and then, not only when this socket has news.
    QTimer poll;
    auto check = [&] {
        if (done())
            loop.quit();
    };
    connect(&poll, &QTimer::timeout, &loop, check);
    const QMetaObject::Connection onActivity = connect(this, &WsClient::activity, &loop, check);
    deadline.start(std::max(0, timeoutMs));
    poll.start(20);
    loop.exec();
    disconnect(onActivity);
    return done();
}

bool WsClient::waitForDisconnected(int timeoutMs)
{
    return waitUntil([this] { return m_socket->state() == QAbstractSocket::UnconnectedState; },
                     timeoutMs);
}

int WsClient::closeCode() const
{
    return int(m_socket->closeCode());
}

QString WsClient::closeReason() const
{
    return m_socket->closeReason();
}

void WsClient::close()
{
    m_socket->close();
}

// --- RawWsClient ------------------------------------------------------------------------

RawWsClient::~RawWsClient()
{
    close();
}

void RawWsClient::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
}

QByteArray RawWsClient::frame(quint8 opcode, const QByteArray &payload, bool masked, bool final)
{
    QByteArray out;
    out.append(char((final ? 0x80 : 0x00) | (opcode & 0x0f)));
    const quint8 maskBit = masked ? 0x80 : 0x00;
    const quint64 size = quint64(payload.size());
    if (size <= 125) {
        out.append(char(maskBit | size));
    } else if (size <= 0xffff) {
        out.append(char(maskBit | 126));
        out.append(char(size >> 8));
        out.append(char(size & 0xff));
    } else {
        out.append(char(maskBit | 127));
        for (int shift = 56; shift >= 0; shift -= 8)
            out.append(char((size >> shift) & 0xff));
    }
    if (!masked)
        return out + payload;
    const quint32 key = QRandomGenerator::global()->generate();
    const char mask[4] = {char(key >> 24), char(key >> 16), char(key >> 8), char(key)};
    out.append(mask, 4);
    QByteArray body = payload;
    for (qsizetype i = 0; i < body.size(); ++i)
        body[i] = char(body[i] ^ mask[i % 4]);
    return out + body;
}

bool RawWsClient::open(quint16 port, const QByteArray &path, int receiveBuffer, int timeoutMs)
{
    close();
    m_response.clear();
    m_fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (m_fd < 0) {
        m_error = QStringLiteral("socket: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        return false;
    }
    if (receiveBuffer > 0)
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &receiveBuffer, sizeof receiveBuffer);
    const int one = 1;
    ::setsockopt(m_fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    timeval tv{timeoutMs / 1000, (timeoutMs % 1000) * 1000};
    ::setsockopt(m_fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
    ::setsockopt(m_fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
    sockaddr_in address{};
    address.sin_family = AF_INET;
    address.sin_port = htons(port);
    address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(m_fd, reinterpret_cast<sockaddr *>(&address), sizeof address) != 0) {
        m_error = QStringLiteral("connect: %1").arg(QString::fromLocal8Bit(strerror(errno)));
        close();
        return false;
    }
    QByteArray key(16, Qt::Uninitialized);
    for (char &c : key)
        c = char(QRandomGenerator::global()->bounded(256));
    const QByteArray request =
        "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1:" + QByteArray::number(port) +
        "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: " + key.toBase64() +
        "\r\nSec-WebSocket-Version: 13\r\n\r\n";
    if (::send(m_fd, request.constData(), size_t(request.size()), MSG_NOSIGNAL) != request.size()) {
        m_error = QStringLiteral("cannot send the upgrade request");
        close();
        return false;
    }
    // Read the answer byte by byte so that nothing after its headers is consumed.
    const QDeadlineTimer deadline(timeoutMs);
    while (!m_response.endsWith("\r\n\r\n")) {
        char c;
        const ssize_t n = ::recv(m_fd, &c, 1, 0);
        if (n != 1 || deadline.hasExpired() || m_response.size() > 8192) {
            m_error = QStringLiteral("no complete handshake answer: %1")
                          .arg(QString::fromLatin1(m_response));
            close();
            return false;
        }
        m_response.append(c);
    }
    if (!m_response.startsWith("HTTP/1.1 101")) {
        m_error = QStringLiteral("upgrade refused: %1").arg(QString::fromLatin1(m_response));
        close();
        return false;
    }
    return true;
}

RawWsClient::Sent RawWsClient::sendFrame(quint8 opcode, const QByteArray &payload, int timeoutMs)
{
    if (m_fd < 0)
        return Sent::Closed;
    const QByteArray bytes = frame(opcode, payload);
    const QDeadlineTimer deadline(timeoutMs);
    qsizetype offset = 0;
    while (offset < bytes.size()) {
        const ssize_t n = ::send(m_fd, bytes.constData() + offset, size_t(bytes.size() - offset),
                                 MSG_NOSIGNAL | MSG_DONTWAIT);
        if (n > 0) {
            offset += n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (deadline.hasExpired())
                return Sent::Blocked;
            pollfd p{m_fd, POLLOUT, 0};
            ::poll(&p, 1, int(std::min<qint64>(50, deadline.remainingTime())));
            continue;
        }
        if (n < 0 && errno == EINTR)
            continue;
        return Sent::Closed;
    }
    return Sent::Ok;
}
