#include "livesession.h"
#include "livehub.h"
#include "upgradedsockets.h"
#include "websocketframe.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QPointer>
#include <QTcpSocket>
#include <QTimer>
#include <QWebSocket>

#include <sys/socket.h>

LiveSession::LiveSession(quint64 id, const QString &client, std::unique_ptr<QWebSocket> socket,
                         int idleMs, LiveHub *hub)
    : QObject(hub), m_id(id), m_client(client), m_socket(socket.release()), m_hub(hub),
      m_idleMs(idleMs), m_idleTimer(new QTimer(this))
{
    m_socket->setParent(this);
    m_tcp = UpgradedSockets::take(*m_socket);
    // Answers and snapshots are written whole, one write each; Nagle would hold every
    // write after the first until the client acknowledged it (up to a delayed ACK).
    if (m_tcp)
        m_tcp->setSocketOption(QAbstractSocket::LowDelayOption, 1);
    m_socket->setMaxAllowedIncomingFrameSize(MaxIncomingBytes);
    m_socket->setMaxAllowedIncomingMessageSize(MaxIncomingBytes);
    m_lastHeard.start();
    // Traffic only moves m_lastHeard; the timer looks at it when it fires and waits
    // for the rest, so a busy client costs no timer restarts.
    m_idleTimer->setSingleShot(true);
    connect(m_idleTimer, &QTimer::timeout, this, &LiveSession::checkIdle);
    m_idleTimer->start(m_idleMs);
    connect(m_socket, &QWebSocket::textMessageReceived, this, &LiveSession::onText);
    connect(m_socket, &QWebSocket::binaryMessageReceived, this, [this] {
        error(QJsonValue(), QStringLiteral("unsupported_frame"),
              QStringLiteral("Send JSON text frames."));
    });
    connect(m_socket, &QWebSocket::pong, this, [this] { m_lastHeard.restart(); });
    connect(m_socket, &QWebSocket::bytesWritten, this, &LiveSession::drainOwed);
    connect(m_socket, &QWebSocket::disconnected, this, [this] { Q_EMIT finished(m_id); });
    // Every close (ours, the peer's, or Qt's own on a protocol error such as an
    // oversized frame) gets a deadline; see CloseGraceMs.
    connect(m_socket, &QWebSocket::aboutToClose, this, [this] {
        if (m_abortArmed)
            return;
        m_abortArmed = true;
        QTimer::singleShot(CloseGraceMs, this, [this] {
            if (m_socket->state() != QAbstractSocket::UnconnectedState)
                m_socket->abort();
        });
    });
}

LiveSession::~LiveSession() = default;

void LiveSession::sendMessage(const QByteArray &message)
{
    if (!m_closing)
        sendFrame(WebSocketFrame::text(message));
}

qint64 LiveSession::unsentBytes() const
{
    return m_tcp ? m_tcp->bytesToWrite() : m_socket->bytesToWrite();
}

void LiveSession::sendFrame(const QByteArray &frame)
{
    if (!m_closing)
        sendFrame(frame, unsentBytes());
}

void LiveSession::sendFrame(const QByteArray &frame, qint64 unsent)
{
    if (unsent + frame.size() > HardOutgoingBytes) {
        close(1008, QStringLiteral("client is not reading its messages"));
        return;
    }
    m_hub->recordSendQueue(unsent);
    if (!m_tcp) {
        m_socket->sendTextMessage(QString::fromUtf8(WebSocketFrame::payload(frame)));
        return;
    }
    qsizetype sent = 0;
    // The descriptor is read now, on the socket's own thread: -1 once Qt closed it.
    const qintptr descriptor = m_tcp->socketDescriptor();
    if (unsent == 0 && descriptor >= 0 && m_tcp->state() == QAbstractSocket::ConnectedState) {
        // Nothing is queued before it, so the frame goes straight to the kernel: no copy
        // into Qt's buffer, no write notifier, no bytesWritten signal. Only what the kernel
        // does not take now (a full socket buffer) is queued, in order, behind it; an error
        // is left to Qt, which meets it on that write.
        const ssize_t written = ::send(int(descriptor), frame.constData(), size_t(frame.size()),
                                       MSG_DONTWAIT | MSG_NOSIGNAL);
        if (written == frame.size())
            return;
        sent = std::max<qsizetype>(0, written);
    }
    m_tcp->write(sent == 0 ? frame : frame.sliced(sent));
}

void LiveSession::sendSnapshot(const QString &key, const QByteArray &frame)
{
    // Read once per snapshot: with thousands of sessions per tick, each look into the
    // socket's buffer is a cache miss.
    const qint64 unsent = unsentBytes();
    if (unsent > SoftOutgoingBytes) {
        m_owed.insert(key, frame); // only the latest state is worth sending later
        return;
    }
    if (!m_owed.isEmpty())
        m_owed.remove(key); // an older state still owed would follow this one
    if (!m_closing)
        sendFrame(frame, unsent);
}

void LiveSession::drainOwed()
{
    while (!m_owed.isEmpty() && !m_closing) {
        const qint64 unsent = unsentBytes();
        if (unsent > SoftOutgoingBytes)
            return;
        const auto it = m_owed.begin();
        const QByteArray frame = it.value();
        m_owed.erase(it);
        sendFrame(frame, unsent);
    }
}

void LiveSession::checkIdle()
{
    const qint64 silent = m_lastHeard.elapsed();
    if (silent >= m_idleMs)
        close(1001, QStringLiteral("idle"));
    else
        m_idleTimer->start(int(m_idleMs - silent));
}

void LiveSession::ping()
{
    if (!m_closing)
        m_socket->ping();
}

void LiveSession::close(int code, const QString &reason)
{
    if (m_closing)
        return;
    m_closing = true;
    m_owed.clear();
    m_socket->close(QWebSocketProtocol::CloseCode(code), reason);
}

void LiveSession::reply(const QJsonObject &message)
{
    sendMessage(QJsonDocument(message).toJson(QJsonDocument::Compact));
}

void LiveSession::error(const QJsonValue &ref, const QString &code, const QString &message,
                        int retryAfterSeconds)
{
    QJsonObject body{{QStringLiteral("type"), QStringLiteral("error")},
                     {QStringLiteral("code"), code},
                     {QStringLiteral("message"), message}};
    if (retryAfterSeconds > 0)
        body.insert(QStringLiteral("retry_after"), retryAfterSeconds);
    if (!ref.isUndefined() && !ref.isNull())
        body.insert(QStringLiteral("ref"), ref);
    reply(body);
}

void LiveSession::onText(const QString &text)
{
    m_lastHeard.restart();
    // The common plain vote without QJsonDocument, cast with the votes that came with it.
    if (std::optional<PlainVotes::Frame> frame = PlainVotes::voteFrame(text)) {
        if (m_pendingVotes.isEmpty())
            m_pendingVotes.reserve(64);
        m_pendingVotes.append(std::move(*frame));
        if (m_pendingVotes.size() >= MaxVoteBatch)
            castPendingVotes();
        else if (m_pendingVotes.size() == 1)
            QMetaObject::invokeMethod(this, &LiveSession::castPendingVotes, Qt::QueuedConnection);
        return;
    }
    castPendingVotes();
    QJsonParseError parseError;
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8(), &parseError);
    if (parseError.error != QJsonParseError::NoError || !document.isObject()) {
        error(QJsonValue(), QStringLiteral("malformed_json"),
              QStringLiteral("Messages are JSON objects."));
        return;
    }
    const QJsonObject message = document.object();
    const QString type = message.value(QStringLiteral("type")).toString();
    const QJsonValue ref = message.value(QStringLiteral("ref"));
    if (type == u"ping") {
        QJsonObject pong{{QStringLiteral("type"), QStringLiteral("pong")}};
        if (!ref.isUndefined())
            pong.insert(QStringLiteral("ref"), ref);
        reply(pong);
    } else if (type == u"subscribe" || type == u"unsubscribe") {
        subscribe(message, type == u"subscribe");
    } else if (type == u"vote") {
        QPointer<LiveSession> self(this);
        m_hub->castVote(m_client, message, [self, ref](std::optional<TallyError> failure) {
            if (!self)
                return;
            if (failure)
                self->error(ref, failure->code, failure->message, failure->retryAfterSeconds);
            else
                self->reply({{QStringLiteral("type"), QStringLiteral("ack")},
                             {QStringLiteral("ref"), ref}});
        });
    } else {
        error(ref, QStringLiteral("unknown_type"),
              QStringLiteral("Unknown message type '%1'; use subscribe, unsubscribe, vote or ping.")
                  .arg(type.left(40)));
    }
}

void LiveSession::castPendingVotes()
{
    if (m_pendingVotes.isEmpty())
        return;
    const QList<PlainVotes::Frame> frames = std::exchange(m_pendingVotes, {});
    QList<VoteRequest> votes;
    votes.reserve(frames.size());
    for (const PlainVotes::Frame &frame : frames)
        votes.append(frame.vote);
    QPointer<LiveSession> self(this);
    m_hub->castVotes(
        m_client, votes, [self, frames](qsizetype index, std::optional<TallyError> failure) {
            if (!self)
                return;
            const PlainVotes::Frame &frame = frames.at(index);
            if (failure)
                self->error(frame.ref, failure->code, failure->message, failure->retryAfterSeconds);
            else
                self->queueAck(PlainVotes::ack(frame));
        });
}

void LiveSession::queueAck(const QByteArray &message)
{
    if (m_closing)
        return;
    if (!m_tcp) {
        sendMessage(message);
        return;
    }
    // The acks of one cast are reported one after another in one call: they go out
    // together once it returns.
    if (m_ackBatch.isEmpty())
        QMetaObject::invokeMethod(this, &LiveSession::flushAcks, Qt::QueuedConnection);
    m_ackBatch += WebSocketFrame::text(message);
}

void LiveSession::flushAcks()
{
    if (!m_ackBatch.isEmpty())
        sendFrame(std::exchange(m_ackBatch, {}));
}

void LiveSession::subscribe(const QJsonObject &message, bool on)
{
    const QJsonValue ref = message.value(QStringLiteral("ref"));
    const QJsonValue channel = message.value(QStringLiteral("channel"));
    const QJsonValue pollValue = message.value(QStringLiteral("poll_id"));
    if (pollValue.isString() || pollValue.isDouble()) {
        const QString pollId =
            pollValue.isString() ? pollValue.toString() : QString::number(pollValue.toInteger());
        if (!on) {
            if (m_polls.remove(pollId))
                m_hub->unwatchPoll(this, pollId);
            return;
        }
        if (m_polls.contains(pollId))
            return;
        if (!m_hub->pollExists(pollId)) {
            error(ref, QStringLiteral("poll_not_found"),
                  QStringLiteral("No poll with id '%1' exists.").arg(pollId.left(64)));
            return;
        }
        if (m_polls.size() >= MaxPollSubscriptions) {
            error(ref, QStringLiteral("too_many_subscriptions"),
                  QStringLiteral("A connection may watch at most %1 polls.")
                      .arg(MaxPollSubscriptions));
            return;
        }
        m_polls.insert(pollId);
        m_hub->watchPoll(this, pollId);
        return;
    }
    const QString name = channel.toString();
    if (name == u"stats") {
        if (m_stats != on)
            m_hub->watchStats(on ? 1 : -1);
        m_stats = on;
    } else if (name == u"polls") {
        m_pollEvents = on;
    } else {
        error(
            ref, QStringLiteral("invalid_subscription"),
            QStringLiteral(
                "Subscribe to a poll with \"poll_id\", or to the \"stats\" or \"polls\" channel."));
    }
}
