#pragma once

#include <QNetworkRequest>

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QString>
#include <QUrl>
#include <functional>
#include <optional>

class QWebSocket;

// A WebSocket client for tests that reads like synchronous code: open() waits for the
// handshake, next() waits for the next unread message that matches, and every wait
// has a deadline. While a call waits it runs a local event loop, so the socket keeps
// receiving during HttpClient calls too (they run their own loops).
//
// Every text message is kept in arrival order (received()); next() hands each one out
// at most once and leaves the ones that do not match unread for later calls.
class WsClient : public QObject {
    Q_OBJECT
public:
    explicit WsClient(QObject *parent = nullptr);
    ~WsClient() override;

    // ws://host:port/api/v1/ws for a server whose HTTP base URL is `httpBase`.
    static QUrl wsUrl(const QUrl &httpBase, const QString &path = QStringLiteral("/api/v1/ws"));

    // Connects and waits for the handshake; false (see errorString()) on failure.
    bool open(const QUrl &url, int timeoutMs = 5000);
    // The same with the handshake's extra headers (e.g. X-Forwarded-For).
    bool open(const QNetworkRequest &request, int timeoutMs = 5000);
    bool isConnected() const;
    QWebSocket *socket() const { return m_socket; }
    QString errorString() const { return m_error; }

    void send(const QJsonObject &message);
    void sendText(const QString &text);
    void sendBinary(const QByteArray &data);
    // Sends {"type":"ping","ref":<unique>} and waits for its pong: once it arrives,
    // every message the server sent before it has been received.
    bool sync(int timeoutMs = 5000);

    // The next unread message for which `match` is true (marked read), or nullopt when
    // none arrived in time.
    std::optional<QJsonObject> next(const std::function<bool(const QJsonObject &)> &match,
                                    int timeoutMs = 5000);
    std::optional<QJsonObject> nextOfType(const QString &type, int timeoutMs = 5000);
    // Unread messages of `type` (all types when empty), marked read.
    QList<QJsonObject> takeUnread(const QString &type = {});
    int unreadCount(const QString &type = {}) const;

    // Every message so far, in arrival order (texts that are not JSON objects appear
    // as {"_raw": text}).
    const QList<QJsonObject> &received() const { return m_received; }
    // Milliseconds since the epoch when received()[i] arrived.
    qint64 receivedAt(int index) const { return m_receivedAt.value(index); }

    // Runs the event loop until `done` is true (checked after every message and
    // state change, and every 20 ms) or the time is up; returns done().
    bool waitUntil(const std::function<bool()> &done, int timeoutMs);
    bool waitForDisconnected(int timeoutMs = 5000);

    // Close code and reason the peer sent (valid after disconnection).
    int closeCode() const;
    QString closeReason() const;
    void close();

Q_SIGNALS:
    void activity();

private:
    QWebSocket *m_socket;
    QList<QJsonObject> m_received;
    QList<qint64> m_receivedAt;
    QList<bool> m_read;
    QString m_error;
    int m_nextRef = 1;
};

// A deliberately bad WebSocket client over a plain POSIX socket: it does the opening
// handshake by hand, then writes masked frames and never reads unless asked to. With a
// small receive buffer set before connecting, the server's unsent bytes pile up fast.
class RawWsClient {
public:
    RawWsClient() = default;
    ~RawWsClient();
    RawWsClient(const RawWsClient &) = delete;
    RawWsClient &operator=(const RawWsClient &) = delete;

    // Connects to 127.0.0.1:`port` and upgrades `path`. `receiveBuffer` > 0 sets
    // SO_RCVBUF before connecting (which also turns off receive-window autotuning).
    bool open(quint16 port, const QByteArray &path = "/api/v1/ws", int receiveBuffer = 0,
              int timeoutMs = 5000);
    QByteArray handshakeResponse() const { return m_response; }
    QString errorString() const { return m_error; }

    enum class Sent { Ok, Blocked, Closed };
    // Writes one masked frame (whole, or reports Blocked when it could not go out
    // within `timeoutMs`; the stream is then unusable) or Closed when the peer is gone.
    Sent sendFrame(quint8 opcode, const QByteArray &payload, int timeoutMs = 2000);
    Sent sendText(const QByteArray &payload, int timeoutMs = 2000)
    {
        return sendFrame(0x1, payload, timeoutMs);
    }
    void close();

    // A frame as a client sends it (masked), or as a server sends it (unmasked).
    static QByteArray frame(quint8 opcode, const QByteArray &payload, bool masked = true,
                            bool final = true);

private:
    int m_fd = -1;
    QByteArray m_response;
    QString m_error;
};
