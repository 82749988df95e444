#pragma once

#include "core/poll.h"
#include "core/votecounts.h"

#include <QHash>
#include <QMutex>
#include <QObject>
#include <QSet>

class LiveReceiver;
class ResultService;
class StatsModel;
struct ServerStats;

// Produces the live messages of docs/api.md ("WebSocket") on the storage thread and hands them to
// every worker's WebSocket hub (a LiveReceiver). Every `--live-interval` it reads the counts of
// each poll somebody watches and pushes a snapshot only when they changed: at most one per poll per
// interval, always the latest state, and nothing to do on the vote path.
class LiveFeed : public QObject {
    Q_OBJECT
public:
    LiveFeed(const ResultService &results, const StatsModel &statsModel, ServerStats &stats,
             int liveIntervalMs, QObject *parent = nullptr);

    // Any thread. Hubs register when their worker starts and leave before it stops.
    void addHub(LiveReceiver *hub);
    void removeHub(LiveReceiver *hub);
    void watchPoll(const QString &pollId, int delta);
    void watchStats(int delta);
    void clientCountChanged(int delta);
    qint64 clientCount() const;
    // Any thread: the bytes a WebSocket has not sent yet when another message is queued.
    void recordSendQueue(qint64 bytes) const;
    // Any thread. Sends the current snapshot of a poll to one session of one hub.
    void requestSnapshot(LiveReceiver *hub, quint64 sessionId, const QString &pollId);

    // Storage thread: poll lifecycle events for the "polls" channel.
    void publishPollEvent(const QString &type, const QJsonObject &poll);

    void start();

private:
    void tick();
    void publishStats();
    // Counts of a poll with the poll snapshot they were read for.
    void readCounts(const QString &pollId, bool shareRead,
                    std::function<void(const OptionCounts &, const Poll &poll)> done);
    QByteArray resultsMessage(const Poll &poll, const OptionCounts &counts);
    // What subscribers get instead of counts while a poll's results are not visible.
    static QByteArray hiddenMessage(const QString &pollId);
    // Calls `deliver` for every hub while holding the lock, so no hub can go away meanwhile.
    void forEachHub(const std::function<void(LiveReceiver *)> &deliver);

    const ResultService &m_results;
    const StatsModel &m_statsModel;
    ServerStats &m_stats;
    int m_intervalMs;

    mutable QMutex m_mutex; // guards the members below
    QSet<LiveReceiver *> m_hubs;
    QHash<QString, int> m_watchers;
    int m_statsWatchers = 0;

    // Storage thread only.
    QHash<QString, OptionCounts> m_lastSent;
    QHash<QString, quint64> m_sequence;
    QSet<QString> m_reading;
    QSet<QString> m_hidden; // watched polls whose subscribers were told the results are hidden
};
