#pragma once

#include "resultcache.h"
#include "votebuffer.h"

#include <QAtomicInteger>
#include <QMutex>
#include <QSet>
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
    VoteLedger(int workers, qint64 cacheTtlMs, int cacheCapacity, ResultCache::Clock clock = {});

    int workerCount() const { return int(m_buffers.size()); }
    // Worker `worker`'s thread. Buffers one vote; returns that worker's buffer size.
    qint64 addVote(int worker, const QString &pollId, int option, int optionCount);
    // The same, keeping the vote's journal record; returns the record's sequence.
    quint64 addJournaledVote(int worker, const QString &pollId, int option, int optionCount,
                             const QByteArray &record, qint64 *bufferedAfter);
    // The same for a vote counted in several countSlots (see VoteBuffer::addBallot).
    quint64 addBallot(int worker, const QString &countKey, const QList<int> &countSlots, int width,
                      const QByteArray &record, qint64 *bufferedAfter);
    // Journal thread: the records each worker buffered since the last call.
    QList<VoteBuffer::JournalChunk> takeJournal(int worker);
    // Startup: votes recovered from the journal, pending as if just accepted.
    void addRecovered(const PollCounts &counts);
    void setEpoch(quint64 epoch);
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
    // `dropped`, when given, gets the number of votes dropped.
    PollCounts takeBuffered(const std::function<bool(const QString &)> &keep, quint64 nextEpoch = 0,
                            qint64 *dropped = nullptr);
    // Storage thread. Votes replayed from the journal after start, sent straight to
    // their shards: pending from now on, as if just taken from the buffers.
    void addInflight(const PollCounts &counts);
    // Storage thread. A batch reached its shard.
    void confirmApplied(const PollCounts &batch);
    // Storage thread. A confirmed batch turned out missing from its shard (a master lost
    // it in a failover) and is sent again: in flight once more, its polls' cached counts
    // dropped so reads go to the shard.
    void reopenApplied(const PollCounts &batch);
    // Storage thread. Votes of a batch that will never be applied (its poll was deleted).
    void abandon(const PollCounts &batch);
    // Storage thread. Counts just read from the owning shard (excluding batches in
    // flight); caches them and returns them with pending votes added.
    OptionCounts storeRead(const QString &pollId, const OptionCounts &stored, int optionCount);
    OptionCounts storeRead(const QString &pollId, const StoredCounts &stored, int optionCount);

    // Other instances sharing the shards report, per poll, every vote they accepted
    // in their current run (`source`). A read adds what they accepted beyond what the
    // shard showed them to have applied, option by option, so their votes appear at
    // once and are never counted twice, whatever the order of messages and batches.
    // `replaces`: a run whose counts of this poll `source` took over (dropped in the
    // same step, so a read never sees both or neither).
    void setRemoteAccepted(const QString &source, const QString &pollId,
                           const OptionCounts &accepted, const QString &replaces = {});
    // Forgets sources not heard from since `cutoffMs` (on the ledger's clock); returns them.
    QStringList expireRemoteSources(qint64 cutoffMs);
    void touchRemoteSource(const QString &source);
    qint64 nowMs() const;
    // This run's accepted votes for the polls that changed since the last call.
    PollCounts takeOwnAcceptedChanges();
    // What takeOwnAcceptedChanges() last returned for each of `pollIds` (those it knows).
    PollCounts lastPublished(const QStringList &pollIds) const;
    // Storage thread. The poll was deleted: drop its buffered votes and cache entry.
    // Batches already in flight are left to complete (the delete is ordered after them).
    // Returns the number of buffered votes dropped.
    qint64 forget(const QString &pollId);

    qint64 bufferedVotes() const;
    qint64 inflightVotes() const;
    int cacheEntries() const;
    quint64 cacheHits() const { return m_hits.loadRelaxed(); }
    quint64 cacheMisses() const { return m_misses.loadRelaxed(); }

private:
    void addPendingLocked(const QString &pollId, OptionCounts &counts) const;
    OptionCounts ownAcceptedLocked(const QString &pollId) const;
    void removeInflightLocked(const PollCounts &batch);

    mutable QMutex m_mutex;
    std::vector<std::unique_ptr<VoteBuffer>> m_buffers;
    PollCounts m_inflight;
    qint64 m_inflightVotes = 0;
    ResultCache m_cache;
    ResultCache::Clock m_clock;
    PollCounts m_appliedThisRun;
    QSet<QString> m_appliedSinceTake; // polls with batches confirmed since takeOwnAcceptedChanges()
    QHash<QString, QHash<QString, OptionCounts>> m_remoteAccepted; // poll -> source -> counts
    QHash<QString, qint64> m_remoteHeard;                          // source -> last message
    QHash<QString, OptionCounts> m_lastPublished;
    QAtomicInteger<qint64> m_pendingVotes = 0;
    QAtomicInteger<quint64> m_hits = 0;
    QAtomicInteger<quint64> m_misses = 0;
};
