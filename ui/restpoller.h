#pragma once

#include <QJsonArray>
#include <QJsonObject>
#include <QObject>
#include <QSet>
#include <QStringList>

class QTimer;
class ServerClient;
struct ApiReply;

// Fetches what the console shows over plain REST, on timers: stats, the results of
// the selected poll and the totals of the others, the poll list and the ring. With
// the WebSocket live only the poll list and the ring are polled (slowly); without
// it everything is. At most one request of each kind is in flight, and at most
// MaxParallelTotals result requests for the poll list's totals.
class RestPoller : public QObject {
    Q_OBJECT
public:
    enum class Mode { Off, Polling, Live };

    static constexpr int StatsIntervalMs = 1000;
    static constexpr int SelectedIntervalMs = 500;
    static constexpr int TotalsIntervalMs = 2000;
    static constexpr int PollsIntervalMs = 2000;
    static constexpr int LivePollsIntervalMs = 15000;
    static constexpr int RingIntervalMs = 5000;
    static constexpr int MaxParallelTotals = 4;

    explicit RestPoller(ServerClient *client, QObject *parent = nullptr);

    void setMode(Mode mode);
    Mode mode() const { return m_mode; }
    void setSelectedPoll(const QString &pollId) { m_selected = pollId; }
    // The polls whose totals are polled every TotalsIntervalMs.
    void setWatchedPolls(const QStringList &pollIds) { m_watched = pollIds; }

    void fetchStats();
    void fetchPolls();
    void fetchRing();
    void fetchResults(const QString &pollId);
    // Everything, now (F5).
    void fetchAll();

Q_SIGNALS:
    void statsFetched(const QJsonObject &stats);
    // The answer of GET /results/{id}: results, total and (newer servers) voters.
    void resultsFetched(const QString &pollId, const QJsonObject &answer);
    // The counts are hidden and this console has no admin token that sees them.
    void resultsHidden(const QString &pollId);
    void pollGone(const QString &pollId);
    void pollsFetched(const QJsonArray &polls);
    void ringFetched(const QJsonObject &ring);
    // A request other than /stats got no HTTP answer at all.
    void unreachable(const QString &why);
    // GET /stats (the console's probe) got no answer or a non-2xx one: why, in a sentence.
    void statsFailed(const QString &why);

private:
    bool check(const ApiReply &reply);
    void queueTotals();
    void pumpTotals();

    ServerClient *m_client;
    Mode m_mode = Mode::Off;
    QTimer *m_statsTimer;
    QTimer *m_selectedTimer;
    QTimer *m_totalsTimer;
    QTimer *m_pollsTimer;
    QTimer *m_ringTimer;
    QString m_selected;
    QStringList m_watched;
    QStringList m_totalsQueue;
    QSet<QString> m_resultsBusy;
    bool m_statsBusy = false;
    bool m_pollsBusy = false;
    bool m_pollsAgain = false;
    bool m_ringBusy = false;
    bool m_ringAgain = false;
};
