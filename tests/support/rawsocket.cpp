#include "rawsocket.h"

#include <QDeadlineTimer>
#include <QJsonDocument>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <utility>

namespace {

int newSocket(const char *source, QString *error)
{
    const int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        *error = QStringLiteral("socket: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return -1;
    }
    const int one = 1;
    ::setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    if (source) {
        // Without SO_REUSEADDR, this socket's TIME_WAIT would keep later listeners of other
        // tests off its port on the source address.
        ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
        sockaddr_in local{};
        local.sin_family = AF_INET;
        local.sin_port = 0;
        ::inet_pton(AF_INET, source, &local.sin_addr);
        if (::bind(fd, reinterpret_cast<sockaddr *>(&local), sizeof(local)) != 0) {
            *error =
                QStringLiteral("bind %1: %2")
                    .arg(QString::fromLatin1(source), QString::fromLocal8Bit(std::strerror(errno)));
            ::close(fd);
            return -1;
        }
    }
    return fd;
}

bool startConnect(int fd, quint16 port, QString *error)
{
    sockaddr_in remote{};
    remote.sin_family = AF_INET;
    remote.sin_port = htons(port);
    remote.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd, reinterpret_cast<sockaddr *>(&remote), sizeof(remote)) == 0 ||
        errno == EINPROGRESS)
        return true;
    *error = QStringLiteral("connect: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
    return false;
}

int timeLeft(const QDeadlineTimer &deadline)
{
    return int(std::max<qint64>(0, deadline.remainingTime()));
}

} // namespace

RawSocket::~RawSocket()
{
    close();
}

RawSocket::RawSocket(RawSocket &&other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_pending(std::move(other.m_pending)),
      m_error(std::move(other.m_error))
{
}

RawSocket &RawSocket::operator=(RawSocket &&other) noexcept
{
    if (this != &other) {
        close();
        m_fd = std::exchange(other.m_fd, -1);
        m_pending = std::move(other.m_pending);
        m_error = std::move(other.m_error);
    }
    return *this;
}

void RawSocket::close()
{
    if (m_fd >= 0)
        ::close(m_fd);
    m_fd = -1;
    m_pending.clear();
}

bool RawSocket::waitFor(short events, int timeoutMs)
{
    pollfd entry{m_fd, events, 0};
    for (;;) {
        const int ready = ::poll(&entry, 1, timeoutMs);
        if (ready > 0)
            return true;
        if (ready == 0)
            return false;
        if (errno != EINTR)
            return false;
    }
}

bool RawSocket::connectTo(quint16 port, const char *source, int timeoutMs)
{
    close();
    m_fd = newSocket(source, &m_error);
    if (m_fd < 0)
        return false;
    if (m_receiveBuffer > 0) // before the handshake, which announces the window scale
        ::setsockopt(m_fd, SOL_SOCKET, SO_RCVBUF, &m_receiveBuffer, sizeof(m_receiveBuffer));
    if (!startConnect(m_fd, port, &m_error)) {
        close();
        return false;
    }
    if (!waitFor(POLLOUT, timeoutMs)) {
        m_error = QStringLiteral("connect timed out");
        close();
        return false;
    }
    int soError = 0;
    socklen_t length = sizeof(soError);
    ::getsockopt(m_fd, SOL_SOCKET, SO_ERROR, &soError, &length);
    if (soError != 0) {
        m_error = QStringLiteral("connect: %1").arg(QString::fromLocal8Bit(std::strerror(soError)));
        close();
        return false;
    }
    return true;
}

std::vector<RawSocket> RawSocket::connectMany(int count, quint16 port, const char *source,
                                              int timeoutMs, QString *error)
{
    std::vector<RawSocket> sockets(static_cast<size_t>(count));
    std::vector<pollfd> entries;
    for (RawSocket &socket : sockets) {
        socket.m_fd = newSocket(source, error);
        if (socket.m_fd < 0 || !startConnect(socket.m_fd, port, error))
            return {};
        entries.push_back(pollfd{socket.m_fd, POLLOUT, 0});
    }
    const QDeadlineTimer deadline(timeoutMs);
    size_t connected = 0;
    std::vector<bool> done(entries.size(), false);
    while (connected < entries.size()) {
        if (deadline.hasExpired()) {
            *error = QStringLiteral("%1 of %2 connections established in time")
                         .arg(connected)
                         .arg(entries.size());
            return {};
        }
        const int ready = ::poll(entries.data(), entries.size(), timeLeft(deadline));
        if (ready < 0 && errno != EINTR) {
            *error = QStringLiteral("poll: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
            return {};
        }
        for (size_t i = 0; i < entries.size(); ++i) {
            if (done[i] || entries[i].revents == 0)
                continue;
            int soError = 0;
            socklen_t length = sizeof(soError);
            ::getsockopt(entries[i].fd, SOL_SOCKET, SO_ERROR, &soError, &length);
            if (soError != 0) {
                *error = QStringLiteral("connection %1: %2")
                             .arg(i)
                             .arg(QString::fromLocal8Bit(std::strerror(soError)));
                return {};
            }
            done[i] = true;
            entries[i].events = 0; // poll() ignores it from now on
            entries[i].fd = -entries[i].fd - 1;
            ++connected;
        }
    }
    return sockets;
}

bool RawSocket::send(const QByteArray &bytes, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    qsizetype sent = 0;
    while (sent < bytes.size()) {
        if (m_fd < 0) {
            m_error = QStringLiteral("not connected");
            return false;
        }
        const ssize_t n =
            ::send(m_fd, bytes.constData() + sent, size_t(bytes.size() - sent), MSG_NOSIGNAL);
        if (n > 0) {
            sent += n;
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) {
            if (deadline.hasExpired() || !waitFor(POLLOUT, timeLeft(deadline))) {
                m_error = QStringLiteral("send timed out after %1 of %2 bytes")
                              .arg(sent)
                              .arg(bytes.size());
                return false;
            }
            continue;
        }
        m_error = QStringLiteral("send: %1").arg(QString::fromLocal8Bit(std::strerror(errno)));
        return false;
    }
    return true;
}

RawResponse RawSocket::readResponse(int timeoutMs, bool withBody)
{
    RawResponse response;
    const QDeadlineTimer deadline(timeoutMs);
    qsizetype headEnd = -1;
    qint64 contentLength = -1;
    bool closed = false;
    for (;;) {
        if (headEnd < 0) {
            headEnd = m_pending.indexOf("\r\n\r\n");
            if (headEnd >= 0) {
                contentLength = readResponseHead(m_pending.left(headEnd), &response);
                if (contentLength < 0 || !withBody)
                    contentLength = 0;
            }
        }
        if (headEnd >= 0 && m_pending.size() - headEnd - 4 >= contentLength) {
            response.body = m_pending.mid(headEnd + 4, contentLength);
            m_pending.remove(0, headEnd + 4 + contentLength);
            break;
        }
        if (closed || m_fd < 0) {
            response.status = 0;
            response.error = QStringLiteral("connection closed after %1 bytes: %2")
                                 .arg(m_pending.size())
                                 .arg(QString::fromLatin1(m_pending.left(200)));
            return response;
        }
        if (deadline.hasExpired() || !waitFor(POLLIN, timeLeft(deadline))) {
            response.status = 0;
            response.error = QStringLiteral("timed out after %1 ms with %2 bytes: %3")
                                 .arg(timeoutMs)
                                 .arg(m_pending.size())
                                 .arg(QString::fromLatin1(m_pending.left(200)));
            return response;
        }
        char buffer[65536];
        const ssize_t n = ::recv(m_fd, buffer, sizeof(buffer), 0);
        if (n > 0)
            m_pending.append(buffer, n);
        else if (n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR))
            closed = true;
    }
    const QJsonDocument document = QJsonDocument::fromJson(response.body);
    response.jsonObject = document.isObject();
    if (response.jsonObject)
        response.json = document.object();
    return response;
}

RawResponse RawSocket::request(const QByteArray &bytes, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    if (!send(bytes, timeoutMs)) {
        RawResponse failed;
        failed.error = m_error;
        return failed;
    }
    return readResponse(timeLeft(deadline));
}

RawSocket::Closed RawSocket::waitClosed(int timeoutMs, QByteArray *received)
{
    const QDeadlineTimer deadline(timeoutMs);
    if (!m_pending.isEmpty()) {
        if (received)
            *received += m_pending;
        m_pending.clear();
        return Closed::Data;
    }
    for (;;) {
        if (m_fd < 0)
            return Closed::Eof;
        if (deadline.hasExpired() || !waitFor(POLLIN, timeLeft(deadline)))
            return Closed::Timeout;
        char buffer[65536];
        const ssize_t n = ::recv(m_fd, buffer, sizeof(buffer), 0);
        if (n == 0)
            return Closed::Eof;
        if (n > 0) {
            if (received)
                received->append(buffer, n);
            return Closed::Data;
        }
        if (errno == ECONNRESET)
            return Closed::Reset;
        if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
            return Closed::Reset;
    }
}

QByteArray RawSocket::httpRequest(const QByteArray &method, const QByteArray &target,
                                  const QByteArray &body, const QByteArray &extraHeaders)
{
    QByteArray request = method + ' ' + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\n" + extraHeaders;
    if (!body.isEmpty() || method == "POST")
        request +=
            "Content-Type: application/json\r\nContent-Length: " + QByteArray::number(body.size()) +
            "\r\n";
    return request + "\r\n" + body;
}
