#include "voter.h"

#include <QDeadlineTimer>

Voter::Voter(const QUrl &url, const QList<Vote> &pattern, int perRound)
    : m_url(url), m_pattern(pattern), m_perRound(perRound)
{
}

Voter::~Voter()
{
    finish();
}

void Voter::hold()
{
    QMutexLocker locker(&m_mutex);
    m_holdRequested = true;
    while (!m_held && isRunning())
        m_condition.wait(&m_mutex, 100);
}

void Voter::release()
{
    QMutexLocker locker(&m_mutex);
    m_holdRequested = false;
    m_condition.wakeAll();
}

void Voter::finish()
{
    {
        QMutexLocker locker(&m_mutex);
        m_stop = true;
        m_condition.wakeAll();
    }
    wait();
}

bool Voter::waitRounds(int rounds, int timeoutMs)
{
    QMutexLocker locker(&m_mutex);
    const int target = m_rounds + rounds;
    const QDeadlineTimer deadline(timeoutMs);
    while (m_rounds < target && !deadline.hasExpired() && isRunning())
        m_condition.wait(&m_mutex, deadline);
    return m_rounds >= target;
}

PollVotes Voter::acknowledged() const
{
    QMutexLocker locker(&m_mutex);
    return m_acknowledged;
}

qint64 Voter::acknowledgedTotal() const
{
    QMutexLocker locker(&m_mutex);
    qint64 sum = 0;
    for (const Counts &counts : m_acknowledged)
        sum += total(counts);
    return sum;
}

qint64 Voter::overloaded() const
{
    QMutexLocker locker(&m_mutex);
    return m_overloaded;
}

QStringList Voter::unexpected() const
{
    QMutexLocker locker(&m_mutex);
    return m_unexpected;
}

void Voter::run()
{
    HttpClient client(m_url, 5000);
    for (qsizetype next = 0;;) {
        {
            QMutexLocker locker(&m_mutex);
            if (m_holdRequested && !m_stop) {
                m_held = true;
                m_condition.wakeAll();
                while (m_holdRequested && !m_stop)
                    m_condition.wait(&m_mutex);
                m_held = false;
            }
            if (m_stop)
                return;
        }
        QList<HttpRequest> requests;
        QList<Vote> votes;
        for (int i = 0; i < m_perRound; ++i, ++next) {
            votes.append(m_pattern[next % m_pattern.size()]);
            requests.append(voteRequest(votes.constLast()));
        }
        const QList<HttpResponse> responses = client.sendAll(requests, 2);
        QMutexLocker locker(&m_mutex);
        for (qsizetype i = 0; i < responses.size(); ++i) {
            if (responses[i].status == 202)
                ++m_acknowledged[votes[i].first][votes[i].second];
            else if (responses[i].status == 503 && responses[i].errorCode() == u"overloaded")
                ++m_overloaded;
            else
                m_unexpected.append(responses[i].describe());
        }
        ++m_rounds;
        m_condition.wakeAll();
    }
}
