#pragma once

#include <QAtomicInteger>

// Counters shared by every thread; relaxed atomics, read for /stats and /metrics.
struct ServerStats {
    QAtomicInteger<quint64> requests = 0;
    QAtomicInteger<quint64> votesAccepted = 0;
    QAtomicInteger<quint64> votesRejected = 0;
    QAtomicInteger<quint64> votesFlushed = 0;
    QAtomicInteger<quint64> flushes = 0;
    QAtomicInteger<quint64> flushFailures = 0;
    QAtomicInteger<quint64> lastFlushVotes = 0;
    QAtomicInteger<quint64> lastFlushMicros = 0;
    QAtomicInteger<quint64> votesRecovered = 0;

    static void bump(QAtomicInteger<quint64> &counter, quint64 by = 1)
    {
        counter.fetchAndAddRelaxed(by);
    }
};
