#pragma once

#include "guardedtcpserver.h"
#include "requestframer.h"

#include <QElapsedTimer>
#include <QTcpSocket>

class ConnectionTracker;
class QTimer;

// One client connection, with the HTTP/1.1 rules QHttpServer 6.4 lacks. The guard sees
// every byte before QHttpServer does (its readyRead slot is connected first) and hands
// QHttpServer one complete, checked request at a time:
//  - bytes of an incomplete request are read inside a QIODevice transaction, so
//    QHttpServer finds nothing to parse; once the request is whole (and its head passed
//    the checks) the transaction is rolled back and QHttpServer reads exactly it;
//  - while a request's answer is outstanding (a deferred vote waiting for the journal),
//    later pipelined requests are held the same way, so answers go out in request order;
//  - a refused head (413, 411, 431, 400, ...) is answered with a JSON error and the
//    connection closed, before any body is buffered;
//  - deadlines: the whole head within --header-timeout, the body within that plus
//    Content-Length / --min-body-rate, and --idle-timeout without traffic;
//  - Connection: close (and HTTP/1.0 without keep-alive) close after the answer;
//    Expect: 100-continue gets "100 Continue" once the head is accepted.
// A WebSocket handshake is handed over and the guard steps aside.
class ConnectionGuard : public QTcpSocket {
    Q_OBJECT
public:
    // Unsent answer bytes above which later pipelined requests wait for the client to read.
    static constexpr qint64 MaxUnsentBytes = 64 * 1024;
    // Bytes a client may pipeline behind an unanswered request before it is dropped.
    static constexpr qint64 MaxHeldBytes = 1024 * 1024;

    ConnectionGuard(const GuardedTcpServer::Limits &limits, QObject *parent = nullptr);
    ~ConnectionGuard() override;

    // Counts the connection against the tracker's limits; false when refused.
    bool admit(ConnectionTracker *tracker);
    // The peer's address as RequestGuard::normalise() writes it (set by admit()).
    const QString &peerName() const { return m_client; }

    // For the answer to the request QHttpServer is handling: the value of the
    // Connection header to send ("close", "keep-alive" or none), and the notice that
    // the answer has been written.
    const QByteArray &connectionHeader() const { return m_connectionHeader; }
    void responseSent();
    // Writes a whole answer. An answer given while its request is being read waits until
    // the thread has read everything this wake-up brought, so the answers to all of it
    // leave together, sent straight to the kernel without QTcpSocket's write notifier. A
    // later answer (a vote acknowledged once the journal has synced it) goes to the kernel
    // at once. Whatever the kernel does not take is queued in QTcpSocket behind it.
    void writeAnswer(const QByteArray &answer);

    // Answers with a JSON error and closes (also for connections refused before a guard
    // counts them).
    static void refuse(QTcpSocket *socket, const RequestHead::Refusal &refusal,
                       const QByteArray &extraHeader = {}, bool withBody = true);

private:
    enum class Mode { Http, WebSocket, Closing };

    void inspect();
    void frame();
    void hold();
    void release();
    // Not QAbstractSocket::resume(), which it would override: releases held requests.
    void resumeRequests();
    void reject(const RequestHead::Refusal &refusal);
    void discardInput();
    void onTimer();
    // Sends the answers waiting for the end of the thread's reading (see writeAnswer()).
    void sendUnsent();
    void send(const QByteArray &bytes);
    // Answer bytes not yet with the kernel: QTcpSocket's queue and the unsent answers.
    qint64 pendingBytes() const { return bytesToWrite() + m_unsent.size(); }
    void armTimer(qint64 dueMs);
    qint64 now() const { return m_clock.elapsed(); }

    GuardedTcpServer::Limits m_limits;
    RequestFramer m_framer;
    ConnectionTracker *m_tracker = nullptr;
    QString m_client;
    QTimer *m_timer;
    QElapsedTimer m_clock;
    QByteArray m_scratch;
    QByteArray m_connectionHeader;
    QByteArray m_unsent;
    qint64 m_lastActivity = 0;
    qint64 m_requestDeadline = -1;
    qint64 m_timerDue = -1;
    qint64 m_held = 0;
    Mode m_mode = Mode::Http;
    bool m_holding = false;
    bool m_awaitingResponse = false;
    bool m_closeAfterResponse = false;
    bool m_bodyDeadlineSet = false;
    bool m_continueSent = false;
    bool m_reading = false;
};
