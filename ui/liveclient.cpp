#include "liveclient.h"
#include "restpoller.h"
#include "serverclient.h"

#include <QJsonDocument>
#include <QLocale>
#include <QNetworkProxy>
#include <QTimer>
#include <QWebSocket>

namespace {
constexpr int HandshakeTimeoutMs = 5000;
constexpr int HousekeepingMs = 1000;
constexpr int StaleStatsMs = 2500;   // live but no stats message: ask over REST
constexpr int PingAfterMs = 4000;    // live but silent: ping
constexpr int SilentLimitMs = 10000; // live and silent this long: the socket is dead
constexpr qint64 MaxMessageBytes = 4 * 1024 * 1024;
// Subscriptions carry this ref prefix, so a refused one can be told from a vote.
const QString SubscribeRef = QStringLiteral("subscribe:");
// An ack as the server writes it: {"ref":12,"type":"ack"}.
const QString AckPrefix = QStringLiteral("{\"ref\":");
const QString AckSuffix = QStringLiteral(",\"type\":\"ack\"}");
} // namespace

LiveClient::LiveClient(ServerClient *client, QObject *parent)
    : QObject(parent), m_client(client), m_rest(new RestPoller(client, this)),
      m_socket(new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this)),
      m_probeTimer(new QTimer(this)), m_socketRetryTimer(new QTimer(this)),
      m_handshakeTimer(new QTimer(this)), m_housekeepingTimer(new QTimer(this))
{
    m_socket->setProxy(QNetworkProxy::NoProxy);
    m_socket->setMaxAllowedIncomingMessageSize(MaxMessageBytes);
    m_socket->setMaxAllowedIncomingFrameSize(MaxMessageBytes);
    for (QTimer *timer : {m_probeTimer, m_socketRetryTimer, m_handshakeTimer})
        timer->setSingleShot(true);
    m_housekeepingTimer->setInterval(HousekeepingMs);

    connect(m_probeTimer, &QTimer::timeout, m_rest, &RestPoller::fetchStats);
    connect(m_socketRetryTimer, &QTimer::timeout, this, &LiveClient::openSocket);
    connect(m_handshakeTimer, &QTimer::timeout, m_socket, &QWebSocket::abort);
    connect(m_housekeepingTimer, &QTimer::timeout, this, &LiveClient::housekeeping);

    connect(m_socket, &QWebSocket::connected, this, &LiveClient::onSocketConnected);
    connect(m_socket, &QWebSocket::disconnected, this, &LiveClient::onSocketClosed);
    // A refused connection or a failed handshake (a server without the WebSocket
    // answers 404) reports an error, not always a disconnection.
    connect(m_socket, qOverload<QAbstractSocket::SocketError>(&QWebSocket::error), this, [this] {
        if (m_socket->state() != QAbstractSocket::ConnectedState)
            onSocketClosed();
    });
    connect(m_socket, &QWebSocket::textMessageReceived, this, &LiveClient::onMessage);

    connect(m_rest, &RestPoller::statsFetched, this, &LiveClient::onStats);
    connect(m_rest, &RestPoller::unreachable, this, &LiveClient::onUnreachable);
    connect(m_rest, &RestPoller::statsFailed, this, &LiveClient::onProbeFailed);
    connect(m_rest, &RestPoller::resultsFetched, this, &LiveClient::publishResults);
    connect(m_rest, &RestPoller::resultsHidden, this, &LiveClient::resultsHidden);
    connect(m_rest, &RestPoller::pollGone, this, [this](const QString &pollId) {
        m_latest.remove(pollId);
        Q_EMIT pollGone(pollId);
    });
    connect(m_rest, &RestPoller::pollsFetched, this, [this](const QJsonArray &polls) {
        for (const QJsonValue &poll : polls)
            noticeReset(poll.toObject());
        Q_EMIT pollsReceived(polls);
    });
    connect(m_rest, &RestPoller::ringFetched, this, &LiveClient::ringReceived);
}

void LiveClient::setApiPrefix(const QString &prefix)
{
    m_client->setApiPrefix(prefix);
    m_socketPath = m_client->api(Protocol::WebSocketPath);
}

QString LiveClient::apiPrefix() const
{
    return m_client->apiPrefix();
}

QUrl LiveClient::socketUrl(const QUrl &baseUrl, const QString &socketPath)
{
    QUrl url = baseUrl;
    url.setScheme(baseUrl.scheme() == u"https" ? QStringLiteral("wss") : QStringLiteral("ws"));
    QString path = baseUrl.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path + socketPath);
    url.setQuery(QString());
    return url;
}

void LiveClient::start(const QUrl &baseUrl)
{
    stop();
    m_baseUrl = baseUrl;
    m_client->setBaseUrl(baseUrl);
    setState(State::Connecting);
    m_rest->fetchStats();
}

void LiveClient::stop()
{
    m_rest->setMode(RestPoller::Mode::Off);
    for (QTimer *timer : {m_probeTimer, m_socketRetryTimer, m_handshakeTimer, m_housekeepingTimer})
        timer->stop();
    m_socketOpening = false;
    m_socket->abort();
    m_subscribed.clear();
    m_hidden.clear();
    m_lastSeq.clear();
    m_latest.clear();
    m_resetAt.clear();
    m_lastProblem.clear();
    m_attempt = 0;
    m_probeDelayMs = FirstProbeDelayMs;
    m_socketRetryMs = FirstSocketRetryMs;
    m_version.clear();
    setState(State::Idle);
}

bool LiveClient::socketLive() const
{
    return m_socket->state() == QAbstractSocket::ConnectedState;
}

int LiveClient::retryInMs() const
{
    return m_probeTimer->isActive() ? m_probeTimer->remainingTime() : 0;
}

int LiveClient::socketRetryInMs() const
{
    return m_socketRetryTimer->isActive() ? m_socketRetryTimer->remainingTime() : -1;
}

QString LiveClient::statusText() const
{
    const QString url = m_baseUrl.toString(QUrl::StripTrailingSlash);
    switch (m_state) {
    case LiveClient::State::Idle:
        return tr("Not connected");
    case LiveClient::State::Connecting:
        return tr("Connecting to %1…").arg(url);
    case LiveClient::State::Live:
        return tr("Connected to %1 · live updates").arg(url);
    case LiveClient::State::Polling: {
        const int retry = socketRetryInMs();
        return retry < 0 ? tr("Connected to %1 · polling").arg(url)
                         : tr("Connected to %1 · polling (live updates unavailable, retry in %2 s)")
                               .arg(url)
                               .arg((retry + 999) / 1000);
    }
    case LiveClient::State::Reconnecting: {
        const QString text = tr("Reconnecting to %1 in %2 s (attempt %3)…")
                                 .arg(url, QLocale().toString((retryInMs() + 999) / 1000),
                                      QLocale().toString(attempt()));
        return m_lastProblem.isEmpty() ? text : tr("%1 Last answer: %2").arg(text, m_lastProblem);
    }
    }
    return {};
}

void LiveClient::setState(State state)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void LiveClient::setSelectedPoll(const QString &pollId)
{
    m_selected = pollId;
    m_rest->setSelectedPoll(pollId);
    if (!pollId.isEmpty() && isConnected())
        m_rest->fetchResults(pollId);
    syncSubscriptions();
}

void LiveClient::setWatchedPolls(const QStringList &pollIds)
{
    m_watched = pollIds;
    syncSubscriptions();
}

void LiveClient::updateRestTotals()
{
    // Polls the socket does not push (all of them without a socket) are polled.
    QStringList polled;
    for (const QString &id : std::as_const(m_watched)) {
        if (!m_subscribed.contains(id) || m_hidden.contains(id))
            polled.append(id);
    }
    m_rest->setWatchedPolls(polled);
}

void LiveClient::publishResults(const QString &pollId, const QJsonObject &answer)
{
    const QJsonObject results = answer.value(QStringLiteral("results")).toObject();
    const qint64 total = answer.value(QStringLiteral("total")).toInteger();
    const qint64 voters = answer.value(QStringLiteral("voters")).toInteger(-1);
    // Counts only grow between resets: a snapshot with a smaller total was computed
    // before one already shown (e.g. a REST answer overtaken by a pushed snapshot) and
    // would show an older count until the next change.
    auto known = m_latest.constFind(pollId);
    if (known != m_latest.constEnd() && total < known->total)
        return;
    m_latest.insert(pollId, {results, total, voters});
    Q_EMIT resultsReceived(pollId, results, total);
    if (voters >= 0)
        Q_EMIT votersReceived(pollId, voters);
}

void LiveClient::noticeReset(const QJsonObject &poll)
{
    // After a reset the counts start again from zero: what was seen before no longer
    // bounds them.
    const QString id = poll.value(QStringLiteral("id")).toString();
    const QString resetAt = poll.value(QStringLiteral("reset_at")).toString();
    if (id.isEmpty() || resetAt.isEmpty() || m_resetAt.value(id) == resetAt)
        return;
    const bool known = m_resetAt.contains(id);
    m_resetAt.insert(id, resetAt);
    if (known || m_latest.contains(id)) {
        m_latest.remove(id);
        m_lastSeq.remove(id);
    }
}

void LiveClient::forgetResults(const QString &pollId)
{
    m_latest.remove(pollId);
    m_lastSeq.remove(pollId);
}

void LiveClient::refresh()
{
    if (m_state == State::Reconnecting) {
        m_probeTimer->stop();
        m_rest->fetchStats();
        return;
    }
    if (m_state == State::Polling && !m_socketRetryTimer->isActive())
        openSocket();
    m_rest->fetchAll();
}

void LiveClient::fetchResults(const QString &pollId)
{
    if (isConnected() && !pollId.isEmpty())
        m_rest->fetchResults(pollId);
}

bool LiveClient::sendVote(const QString &pollId, const QStringList &optionIds, qint64 ref,
                          const QString &voterId)
{
    if (!socketLive() || optionIds.isEmpty())
        return false;
    QJsonObject vote{{QStringLiteral("type"), QStringLiteral("vote")},
                     {Protocol::PollIdField.toString(), pollId},
                     {QStringLiteral("ref"), ref}};
    // One choice goes as option_id, which every server understands.
    if (optionIds.size() == 1)
        vote.insert(QStringLiteral("option_id"), optionIds.constFirst());
    else
        vote.insert(QStringLiteral("option_ids"), QJsonArray::fromStringList(optionIds));
    if (!voterId.isEmpty())
        vote.insert(Protocol::VoterIdField, voterId);
    send(vote);
    return true;
}

void LiveClient::onStats(const QJsonObject &stats)
{
    m_lastStats.start();
    m_version = stats.value(QStringLiteral("version")).toString();
    onReachable();
    Q_EMIT statsReceived(stats);
}

void LiveClient::onReachable()
{
    if (m_state != State::Connecting && m_state != State::Reconnecting)
        return;
    m_probeTimer->stop();
    m_attempt = 0;
    m_probeDelayMs = FirstProbeDelayMs;
    m_lastProblem.clear();
    m_lastSeq.clear();
    // A restarted server may hold fewer votes than were shown: start from its answers.
    m_latest.clear();
    setState(State::Polling);
    m_rest->setMode(RestPoller::Mode::Polling);
    m_rest->fetchAll();
    m_socketRetryMs = FirstSocketRetryMs;
    openSocket();
}

void LiveClient::onUnreachable(const QString &why)
{
    // Only probes count as attempts while reconnecting; other requests failing at the
    // same time say nothing new.
    if (m_state == State::Idle || m_state == State::Reconnecting || socketLive())
        return; // the socket's own watchdog decides while it is open
    m_lastProblem = why;
    scheduleProbe(true);
}

void LiveClient::onProbeFailed(const QString &why)
{
    if (m_state == State::Idle || socketLive())
        return;
    m_lastProblem = why;
    scheduleProbe(m_state != State::Reconnecting);
}

void LiveClient::scheduleProbe(bool firstFailure)
{
    if (firstFailure) {
        m_rest->setMode(RestPoller::Mode::Off);
        m_socketRetryTimer->stop();
        m_handshakeTimer->stop();
        m_socketOpening = false;
        m_socket->abort();
        m_probeDelayMs = FirstProbeDelayMs;
        m_attempt = 0;
    } else {
        m_probeDelayMs = qMin(m_probeDelayMs * 2, MaxProbeDelayMs);
    }
    ++m_attempt;
    m_probeTimer->start(m_probeDelayMs);
    if (m_state == State::Reconnecting)
        Q_EMIT stateChanged(m_state); // a new attempt: the countdown changed
    setState(State::Reconnecting);
}

void LiveClient::openSocket()
{
    if (m_state != State::Polling || m_socket->state() != QAbstractSocket::UnconnectedState)
        return;
    m_socketRetryTimer->stop();
    m_socketOpening = true;
    m_handshakeTimer->start(HandshakeTimeoutMs);
    m_socket->open(socketUrl(m_baseUrl, m_socketPath));
}

void LiveClient::onSocketConnected()
{
    m_handshakeTimer->stop();
    m_socketRetryMs = FirstSocketRetryMs;
    m_subscribed.clear();
    m_hidden.clear(); // the new subscriptions say again what is hidden
    m_lastSeq.clear();
    m_lastMessage.start();
    m_pingSent = false;
    send({{QStringLiteral("type"), QStringLiteral("subscribe")},
          {QStringLiteral("channel"), QStringLiteral("stats")}});
    send({{QStringLiteral("type"), QStringLiteral("subscribe")},
          {QStringLiteral("channel"), QStringLiteral("polls")}});
    syncSubscriptions();
    m_rest->setMode(RestPoller::Mode::Live);
    m_housekeepingTimer->start();
    setState(State::Live);
    // Whatever changed while the socket was being opened: fetch once, then follow pushes.
    m_rest->fetchAll();
}

void LiveClient::onSocketClosed()
{
    if (!m_socketOpening)
        return; // already handled, or closed on purpose
    m_socketOpening = false;
    m_handshakeTimer->stop();
    m_housekeepingTimer->stop();
    m_subscribed.clear();
    updateRestTotals();
    if (m_state != State::Live && m_state != State::Polling)
        return;
    setState(State::Polling);
    m_rest->setMode(RestPoller::Mode::Polling);
    m_rest->fetchStats(); // is the server itself still there?
    m_socketRetryTimer->start(m_socketRetryMs);
    m_socketRetryMs = qMin(m_socketRetryMs * 2, MaxSocketRetryMs);
}

void LiveClient::housekeeping()
{
    if (!socketLive())
        return;
    const qint64 silent = m_lastMessage.elapsed();
    if (silent > SilentLimitMs) {
        m_socket->abort();
        return;
    }
    if (silent > PingAfterMs && !m_pingSent) {
        send({{QStringLiteral("type"), QStringLiteral("ping")}});
        m_pingSent = true;
    }
    if (!m_lastStats.isValid() || m_lastStats.elapsed() > StaleStatsMs)
        m_rest->fetchStats();
}

void LiveClient::send(const QJsonObject &message)
{
    m_socket->sendTextMessage(
        QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact)));
}

QStringList LiveClient::wantedSubscriptions() const
{
    QStringList wanted;
    if (!m_selected.isEmpty())
        wanted.append(m_selected);
    for (const QString &id : m_watched) {
        if (wanted.size() >= MaxSubscriptions)
            break;
        if (id != m_selected)
            wanted.append(id);
    }
    return wanted;
}

void LiveClient::syncSubscriptions()
{
    if (!socketLive()) {
        m_subscribed.clear();
        updateRestTotals();
        return;
    }
    const QStringList wantedList = wantedSubscriptions();
    const QSet<QString> wanted(wantedList.cbegin(), wantedList.cend());
    QSet<QString> dropped = m_subscribed;
    dropped.subtract(wanted);
    for (const QString &id : std::as_const(dropped)) {
        send({{QStringLiteral("type"), QStringLiteral("unsubscribe")},
              {QStringLiteral("poll_id"), id}});
        m_subscribed.remove(id);
        m_lastSeq.remove(id);
    }
    for (const QString &id : wantedList) {
        if (m_subscribed.contains(id))
            continue;
        send({{QStringLiteral("type"), QStringLiteral("subscribe")},
              {QStringLiteral("poll_id"), id},
              {QStringLiteral("ref"), SubscribeRef + id}});
        m_subscribed.insert(id);
    }
    updateRestTotals();
}

void LiveClient::onMessage(const QString &text)
{
    m_lastMessage.start();
    m_pingSent = false;
    // A burst's acks come by the thousand each second: the server's form of an ack with a
    // number ref is read without QJsonDocument; anything else goes the long way.
    if (text.startsWith(AckPrefix) && text.endsWith(AckSuffix)) {
        bool isNumber = false;
        const qint64 ref =
            QStringView(text)
                .sliced(AckPrefix.size(), text.size() - AckPrefix.size() - AckSuffix.size())
                .toLongLong(&isNumber);
        if (isNumber) {
            Q_EMIT voteAcked(ref);
            return;
        }
    }
    const QJsonObject message = QJsonDocument::fromJson(text.toUtf8()).object();
    const QString type = message.value(QStringLiteral("type")).toString();
    if (type == u"results") {
        const QString pollId = message.value(QStringLiteral("poll_id")).toString();
        const qint64 seq = message.value(QStringLiteral("seq")).toInteger(-1);
        if (seq >= 0) {
            if (seq <= m_lastSeq.value(pollId, -1))
                return; // an older snapshot overtaken by a newer one
            m_lastSeq.insert(pollId, seq);
        }
        if (m_hidden.remove(pollId))
            updateRestTotals(); // visible again: the socket pushes them
        publishResults(pollId, message);
    } else if (type == u"results_hidden") {
        // Not pushed while hidden: fetched with the admin token instead.
        const QString pollId = message.value(QStringLiteral("poll_id")).toString();
        if (!m_hidden.contains(pollId)) {
            m_hidden.insert(pollId);
            updateRestTotals();
            m_rest->fetchResults(pollId);
        }
    } else if (type == u"stats") {
        QJsonObject stats = message;
        stats.remove(QStringLiteral("type"));
        onStats(stats);
    } else if (type == u"poll_created" || type == u"poll_updated" || type == u"poll_deleted") {
        const QJsonObject poll = message.value(QStringLiteral("poll")).toObject();
        noticeReset(poll);
        if (type == u"poll_deleted")
            m_latest.remove(poll.value(QStringLiteral("id")).toString());
        Q_EMIT pollEvent(type, poll);
        if (type == u"poll_deleted")
            Q_EMIT pollGone(poll.value(QStringLiteral("id")).toString());
        m_rest->fetchRing(); // poll counts per shard changed
    } else if (type == u"ack") {
        Q_EMIT voteAcked(message.value(QStringLiteral("ref")).toInteger(-1));
    } else if (type == u"error") {
        const QJsonValue ref = message.value(QStringLiteral("ref"));
        if (ref.isString() && ref.toString().startsWith(SubscribeRef)) {
            // Not watchable over the socket (gone, or over the limit): poll it instead.
            m_subscribed.remove(ref.toString().mid(SubscribeRef.size()));
            updateRestTotals();
        } else if (!ref.isUndefined() && !ref.isNull())
            Q_EMIT voteRejected(ref.toInteger(-1), message.value(QStringLiteral("code")).toString(),
                                message.value(QStringLiteral("message")).toString(),
                                message.value(QStringLiteral("retry_after")).toInt());
    }
}
