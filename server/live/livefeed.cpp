#include "livefeed.h"
#include "core/periodic.h"
#include "core/serverstats.h"
#include "livereceiver.h"
#include "stats/statsmodel.h"
#include "vote/resultservice.h"

#include <QJsonDocument>
#include <QTimer>

namespace {
QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}
} // namespace

LiveFeed::LiveFeed(const ResultService &results, const StatsModel &statsModel, ServerStats &stats,
                   int liveIntervalMs, QObject *parent)
    : QObject(parent), m_results(results), m_statsModel(statsModel), m_stats(stats),
      m_intervalMs(liveIntervalMs)
{
}

void LiveFeed::clientCountChanged(int delta)
{
    m_stats.websocketClients.fetchAndAddRelaxed(delta);
}

qint64 LiveFeed::clientCount() const
{
    return m_stats.websocketClients.loadRelaxed();
}

void LiveFeed::start()
{
    QMetaObject::invokeMethod(this, [this] {
        // Precise: a vote waits up to one interval for its snapshot, not 5% more.
        Periodic::every(
            this, m_intervalMs, [this] { tick(); }, Qt::PreciseTimer);
        Periodic::every(this, Periodic::StatsPushMs, [this] { publishStats(); });
    });
}

void LiveFeed::addHub(LiveReceiver *hub)
{
    QMutexLocker locker(&m_mutex);
    m_hubs.insert(hub);
}

void LiveFeed::removeHub(LiveReceiver *hub)
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

void LiveFeed::forEachHub(const std::function<void(LiveReceiver *)> &deliver)
{
    QMutexLocker locker(&m_mutex);
    for (LiveReceiver *hub : std::as_const(m_hubs))
        deliver(hub);
}

QByteArray LiveFeed::resultsMessage(const Poll &poll, const OptionCounts &counts)
{
    QJsonObject message = ResultService::json(poll.id, counts, int(poll.options.size()), QString(),
                                              poll.voters(counts));
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
    const PollCatalog::Snapshot poll = m_results.poll(pollId);
    if (!poll)
        return;
    if (std::optional<OptionCounts> cached = m_results.cached(*poll, false)) {
        done(*cached, *poll);
        return;
    }
    if (shareRead && m_reading.contains(pollId))
        return; // a read is on its way; the next tick will see its result
    if (shareRead)
        m_reading.insert(pollId);
    // This object lives on the storage thread: the read's answer comes back here.
    m_results.readStored(
        pollId, nullptr,
        [this, pollId, poll, shareRead, done](Outcome<ResultService::Results> read) {
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
        const PollCatalog::Snapshot poll = m_results.poll(pollId);
        if (poll && !poll->resultsVisible()) {
            if (m_hidden.contains(pollId))
                continue;
            m_hidden.insert(pollId);
            const QByteArray message = hiddenMessage(pollId);
            forEachHub([&](LiveReceiver *hub) {
                QMetaObject::invokeMethod(hub->context(), [hub, pollId, message] {
                    hub->deliverResults(pollId, message);
                });
            });
            continue;
        }
        const bool revealed = m_hidden.remove(pollId);
        readCounts(pollId, true,
                   [this, pollId, revealed](const OptionCounts &counts, const Poll &poll) {
                       if (!revealed && m_lastSent.value(pollId) == counts)
                           return;
                       m_lastSent.insert(pollId, counts);
                       ++m_sequence[pollId];
                       const QByteArray message = resultsMessage(poll, counts);
                       forEachHub([&](LiveReceiver *hub) {
                           QMetaObject::invokeMethod(hub->context(), [hub, pollId, message] {
                               hub->deliverResults(pollId, message);
                           });
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

void LiveFeed::requestSnapshot(LiveReceiver *hub, quint64 sessionId, const QString &pollId)
{
    QMetaObject::invokeMethod(this, [this, hub, sessionId, pollId] {
        const PollCatalog::Snapshot poll = m_results.poll(pollId);
        if (poll && !poll->resultsVisible()) {
            const QByteArray message = hiddenMessage(pollId);
            QMutexLocker locker(&m_mutex);
            if (m_hubs.contains(hub))
                QMetaObject::invokeMethod(hub->context(), [hub, sessionId, message] {
                    hub->deliverTo(sessionId, message);
                });
            return;
        }
        readCounts(pollId, false,
                   [this, hub, sessionId, pollId](const OptionCounts &counts, const Poll &poll) {
                       // Reads complete on this thread in order and counts never go back, so when
                       // no snapshot has been pushed yet, everyone watching holds these counts or
                       // newer ones: the next tick only needs to push when the counts differ from
                       // them (without this, the first tick repeats the same counts with a new
                       // seq).
                       if (!m_lastSent.contains(pollId))
                           m_lastSent.insert(pollId, counts);
                       const QByteArray message = resultsMessage(poll, counts);
                       QMutexLocker locker(&m_mutex);
                       if (m_hubs.contains(hub))
                           QMetaObject::invokeMethod(hub->context(), [hub, sessionId, message] {
                               hub->deliverTo(sessionId, message);
                           });
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
    QJsonObject stats = m_statsModel.json();
    stats.insert(QStringLiteral("type"), QStringLiteral("stats"));
    const QByteArray message = compact(stats);
    forEachHub([&](LiveReceiver *hub) {
        QMetaObject::invokeMethod(hub->context(), [hub, message] { hub->deliverStats(message); });
    });
}

void LiveFeed::publishPollEvent(const QString &type, const QJsonObject &poll)
{
    const QByteArray message =
        compact({{QStringLiteral("type"), type}, {QStringLiteral("poll"), poll}});
    forEachHub([&](LiveReceiver *hub) {
        QMetaObject::invokeMethod(hub->context(),
                                  [hub, message] { hub->deliverPollEvent(message); });
    });
}

void LiveFeed::recordSendQueue(qint64 bytes) const
{
    m_stats.websocketSendQueue.observe(quint64(std::max<qint64>(0, bytes)));
}
