#pragma once

#include "resultcache.h"
#include "votebuffer.h"

#include <QAtomicInteger>
#include <QMutex>
#include <functional>
#include <memory>
#include <vector>

// Where every accepted vote is until it is stored, and how reads stay exact.
//
// A vote is in exactly one place: a worker's buffer, a batch in flight to its shard,
// or the shard itself. Cached counts mirror the shard *excluding* batches in flight;
// when a batch is confirmed it moves from "in flight" into the cached counts under
// one lock. A read therefore returns cached + in flight + buffered, all taken under
// that lock, and can neither miss a vote nor count one twice while a flush runs.
class VoteLedger {
public:
    VoteLedger(int workers, qint64 cacheTtlMs, int cacheCapacity,
               ResultCache::Clock clock = {});

    int workerCount() const { return int(m_buffers.size()); }
    // Worker `worker`'s thread. Buffers one vote; returns that worker's buffer size.
    qint64 addVote(int worker, const QString &pollId, int option, int optionCount);
    // Votes accepted and not yet confirmed stored (buffered + in flight); lock-free.
    qint64 pendingVotes() const { return m_pendingVotes.loadRelaxed(); }

    // Any thread. Fresh cached counts plus everything pending, or nullopt on a miss.
    // Internal readers (live updates) pass countStats=false to keep the hit ratio honest.
    std::optional<OptionCounts> readCached(const QString &pollId, int optionCount,
                                           bool countStats = true);
    // Any thread. Last known counts (any age) plus pending; for degraded reads.
    std::optional<OptionCounts> readStale(const QString &pollId, int optionCount);

    // Storage thread. Swaps every worker buffer into "in flight" and returns the
    // merged votes of the polls `keep` accepts (the others are dropped).
    PollCounts takeBuffered(const std::function<bool(const QString &)> &keep);
    // Storage thread. A batch reached its shard.
    void confirmApplied(const PollCounts &batch);
    // Storage thread. Votes of a batch that will never be applied (its poll was deleted).
    void abandon(const PollCounts &batch);
    // Storage thread. Counts just read from the owning shard (excluding batches in
    // flight); caches them and returns them with pending votes added.
    OptionCounts storeRead(const QString &pollId, const OptionCounts &stored, int optionCount);
    // Storage thread. The poll was deleted: drop its buffered votes and cache entry.
    // Batches already in flight are left to complete (the delete is ordered after them).
    void forget(const QString &pollId);

    qint64 bufferedVotes() const;
    qint64 inflightVotes() const;
    int cacheEntries() const;
    quint64 cacheHits() const { return m_hits.loadRelaxed(); }
    quint64 cacheMisses() const { return m_misses.loadRelaxed(); }

private:
    void addPendingLocked(const QString &pollId, OptionCounts &counts) const;
    void removeInflightLocked(const PollCounts &batch);

    mutable QMutex m_mutex;
    std::vector<std::unique_ptr<VoteBuffer>> m_buffers;
    PollCounts m_inflight;
    qint64 m_inflightVotes = 0;
    ResultCache m_cache;
    QAtomicInteger<qint64> m_pendingVotes = 0;
    QAtomicInteger<quint64> m_hits = 0;
    QAtomicInteger<quint64> m_misses = 0;
};
