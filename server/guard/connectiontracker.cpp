#include "connectiontracker.h"

bool ConnectionTracker::admit(const QString &client)
{
    QMutexLocker locker(&m_mutex);
    int &count = m_perClient[client];
    if (m_total.loadRelaxed() >= m_maxTotal || count >= m_maxPerClient) {
        if (count == 0)
            m_perClient.remove(client);
        m_refused.fetchAndAddRelaxed(1);
        return false;
    }
    ++count;
    m_total.fetchAndAddRelaxed(1);
    return true;
}

void ConnectionTracker::release(const QString &client)
{
    QMutexLocker locker(&m_mutex);
    const auto it = m_perClient.find(client);
    if (it == m_perClient.end())
        return;
    if (--*it <= 0)
        m_perClient.erase(it);
    m_total.fetchAndAddRelaxed(-1);
}
