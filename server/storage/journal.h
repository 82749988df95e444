#pragma once

#include "core/outcome.h"
#include "core/votebuffer.h"
#include "core/votecounts.h"
#include "journalsegment.h"

#include <QHash>
#include <QObject>
#include <QStringList>
#include <atomic>
#include <condition_variable>
#include <functional>
#include <limits>
#include <map>
#include <mutex>
#include <optional>
#include <thread>

class Histogram;
class VoteLedger;

// The write-ahead journal of accepted votes, in `<data-dir>/journal/<epoch>.log`.
//
// Workers keep each vote's record next to its count in their VoteBuffer; this
// journal's own thread collects the records, appends them to the file of their flush
// epoch and fsyncs many at once (group commit), then tells each worker how far its
// records are durable so it can acknowledge (`sync`) — or workers acknowledge at once
// (`async`, a loss window of one commit cycle). When the storage thread flushes an
// epoch it seals the file with a manifest naming the batch sequence per shard; once
// those batches are applied the file is deleted. On start, what the shards do not
// have yet (their applied sequences decide) is replayed, so replay is idempotent.
class Journal {
public:
    enum class Mode { Sync, Async };

    struct Recovery {
        PollCounts votes;    // to apply again
        qint64 replayed = 0; // votes in `votes`
        qint64 skipped = 0;  // votes the shards already had (or whose poll is gone)
        int files = 0;
        QStringList problems; // torn or corrupt tails, one sentence each
        quint64 nextEpoch = 1;
    };

    Journal(const QString &directory, Mode mode, VoteLedger *ledger, int workers,
            qint64 maxBacklog = 50000);
    ~Journal();

    Mode mode() const { return m_mode; }
    QString directory() const { return m_directory; }

    // Before start(): reads every journal file and keeps, as a fresh journal file,
    // only the votes that `applied` (shard -> last applied batch) shows are missing.
    // With `upToEpoch`, only files up to that epoch are read (and replaced); this may
    // run while the journal is started, when later epochs are in use.
    // A poll moved between shards is judged by `movedFrom` (its source and this
    // instance's fence there) and by per-poll manifest entries (manifestKey()).
    struct MovedFrom {
        QString shard;
        quint64 fence = 0;
    };
    using MovedFromLookup = std::function<std::optional<MovedFrom>(const QString &)>;
    Outcome<Recovery> recover(const std::function<QString(const QString &)> &shardOf,
                              const QHash<QString, quint64> &applied,
                              const std::function<bool(const QString &)> &pollExists,
                              quint64 upToEpoch = std::numeric_limits<quint64>::max(),
                              const MovedFromLookup &movedFrom = {});
    // The manifest entry of one moved poll's batch on a shard.
    static QString manifestKey(const QString &shard, const QString &pollId)
    {
        return shard + QChar(0x1f) + pollId;
    }
    // The newest epoch with a file in the journal directory (0 when none).
    quint64 lastEpoch() const;
    void start();
    void stop();
    // Before start(): where the duration of each write + fdatasync cycle is recorded.
    void setSyncHistogram(Histogram *durations) { m_syncDurations = durations; }

    // Any thread. `durableUpTo(sequence)` runs on `context`'s thread.
    void registerWorker(int worker, QObject *context, std::function<void(quint64)> durableUpTo);
    void notifyAppended();
    // Storage thread: writes the epoch's manifest after all its records; `done` runs on `context`.
    void seal(quint64 epoch, const QHash<QString, quint64> &sequences, QObject *context,
              std::function<void(bool)> done);
    void discard(quint64 epoch);
    // Any thread: `done` runs on `context`'s thread once every record appended before
    // this call is on disk (true) or the write failed (false); the workers were told
    // about their durable records before it runs.
    void barrier(QObject *context, std::function<void(bool)> done);

    static QString fileName(quint64 epoch);

    // Any thread. Whether the last write to the journal failed (disk full or failing),
    // and why; cleared by the next write that succeeds.
    bool failing() const { return m_failing.load(std::memory_order_relaxed); }
    QString lastError() const;
    // Vote records appended and not yet on disk.
    qint64 backlog() const;
    // Why a new vote must be refused now, if it must: in sync mode while the journal
    // is failing (its acknowledgement would wait for the disk), in async mode once the
    // records not yet on disk reach the bound (acknowledged votes that a crash loses).
    std::optional<TallyError> refusal() const;

private:
    struct Seal {
        quint64 epoch;
        QHash<QString, quint64> sequences;
        QObject *context; // outlives the journal's thread (see TallyServer)
        std::function<void(bool)> done;
    };
    struct Waiter {
        QObject *context = nullptr;
        std::function<void(quint64)> durableUpTo;
        quint64 written = 0;
    };
    void run();
    bool commitCycle(const QList<Seal> &seals);
    JournalSegment *fileFor(quint64 epoch);
    void syncDirectory();

    const QString m_directory;
    const Mode m_mode;
    VoteLedger *m_ledger;
    std::vector<Waiter> m_waiters;

    std::mutex m_mutex; // guards the requests below and the wake flag
    std::condition_variable m_wake;
    bool m_pending = false;
    std::atomic<bool> m_signalled{false}; // lets most appends skip the mutex
    bool m_stopping = false;
    QList<Seal> m_seals;
    QList<quint64> m_discards;

    // Writer thread only.
    std::map<quint64, JournalSegment> m_files;                // by epoch
    qint64 m_lastFileSize = 0;                                // of the last epoch sealed
    std::vector<QList<VoteBuffer::JournalChunk>> m_unwritten; // per worker, oldest first
    std::thread m_thread;
    std::atomic<bool> m_running{false};
    Histogram *m_syncDurations = nullptr;
    int m_writeErrno = 0;

    const qint64 m_maxBacklog;
    std::atomic<qint64> m_appended{0}; // records announced by notifyAppended()
    std::atomic<qint64> m_durable{0};  // records on disk
    std::atomic<bool> m_failing{false};
    mutable std::mutex m_errorMutex;
    QString m_lastError;
};
