#include "restpoller.h"
#include "serverclient.h"

#include <QTimer>

#include <utility>

RestPoller::RestPoller(ServerClient *client, QObject *parent)
    : QObject(parent), m_client(client), m_statsTimer(new QTimer(this)),
      m_selectedTimer(new QTimer(this)), m_totalsTimer(new QTimer(this)),
      m_pollsTimer(new QTimer(this)), m_ringTimer(new QTimer(this))
{
    m_statsTimer->setInterval(StatsIntervalMs);
    m_selectedTimer->setInterval(SelectedIntervalMs);
    m_totalsTimer->setInterval(TotalsIntervalMs);
    m_ringTimer->setInterval(RingIntervalMs);
    connect(m_statsTimer, &QTimer::timeout, this, &RestPoller::fetchStats);
    connect(m_selectedTimer, &QTimer::timeout, this, [this] {
        if (!m_selected.isEmpty())
            fetchResults(m_selected);
    });
    connect(m_totalsTimer, &QTimer::timeout, this, &RestPoller::queueTotals);
    connect(m_pollsTimer, &QTimer::timeout, this, &RestPoller::fetchPolls);
    connect(m_ringTimer, &QTimer::timeout, this, &RestPoller::fetchRing);
}

void RestPoller::setMode(Mode mode)
{
    if (mode == m_mode)
        return;
    m_mode = mode;
    m_pollsAgain = m_ringAgain = false;
    m_totalsQueue.clear();
    const bool polling = mode == Mode::Polling;
    for (QTimer *timer : {m_statsTimer, m_selectedTimer}) {
        if (polling)
            timer->start();
        else
            timer->stop();
    }
    if (mode == Mode::Off) {
        m_pollsTimer->stop();
        m_ringTimer->stop();
        m_totalsTimer->stop();
        return;
    }
    m_totalsTimer->start(); // the watched polls: all without a socket, the rest with one
    m_pollsTimer->start(polling ? PollsIntervalMs : LivePollsIntervalMs);
    m_ringTimer->start();
}

void RestPoller::fetchAll()
{
    fetchStats();
    fetchPolls();
    fetchRing();
    if (!m_selected.isEmpty())
        fetchResults(m_selected);
    queueTotals();
}

bool RestPoller::check(const ApiReply &reply)
{
    if (reply.reachable())
        return true;
    Q_EMIT unreachable(reply.errorMessage());
    return false;
}

void RestPoller::fetchStats()
{
    if (m_statsBusy)
        return;
    m_statsBusy = true;
    m_client->get(m_client->api(Protocol::StatsPath), this, [this](const ApiReply &reply) {
        m_statsBusy = false;
        if (reply.ok())
            Q_EMIT statsFetched(reply.body);
        else
            Q_EMIT statsFailed(reply.reachable() && !reply.errorCode().isEmpty()
                                   ? tr("HTTP %1: %2").arg(reply.status).arg(reply.errorMessage())
                                   : reply.errorMessage());
    });
}

void RestPoller::fetchPolls()
{
    // Asked again while a request is out: its answer may predate what prompted the
    // new request (e.g. the WebSocket opening after a poll was created), so one more
    // request follows it.
    if (m_pollsBusy) {
        m_pollsAgain = true;
        return;
    }
    m_pollsBusy = true;
    m_client->get(m_client->api(Protocol::PollsPath), this, [this](const ApiReply &reply) {
        m_pollsBusy = false;
        if (check(reply) && reply.ok())
            Q_EMIT pollsFetched(reply.body.value(QStringLiteral("polls")).toArray());
        if (std::exchange(m_pollsAgain, false) && reply.reachable())
            fetchPolls();
    });
}

void RestPoller::fetchRing()
{
    if (m_ringBusy) {
        m_ringAgain = true;
        return;
    }
    m_ringBusy = true;
    m_client->get(m_client->api(Protocol::RingPath), this, [this](const ApiReply &reply) {
        m_ringBusy = false;
        if (check(reply) && reply.ok())
            Q_EMIT ringFetched(reply.body);
        if (std::exchange(m_ringAgain, false) && reply.reachable())
            fetchRing();
    });
}

void RestPoller::fetchResults(const QString &pollId)
{
    if (m_resultsBusy.contains(pollId))
        return;
    m_resultsBusy.insert(pollId);
    const QString path = ServerClient::apiPath(m_client->api(Protocol::ResultsPath), pollId);
    // With the admin token: the operator sees counts the audience cannot see yet.
    m_client->adminGet(path, this, [this, pollId](const ApiReply &reply) {
        m_resultsBusy.remove(pollId);
        if (check(reply)) {
            if (reply.ok())
                Q_EMIT resultsFetched(pollId, reply.body);
            else if (reply.errorCode() == u"results_hidden")
                Q_EMIT resultsHidden(pollId);
            else if (reply.status == 404)
                Q_EMIT pollGone(pollId);
        }
        pumpTotals();
    });
}

void RestPoller::queueTotals()
{
    for (const QString &id : std::as_const(m_watched)) {
        if ((m_mode != Mode::Polling || id != m_selected) && !m_totalsQueue.contains(id))
            m_totalsQueue.append(id);
    }
    pumpTotals();
}

void RestPoller::pumpTotals()
{
    while (!m_totalsQueue.isEmpty() && m_resultsBusy.size() < MaxParallelTotals)
        fetchResults(m_totalsQueue.takeFirst());
}
