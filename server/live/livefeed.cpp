#include "livefeed.h"
#include "core/pollcatalog.h"
#include "core/serverstats.h"
#include "core/voteledger.h"
#include "http/opscontroller.h"
#include "http/resultcontroller.h"
#include "livehub.h"
#include "servercontext.h"
#include "storage/storageengine.h"

#include <QJsonDocument>
#include <QTimer>

namespace {
constexpr int StatsIntervalMs = 500;

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}
} // namespace

LiveFeed::LiveFeed(const ServerContext &server, int liveIntervalMs, QObject *parent)
    : QObject(parent), m_server(server), m_intervalMs(liveIntervalMs)
{
}

void LiveFeed::start()
{
    QMetaObject::invokeMethod(this, [this] {
        m_tickTimer = new QTimer(this);
        connect(m_tickTimer, &QTimer::timeout, this, &LiveFeed::tick);
        m_tickTimer->start(m_intervalMs);
        m_statsTimer = new QTimer(this);
        connect(m_statsTimer, &QTimer::timeout, this, &LiveFeed::publishStats);
        m_statsTimer->start(StatsIntervalMs);
    });
}

void LiveFeed::addHub(LiveHub *hub)
{
    QMutexLocker locker(&m_mutex);
    m_hubs.insert(hub);
}

void LiveFeed::removeHub(LiveHub *hub)
{
    QMutexLocker locker(&m_mutex);
    m_hubs.remove(hub);
}

void LiveFeed::watchPoll(const QString &pollId, int delta)
{
    QMutexLocker locker(&m_mutex);
    int &count = m_watchers[pollId];
    count += delta;
    if (count <= 0)
        m_watchers.remove(pollId);
}

void LiveFeed::watchStats(int delta)
{
    QMutexLocker locker(&m_mutex);
    m_statsWatchers = std::max(0, m_statsWatchers + delta);
}

void LiveFeed::forEachHub(const std::function<void(LiveHub *)> &deliver)
{
    QMutexLocker locker(&m_mutex);
    for (LiveHub *hub : std::as_const(m_hubs))
        deliver(hub);
}

QByteArray LiveFeed::resultsMessage(const Poll &poll, const OptionCounts &counts)
{
    QJsonObject message = ResultController::resultsJson(poll.id, counts, int(poll.options.size()),
                                                        QString(), poll.voters(counts));
    message.remove(QStringLiteral("served_via"));
    message.insert(QStringLiteral("type"), QStringLiteral("results"));
    message.insert(QStringLiteral("seq"), qint64(m_sequence.value(poll.id)));
    return compact(message);
}

QByteArray LiveFeed::hiddenMessage(const QString &pollId)
{
    return compact({{QStringLiteral("type"), QStringLiteral("results_hidden")},
                    {QStringLiteral("poll_id"), pollId}});
}

void LiveFeed::readCounts(const QString &pollId, bool shareRead,
                          std::function<void(const OptionCounts &, const Poll &poll)> done)
{
    const PollCatalog::Snapshot poll = m_server.catalog->snapshot(pollId);
    if (!poll)
        return;
    const int optionCount = int(poll->options.size());
    if (std::optional<OptionCounts> cached =
            m_server.ledger->readCached(poll->countKey(), optionCount, false)) {
        done(*cached, *poll);
        return;
    }
    if (shareRead && m_reading.contains(pollId))
        return; // a read is on its way; the next tick will see its result
    if (shareRead)
        m_reading.insert(pollId);
    m_server.storage->readResults(pollId, [this, pollId, poll, shareRead, done](Outcome<StorageEngine::ResultRead> read) {
        if (shareRead)
            m_reading.remove(pollId);
        if (read)
            done(read.value().counts, *poll);
    });
}

void LiveFeed::tick()
{
    QList<QString> watched;
    {
        QMutexLocker locker(&m_mutex);
        watched = m_watchers.keys();
    }
    for (const QString &pollId : std::as_const(watched)) {
        // Hidden results: subscribers are told once; the moment they become visible
        // (reveal, close, timed close) every subscriber gets a snapshot.
        const PollCatalog::Snapshot poll = m_server.catalog->snapshot(pollId);
        if (poll && !poll->resultsVisible()) {
            if (m_hidden.contains(pollId))
                continue;
            m_hidden.insert(pollId);
            const QByteArray message = hiddenMessage(pollId);
            forEachHub([&](LiveHub *hub) {
                QMetaObject::invokeMethod(hub, [hub, pollId, message] { hub->deliverResults(pollId, message); });
            });
            continue;
        }
        const bool revealed = m_hidden.remove(pollId);
        readCounts(pollId, true, [this, pollId, revealed](const OptionCounts &counts, const Poll &poll) {
            if (!revealed && m_lastSent.value(pollId) == counts)
                return;
            m_lastSent.insert(pollId, counts);
            ++m_sequence[pollId];
            const QByteArray message = resultsMessage(poll, counts);
            forEachHub([&](LiveHub *hub) {
                QMetaObject::invokeMethod(hub, [hub, pollId, message] { hub->deliverResults(pollId, message); });
            });
        });
    }
    // Forget what nobody watches any more so memory follows the audience.
    for (auto it = m_lastSent.begin(); it != m_lastSent.end();) {
        if (!watched.contains(it.key()))
            it = m_lastSent.erase(it);
        else
            ++it;
    }
    for (auto it = m_hidden.begin(); it != m_hidden.end();) {
        if (!watched.contains(*it))
            it = m_hidden.erase(it);
        else
            ++it;
    }
}

void LiveFeed::requestSnapshot(LiveHub *hub, quint64 sessionId, const QString &pollId)
{
    QMetaObject::invokeMethod(this, [this, hub, sessionId, pollId] {
        const PollCatalog::Snapshot poll = m_server.catalog->snapshot(pollId);
        if (poll && !poll->resultsVisible()) {
            const QByteArray message = hiddenMessage(pollId);
            QMutexLocker locker(&m_mutex);
            if (m_hubs.contains(hub))
                QMetaObject::invokeMethod(hub, [hub, sessionId, message] { hub->deliverTo(sessionId, message); });
            return;
        }
        readCounts(pollId, false, [this, hub, sessionId, pollId](const OptionCounts &counts, const Poll &poll) {
            // Reads complete on this thread in order and counts never go back, so when no
            // snapshot has been pushed yet, everyone watching holds these counts or newer
            // ones: the next tick only needs to push when the counts differ from them
            // (without this, the first tick repeats the same counts with a new seq).
            if (!m_lastSent.contains(pollId))
                m_lastSent.insert(pollId, counts);
            const QByteArray message = resultsMessage(poll, counts);
            QMutexLocker locker(&m_mutex);
            if (m_hubs.contains(hub))
                QMetaObject::invokeMethod(hub, [hub, sessionId, message] { hub->deliverTo(sessionId, message); });
        });
    });
}

void LiveFeed::publishStats()
{
    {
        QMutexLocker locker(&m_mutex);
        if (m_statsWatchers == 0)
            return;
    }
    QJsonObject stats = OpsController::statsJson(m_server);
    stats.insert(QStringLiteral("type"), QStringLiteral("stats"));
    const QByteArray message = compact(stats);
    forEachHub([&](LiveHub *hub) {
        QMetaObject::invokeMethod(hub, [hub, message] { hub->deliverStats(message); });
    });
}

void LiveFeed::publishPollEvent(const QString &type, const QJsonObject &poll)
{
    const QByteArray message = compact({{QStringLiteral("type"), type}, {QStringLiteral("poll"), poll}});
    forEachHub([&](LiveHub *hub) {
        QMetaObject::invokeMethod(hub, [hub, message] { hub->deliverPollEvent(message); });
    });
}

void LiveFeed::recordSendQueue(qint64 bytes) const
{
    m_server.stats->websocketSendQueue.observe(quint64(std::max<qint64>(0, bytes)));
}
