#include "connectionguard.h"
#include "guard/connectiontracker.h"
#include "guard/requestguard.h"
#include "websocket/upgradedsockets.h"

#include <QAbstractEventDispatcher>
#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTimer>
#include <cerrno>
#include <sys/socket.h>

ConnectionGuard::ConnectionGuard(const GuardedTcpServer::Limits &limits, QObject *parent)
    : QTcpSocket(parent), m_limits(limits),
      m_framer(limits.maxHeaderBytes,
               {limits.maxBodyBytes, limits.bulkPath, limits.maxBulkBodyBytes}),
      m_timer(new QTimer(this))
{
    m_timer->setSingleShot(true);
    connect(m_timer, &QTimer::timeout, this, &ConnectionGuard::onTimer);
}

ConnectionGuard::~ConnectionGuard()
{
    if (m_tracker)
        m_tracker->release(m_client);
}

bool ConnectionGuard::admit(ConnectionTracker *tracker)
{
    m_client = RequestGuard::normalise(peerAddress());
    if (!tracker->admit(m_client))
        return false;
    m_tracker = tracker;
    m_clock.start();
    armTimer(m_limits.idleTimeoutMs);
    // Connected before QHttpServer connects its own slot, so the guard inspects first.
    connect(this, &QTcpSocket::readyRead, this, &ConnectionGuard::inspect);
    connect(this, &QTcpSocket::bytesWritten, this, [this] {
        m_lastActivity = now();
        if (m_holding && !m_awaitingResponse && pendingBytes() <= MaxUnsentBytes)
            QMetaObject::invokeMethod(this, &ConnectionGuard::resumeRequests, Qt::QueuedConnection);
    });
    return true;
}

void ConnectionGuard::refuse(QTcpSocket *socket, const RequestHead::Refusal &refusal,
                             const QByteArray &extraHeader, bool withBody)
{
    const QByteArray body =
        QJsonDocument(QJsonObject{{QStringLiteral("error"),
                                   QJsonObject{{QStringLiteral("code"), refusal.code},
                                               {QStringLiteral("message"), refusal.message}}}})
            .toJson(QJsonDocument::Compact);
    socket->write("HTTP/1.1 " + QByteArray::number(refusal.status) + ' ' + refusal.reason +
                  "\r\nContent-Type: application/json\r\nConnection: close\r\n" + extraHeader +
                  "Content-Length: " + QByteArray::number(body.size()) + "\r\n\r\n" +
                  (withBody ? body : QByteArray()));
    QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
    socket->disconnectFromHost();
}

void ConnectionGuard::reject(const RequestHead::Refusal &refusal)
{
    sendUnsent(); // answers to earlier requests go first
    const bool withBody =
        !(m_framer.state() == RequestFramer::State::Refused && m_framer.head().isHeadMethod());
    m_mode = Mode::Closing;
    m_timer->stop();
    discardInput(); // QHttpServer, whose slot runs next, finds nothing to parse
    refuse(this, refusal, {}, withBody);
}

void ConnectionGuard::discardInput()
{
    if (isTransactionStarted())
        commitTransaction();
    skip(bytesAvailable());
}

void ConnectionGuard::inspect()
{
    m_lastActivity = now();
    switch (m_mode) {
    case Mode::Closing:
        discardInput();
        return;
    case Mode::WebSocket:
        return;
    case Mode::Http:
        break;
    }
    if (m_awaitingResponse || m_holding || pendingBytes() > MaxUnsentBytes)
        hold();
    else
        frame();
}

void ConnectionGuard::hold()
{
    // Everything from the start of the next request on stays in the socket, read
    // inside a transaction that resumeRequests() rolls back.
    if (!isTransactionStarted())
        startTransaction();
    m_holding = true;
    const qint64 available = bytesAvailable();
    m_held += available;
    skip(available);
    if (m_held > MaxHeldBytes) {
        m_mode = Mode::Closing;
        discardInput();
        QMetaObject::invokeMethod(this, &QAbstractSocket::abort, Qt::QueuedConnection);
    }
}

void ConnectionGuard::frame()
{
    using State = RequestFramer::State;
    for (;;) {
        const qint64 available = bytesAvailable();
        if (available <= 0)
            break;
        qint64 used = 0;
        if (m_framer.state() == State::Head) {
            m_scratch.resize(qsizetype(qMin<qint64>(available, m_framer.headRoom())));
            const qint64 peeked = qMax<qint64>(0, peek(m_scratch.data(), m_scratch.size()));
            used = m_framer.feed(QByteArrayView(m_scratch.constData(), qsizetype(peeked)));
            if (m_framer.state() == State::Body)
                used += m_framer.feedBody(available - peeked);
        } else {
            used = m_framer.feedBody(available);
        }
        if (m_framer.state() == State::Complete) {
            release();
            return;
        }
        if (m_framer.state() == State::Refused) {
            reject(m_framer.refusal());
            return;
        }
        // Incomplete: keep what was seen from QHttpServer until the request is whole.
        if (!isTransactionStarted())
            startTransaction();
        skip(used);
        if (used == 0)
            break;
    }
    if (m_framer.taken() == 0)
        return; // nothing of the next request yet: only the idle deadline applies
    if (m_framer.state() == State::Head) {
        if (m_requestDeadline < 0) {
            m_requestDeadline = now() + m_limits.headerTimeoutMs;
            armTimer(m_requestDeadline);
        }
    } else if (!m_bodyDeadlineSet) {
        m_bodyDeadlineSet = true;
        if (m_framer.head().expectsContinue() && !m_continueSent) {
            m_continueSent = true;
            write("HTTP/1.1 100 Continue\r\n\r\n");
        }
        m_requestDeadline = -1;
        if (m_limits.minBodyRate > 0) {
            m_requestDeadline = now() + m_limits.headerTimeoutMs +
                                m_framer.head().contentLength() * 1000 / m_limits.minBodyRate;
            armTimer(m_requestDeadline);
        }
    }
}

void ConnectionGuard::release()
{
    // QHttpServer (whose slot runs right after this one) reads the request from its start.
    if (isTransactionStarted())
        rollbackTransaction();
    const RequestHead &head = m_framer.head();
    m_requestDeadline = -1;
    m_bodyDeadlineSet = false;
    m_continueSent = false;
    if (head.isWebSocketHandshake()) {
        // From here on the connection speaks WebSocket, with its own limits and pings.
        m_mode = Mode::WebSocket;
        m_timer->stop();
        disconnect(this, &QTcpSocket::readyRead, this, &ConnectionGuard::inspect);
        disconnect(this, &QTcpSocket::bytesWritten, this, nullptr);
        UpgradedSockets::offer(this);
        return;
    }
    m_awaitingResponse = true;
    m_closeAfterResponse = !head.keepAlive();
    static const QByteArray close = QByteArrayLiteral("close");
    static const QByteArray keepAlive = QByteArrayLiteral("keep-alive");
    static const QByteArray none;
    m_connectionHeader = m_closeAfterResponse ? close : head.announceKeepAlive() ? keepAlive : none;
    const qint64 requestBytes = m_framer.taken();
    m_framer.reset();
    // A hot route may be answered without QHttpServer; whatever follows the request then
    // waits (held) until its answer is out, as it would behind QHttpServer.
    m_reading = true;
    const bool taken = m_limits.lean && m_limits.lean(this, requestBytes);
    m_reading = false;
    if (taken && m_mode == Mode::Http && bytesAvailable() > 0)
        hold();
}

namespace {

// This thread's guards with answers waiting for the end of its reading; one posted call
// sends them all, after the socket notifiers of this wake-up have run.
thread_local QList<QPointer<ConnectionGuard>> t_unsent;

} // namespace

void ConnectionGuard::writeAnswer(const QByteArray &answer)
{
    if (m_reading) {
        if (m_unsent.isEmpty()) {
            if (t_unsent.isEmpty())
                // The dispatcher lives as long as the thread, unlike any one connection.
                QMetaObject::invokeMethod(
                    QAbstractEventDispatcher::instance(),
                    [] {
                        for (const QPointer<ConnectionGuard> &guard : std::exchange(t_unsent, {}))
                            if (guard)
                                guard->sendUnsent();
                    },
                    Qt::QueuedConnection);
            t_unsent.append(this);
        }
        m_unsent.append(answer);
        return;
    }
    sendUnsent();
    send(answer);
}

void ConnectionGuard::sendUnsent()
{
    if (!m_unsent.isEmpty())
        send(std::exchange(m_unsent, {}));
}

void ConnectionGuard::send(const QByteArray &answer)
{
    qsizetype sent = 0;
    if (bytesToWrite() == 0 && state() == ConnectedState) {
        const auto fd = int(socketDescriptor());
        while (sent < answer.size()) {
            const ssize_t n = ::send(fd, answer.constData() + sent, size_t(answer.size() - sent),
                                     MSG_NOSIGNAL | MSG_DONTWAIT);
            if (n > 0)
                sent += n;
            else if (n < 0 && errno == EINTR)
                continue;
            else
                break; // full or failed: QTcpSocket queues the rest and reports any error
        }
        if (sent > 0)
            m_lastActivity = now();
    }
    if (sent < answer.size())
        write(answer.constData() + sent, answer.size() - sent);
}

void ConnectionGuard::responseSent()
{
    if (m_mode != Mode::Http || !m_awaitingResponse)
        return;
    m_awaitingResponse = false;
    if (m_closeAfterResponse) {
        sendUnsent(); // before the socket closes
        m_mode = Mode::Closing;
        m_timer->stop();
        discardInput();
        disconnectFromHost();
        return;
    }
    // Pipelined requests go on once this answer is out; nothing to do otherwise.
    if (m_holding || bytesAvailable() > 0)
        QMetaObject::invokeMethod(this, &ConnectionGuard::resumeRequests, Qt::QueuedConnection);
}

void ConnectionGuard::resumeRequests()
{
    if (m_mode != Mode::Http || m_awaitingResponse || pendingBytes() > MaxUnsentBytes)
        return;
    if (m_holding) {
        rollbackTransaction();
        m_holding = false;
        m_held = 0;
    }
    if (m_framer.taken() == 0 && bytesAvailable() > 0)
        Q_EMIT readyRead();
}

void ConnectionGuard::armTimer(qint64 dueMs)
{
    if (m_timer->isActive() && dueMs >= m_timerDue)
        return;
    m_timerDue = dueMs;
    m_timer->start(int(qMax<qint64>(0, dueMs - now())));
}

void ConnectionGuard::onTimer()
{
    if (m_mode != Mode::Http)
        return;
    const qint64 at = now();
    if (m_requestDeadline >= 0 && at >= m_requestDeadline) {
        m_tracker->countTimedOut();
        reject(RequestHead::refusal(408, "Request Timeout", QStringLiteral("request_timeout"),
                                    m_framer.state() == RequestFramer::State::Head
                                        ? QStringLiteral("The request head did not arrive in time.")
                                        : QStringLiteral("The request body arrived too slowly.")));
        return;
    }
    const qint64 idleDue = m_lastActivity + m_limits.idleTimeoutMs;
    if (at >= idleDue) {
        m_tracker->countReaped();
        m_mode = Mode::Closing;
        abort();
        return;
    }
    armTimer(m_requestDeadline >= 0 ? qMin(m_requestDeadline, idleDue) : idleDue);
}
