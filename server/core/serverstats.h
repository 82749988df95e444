#pragma once

#include "codecounter.h"
#include "histogram.h"
#include "requestmetrics.h"

#include <QAtomicInteger>

// Counters shared by every thread; relaxed atomics, read for /stats and /metrics.
struct ServerStats {
    QAtomicInteger<quint64> requests = 0;
    QAtomicInteger<quint64> votesAccepted = 0;
    QAtomicInteger<quint64> votesRejected = 0;
    QAtomicInteger<quint64> votesFlushed = 0;
    // Accepted, then dropped before being stored because their poll was reset or deleted.
    QAtomicInteger<quint64> votesDiscarded = 0;
    QAtomicInteger<quint64> flushes = 0;
    QAtomicInteger<quint64> flushFailures = 0;
    QAtomicInteger<quint64> lastFlushVotes = 0;
    QAtomicInteger<quint64> lastFlushMicros = 0;
    QAtomicInteger<quint64> votesRecovered = 0;
    QAtomicInteger<qint64> websocketClients = 0; // connected now, every worker
    QAtomicInteger<quint64> batchesReplayed = 0; // sent again after a failover lost them

    // Rejected votes by error code (the codes a vote can be refused with).
    CodeCounter voteRejections{{
        QStringLiteral("poll_not_found"),
        QStringLiteral("poll_closed"),
        QStringLiteral("unknown_option"),
        QStringLiteral("missing_field"),
        QStringLiteral("invalid_field"),
        QStringLiteral("malformed_json"),
        QStringLiteral("invalid_voter_id"),
        QStringLiteral("voter_id_required"),
        QStringLiteral("voter_check_required"),
        QStringLiteral("duplicate_voter"),
        QStringLiteral("overloaded"),
        QStringLiteral("shard_unavailable"),
        QStringLiteral("journal_unavailable"),
        QStringLiteral("outcome_unknown"),
    }};
    RequestMetrics http;
    Histogram flushDuration{durationBounds()};       // ns, a flush until its last batch is stored
    Histogram journalSyncDuration{durationBounds()}; // ns, one write + fdatasync cycle
    Histogram websocketSendQueue{queueBounds()};     // bytes unsent when a message is queued

    static void bump(QAtomicInteger<quint64> &counter, quint64 by = 1)
    {
        counter.fetchAndAddRelaxed(by);
    }
    void rejectVote(const QString &code)
    {
        votesRejected.fetchAndAddRelaxed(1);
        voteRejections.count(code);
    }

    static QList<quint64> durationBounds() { return RequestMetrics::durationBoundsNs(); }
    static QList<quint64> queueBounds() { return {0, 1024, 4096, 16384, 65536, 262144, 1048576}; }
};
