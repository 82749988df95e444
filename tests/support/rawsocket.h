#pragma once

#include "httpclient.h"

#include <QByteArray>
#include <QJsonObject>
#include <QMap>
#include <QString>

#include <vector>

// One HTTP answer read byte for byte from a RawSocket.
using RawResponse = HttpResponse;

// A plain blocking POSIX TCP client for the tests that need what QTcpSocket and
// QNetworkAccessManager hide: a chosen source address (127.0.0.2, ...), many sockets
// at once, precise timing, partial writes, and telling EOF from a reset.
class RawSocket {
public:
    enum class Closed { Eof, Reset, Timeout, Data };

    RawSocket() = default;
    ~RawSocket();
    RawSocket(RawSocket &&other) noexcept;
    RawSocket &operator=(RawSocket &&other) noexcept;
    RawSocket(const RawSocket &) = delete;
    RawSocket &operator=(const RawSocket &) = delete;

    // Connects to 127.0.0.1:`port`, from `source` (a loopback address such as
    // "127.0.0.2") when given. Waits for the handshake.
    bool connectTo(quint16 port, const char *source = nullptr, int timeoutMs = 5000);
    // A receive buffer of about `bytes` for the next connectTo() (a small one keeps the
    // TCP window small, so the server's writes soon find the kernel full); 0: the default.
    void setReceiveBuffer(int bytes) { m_receiveBuffer = bytes; }
    // `count` connections at once (non-blocking connects, then one wait for all).
    static std::vector<RawSocket> connectMany(int count, quint16 port, const char *source,
                                              int timeoutMs, QString *error);

    bool isOpen() const { return m_fd >= 0; }
    int descriptor() const { return m_fd; }
    QString errorString() const { return m_error; }

    bool send(const QByteArray &bytes, int timeoutMs = 5000);
    // Reads one answer: head, then Content-Length bytes of body (none when `withBody` is
    // false, as for an answer to HEAD).
    RawResponse readResponse(int timeoutMs = 5000, bool withBody = true);
    RawResponse request(const QByteArray &bytes, int timeoutMs = 5000);
    // Waits for the peer to close; `Data` when bytes arrived instead (they are kept in
    // `received`).
    Closed waitClosed(int timeoutMs, QByteArray *received = nullptr);
    void close();

    // "GET /health HTTP/1.1" with Host and the given extra header lines (each ending in
    // \r\n), and a JSON body with its Content-Length when given.
    static QByteArray httpRequest(const QByteArray &method, const QByteArray &target,
                                  const QByteArray &body = {}, const QByteArray &extraHeaders = {});

private:
    bool waitFor(short events, int timeoutMs);

    int m_fd = -1;
    int m_receiveBuffer = 0;
    QByteArray m_pending; // read but not yet consumed
    QString m_error;
};
