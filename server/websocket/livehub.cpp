#include "livehub.h"
#include "core/pollcatalog.h"
#include "core/requestparser.h"
#include "guard/requestguard.h"
#include "live/livefeed.h"
#include "livesession.h"
#include "vote/voteservice.h"
#include "websocketframe.h"

#include <QHttpServer>
#include <QNetworkRequest>
#include <QTimer>
#include <QWebSocket>
#include <algorithm>

LiveHub::LiveHub(LiveFeed *feed, const PollCatalog *catalog, const VoteService *votes,
                 const RequestGuard *guard, QObject *parent)
    : QObject(parent), LiveReceiver(this), m_feed(feed), m_catalog(catalog), m_votes(votes),
      m_guard(guard), m_pingTimer(new QTimer(this))
{
    connect(m_pingTimer, &QTimer::timeout, this, [this] {
        for (LiveSession *session : std::as_const(m_sessions))
            session->ping();
    });
    setIdleTimeout(DefaultIdleTimeoutMs);
    m_feed->addHub(this);
}

LiveHub::~LiveHub()
{
    m_feed->removeHub(this);
    for (auto it = m_watchers.cbegin(); it != m_watchers.cend(); ++it)
        m_feed->watchPoll(it.key(), -int(it->size()));
    for (LiveSession *session : std::as_const(m_sessions))
        if (session->wantsStats())
            m_feed->watchStats(-1);
    m_feed->clientCountChanged(-int(m_sessions.size()));
}

void LiveHub::setIdleTimeout(int idleMs)
{
    m_idleTimeoutMs = idleMs;
    m_pingTimer->start(std::clamp(idleMs / 3, 1, MaxPingIntervalMs));
}

void LiveHub::acceptFrom(QHttpServer *server)
{
    connect(server, &QHttpServer::newWebSocketConnection, this, [this, server] {
        while (server->hasPendingWebSocketConnections()) {
            std::unique_ptr<QWebSocket> socket = server->nextPendingWebSocketConnection();
            if (!socket)
                continue;
            const quint64 id = m_nextId++;
            const QNetworkRequest &handshake = socket->request();
            const QString client = m_guard
                                       ? m_guard->clientOf(socket->peerAddress(),
                                                           handshake.rawHeader("X-Forwarded-For"),
                                                           handshake.rawHeader("X-Real-IP"))
                                       : RequestGuard::normalise(socket->peerAddress());
            auto *session = new LiveSession(id, client, std::move(socket), m_idleTimeoutMs, this);
            connect(session, &LiveSession::finished, this, &LiveHub::remove);
            m_sessions.insert(id, session);
            m_feed->clientCountChanged(1);
        }
    });
}

void LiveHub::remove(quint64 sessionId)
{
    LiveSession *session = m_sessions.take(sessionId);
    if (!session)
        return;
    for (const QString &pollId : session->polls())
        unwatchPoll(session, pollId);
    if (session->wantsStats())
        m_feed->watchStats(-1);
    m_feed->clientCountChanged(-1);
    session->deleteLater();
}

void LiveHub::closeAll(int code, const QString &reason)
{
    for (LiveSession *session : std::as_const(m_sessions))
        session->close(code, reason);
}

void LiveHub::deliverResults(const QString &pollId, const QByteArray &message)
{
    if (!m_watchers.contains(pollId))
        return;
    // Sent on the next turn of the event loop: a hub that runs behind, with several ticks
    // queued, sends only the latest snapshot of each poll, as a lagging client gets.
    const bool scheduled = !m_pendingResults.isEmpty();
    m_pendingResults.insert(pollId, message);
    if (!scheduled)
        QMetaObject::invokeMethod(this, &LiveHub::sendPendingResults, Qt::QueuedConnection);
}

void LiveHub::sendPendingResults()
{
    const QHash<QString, QByteArray> pending = std::exchange(m_pendingResults, {});
    for (auto message = pending.cbegin(); message != pending.cend(); ++message) {
        const auto watchers = m_watchers.constFind(message.key());
        if (watchers == m_watchers.cend())
            continue;
        const QByteArray frame = WebSocketFrame::text(message.value()); // once for all of them
        for (LiveSession *session : *watchers)
            session->sendSnapshot(message.key(), frame);
    }
}

void LiveHub::deliverStats(const QByteArray &message)
{
    const QByteArray frame = WebSocketFrame::text(message);
    const QString key = QStringLiteral("\n stats");
    for (LiveSession *session : std::as_const(m_sessions))
        if (session->wantsStats())
            session->sendSnapshot(key, frame);
}

void LiveHub::deliverPollEvent(const QByteArray &message)
{
    // Snapshots still waiting were computed before this event (a reset, say): they go
    // first, so a client never gets pre-reset counts after the reset itself.
    if (!m_pendingResults.isEmpty())
        sendPendingResults();
    const QByteArray frame = WebSocketFrame::text(message);
    for (LiveSession *session : std::as_const(m_sessions))
        if (session->wantsPollEvents())
            session->sendFrame(frame);
}

void LiveHub::deliverTo(quint64 sessionId, const QByteArray &message)
{
    if (LiveSession *session = m_sessions.value(sessionId))
        session->sendMessage(message);
}

bool LiveHub::pollExists(const QString &pollId) const
{
    return m_catalog->contains(pollId);
}

void LiveHub::watchPoll(LiveSession *session, const QString &pollId)
{
    QSet<LiveSession *> &watchers = m_watchers[pollId];
    watchers.insert(session);
    m_feed->watchPoll(pollId, 1);
    m_feed->requestSnapshot(this, session->id(), pollId);
}

void LiveHub::unwatchPoll(LiveSession *session, const QString &pollId)
{
    const auto it = m_watchers.find(pollId);
    if (it == m_watchers.end() || !it->remove(session))
        return;
    if (it->isEmpty())
        m_watchers.erase(it);
    m_feed->watchPoll(pollId, -1);
}

void LiveHub::watchStats(int delta)
{
    m_feed->watchStats(delta);
}

void LiveHub::castVote(const QString &client, const QJsonObject &message,
                       std::function<void(std::optional<TallyError>)> done) const
{
    const auto read = [message] { return RequestParser::parseBulkItem(message); };
    m_votes->cast(client, read, [done](Outcome<int> cast) {
        if (cast)
            done(std::nullopt);
        else
            done(cast.error());
    });
}

void LiveHub::castVotes(const QString &client, const QList<VoteRequest> &votes,
                        std::function<void(qsizetype, std::optional<TallyError>)> each) const
{
    m_votes->castEach(client, votes, [each = std::move(each)](qsizetype index, Outcome<int> cast) {
        if (cast)
            each(index, std::nullopt);
        else
            each(index, cast.error());
    });
}

void LiveHub::recordSendQueue(qint64 bytes) const
{
    m_feed->recordSendQueue(bytes);
}
