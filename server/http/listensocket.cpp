#include "listensocket.h"
#include "core/config.h"

#include <QHostAddress>

#include <arpa/inet.h>
#include <cerrno>
#include <cstring>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

Outcome<int> ListenSocket::open(const QString &address, quint16 port)
{
    const Outcome<QHostAddress> parsed = Config::parseBindAddress(address);
    if (!parsed)
        return TallyError::invalid(QStringLiteral("invalid_bind"), parsed.error().message);
    const QHostAddress host = parsed.value();

    sockaddr_storage storage{};
    socklen_t length = 0;
    if (host.protocol() == QAbstractSocket::IPv6Protocol) {
        auto *in6 = reinterpret_cast<sockaddr_in6 *>(&storage);
        in6->sin6_family = AF_INET6;
        in6->sin6_port = htons(port);
        const Q_IPV6ADDR raw = host.toIPv6Address();
        std::memcpy(&in6->sin6_addr, &raw, sizeof(raw));
        length = sizeof(sockaddr_in6);
    } else {
        auto *in4 = reinterpret_cast<sockaddr_in *>(&storage);
        in4->sin_family = AF_INET;
        in4->sin_port = htons(port);
        in4->sin_addr.s_addr = htonl(host.toIPv4Address());
        length = sizeof(sockaddr_in);
    }

    const int fd = ::socket(storage.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0)
        return TallyError::unavailable(QStringLiteral("socket_failed"),
                                       QString::fromLocal8Bit(std::strerror(errno)));
    const int one = 1;
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    ::setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
    if (::bind(fd, reinterpret_cast<sockaddr *>(&storage), length) != 0 ||
        ::listen(fd, 1024) != 0) {
        const int error = errno;
        const QString reason = QString::fromLocal8Bit(std::strerror(error));
        ::close(fd);
        // "address_in_use" lets a console offer another port instead.
        return TallyError::unavailable(
            error == EADDRINUSE ? QStringLiteral("address_in_use") : QStringLiteral("bind_failed"),
            QStringLiteral("cannot listen on %1:%2: %3").arg(address).arg(port).arg(reason));
    }
    return fd;
}

quint16 ListenSocket::boundPort(int descriptor)
{
    sockaddr_storage storage{};
    socklen_t length = sizeof(storage);
    if (::getsockname(descriptor, reinterpret_cast<sockaddr *>(&storage), &length) != 0)
        return 0;
    if (storage.ss_family == AF_INET6)
        return ntohs(reinterpret_cast<sockaddr_in6 *>(&storage)->sin6_port);
    return ntohs(reinterpret_cast<sockaddr_in *>(&storage)->sin_port);
}

void ListenSocket::close(int descriptor)
{
    if (descriptor >= 0)
        ::close(descriptor);
}
