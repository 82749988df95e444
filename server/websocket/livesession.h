#pragma once

#include "core/plainvotes.h"
#include "protocol/protocol.h"

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <memory>

class LiveHub;
class QTcpSocket;
class QTimer;
class QWebSocket;

// One WebSocket client: parses its messages, keeps its subscriptions, and applies
// the limits that keep a slow or silent client from costing memory. When its unsent
// bytes pass the soft bound, newer snapshots replace older ones instead of queueing;
// past the hard bound it is closed with 1008.
class LiveSession : public QObject {
    Q_OBJECT
public:
    static constexpr qint64 MaxIncomingBytes = Protocol::MaxWebSocketIncomingBytes;
    static constexpr qint64 SoftOutgoingBytes = 64 * 1024;
    static constexpr qint64 HardOutgoingBytes = 1024 * 1024;
    static constexpr int MaxPollSubscriptions = Protocol::MaxWebSocketPollSubscriptions;
    // After a close frame is queued, how long the client has to complete the closing
    // handshake before the TCP connection is dropped. QWebSocket::close() leaves the
    // socket in ClosingState until its unsent bytes are written, which for a client
    // that stops reading is never: no `disconnected`, and the session, its buffers and
    // its descriptor would stay forever.
    static constexpr int CloseGraceMs = 2000;

    // `client` is who the connection speaks for (its vote budget); the session is closed
    // (1001) once silent for `idleMs`: no message and no pong.
    LiveSession(quint64 id, const QString &client, std::unique_ptr<QWebSocket> socket, int idleMs,
                LiveHub *hub);
    ~LiveSession() override;

    quint64 id() const { return m_id; }
    const QSet<QString> &polls() const { return m_polls; }
    bool wantsStats() const { return m_stats; }
    bool wantsPollEvents() const { return m_pollEvents; }

    // A results snapshot for `key` (a poll id), as a whole frame (WebSocketFrame::text);
    // coalesced while the client lags.
    void sendSnapshot(const QString &key, const QByteArray &frame);
    // A text message: its payload, or a whole frame made once for many sessions.
    void sendMessage(const QByteArray &message);
    void sendFrame(const QByteArray &frame);
    void ping();
    void close(int code, const QString &reason);

Q_SIGNALS:
    void finished(quint64 id);

private:
    void onText(const QString &text);
    // Casts the plain vote messages read since the last call, together (see
    // VoteService::castEach); runs once the messages that arrived with them are read,
    // and before any other message is handled, so answers keep their order.
    void castPendingVotes();
    // Acks of votes answered together leave in one write: one segment, and (with
    // TCP_NODELAY) without waiting for the client to acknowledge the previous one.
    void queueAck(const QByteArray &message);
    void flushAcks();
    void reply(const QJsonObject &message);
    // `retryAfterSeconds` > 0 adds "retry_after" (seconds), as Retry-After does over REST.
    void error(const QJsonValue &ref, const QString &code, const QString &message,
               int retryAfterSeconds = 0);
    void subscribe(const QJsonObject &message, bool on);
    void drainOwed();
    // `unsent`: unsentBytes(), read by the caller.
    void sendFrame(const QByteArray &frame, qint64 unsent);
    // Bytes written but not yet taken by the kernel.
    qint64 unsentBytes() const;
    void checkIdle();

    quint64 m_id;
    QString m_client;
    QWebSocket *m_socket;
    // The connection under m_socket (not ours), or null: then frames go through m_socket.
    QPointer<QTcpSocket> m_tcp;
    LiveHub *m_hub;
    QSet<QString> m_polls;
    bool m_stats = false;
    bool m_pollEvents = false;
    QHash<QString, QByteArray> m_owed;
    QElapsedTimer m_lastHeard;
    int m_idleMs;
    QTimer *m_idleTimer;
    bool m_closing = false;
    bool m_abortArmed = false;
    QList<PlainVotes::Frame> m_pendingVotes;
    QByteArray m_ackBatch; // whole ack frames not written yet (see queueAck)
    // Votes cast together at most: a bound on the work of one event-loop turn.
    static constexpr int MaxVoteBatch = 512;
};
