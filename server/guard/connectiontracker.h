#pragma once

#include <QAtomicInteger>
#include <QHash>
#include <QMutex>
#include <QString>

// Open connections overall and per client, shared by every worker.
class ConnectionTracker {
public:
    ConnectionTracker(int maxTotal, int maxPerClient)
        : m_maxTotal(maxTotal), m_maxPerClient(maxPerClient)
    {
    }

    // False when the client (or the server) is at its limit; nothing is counted then.
    bool admit(const QString &client);
    void release(const QString &client);
    int open() const { return m_total.loadRelaxed(); }
    quint64 refused() const { return m_refused.loadRelaxed(); }
    quint64 reaped() const { return m_reaped.loadRelaxed(); }
    void countReaped() { m_reaped.fetchAndAddRelaxed(1); }
    // Requests whose head or body did not arrive in time (--header-timeout, --min-body-rate).
    quint64 timedOut() const { return m_timedOut.loadRelaxed(); }
    void countTimedOut() { m_timedOut.fetchAndAddRelaxed(1); }

private:
    int m_maxTotal;
    int m_maxPerClient;
    QMutex m_mutex;
    QHash<QString, int> m_perClient;
    QAtomicInteger<int> m_total = 0;
    QAtomicInteger<quint64> m_refused = 0;
    QAtomicInteger<quint64> m_reaped = 0;
    QAtomicInteger<quint64> m_timedOut = 0;
};
