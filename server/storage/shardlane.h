#pragma once

#include "core/votecounts.h"
#include "shard.h"

#include <QObject>
#include <QSet>
#include <deque>
#include <functional>

class QTimer;

// The batches of one shard, in sequence order, on the storage thread: sends them one
// at a time (retried with backoff until applied exactly once), then, when replicas
// are required, keeps each applied batch until WAIT confirms it on that many replicas.
// After a reconnect (a failover) the master's applied sequence tells which of those
// batches the new master lacks; they are sent again, in order, before anything newer.
class ShardLane : public QObject {
    Q_OBJECT
public:
    struct Batch {
        quint64 sequence = 0;
        PollCounts counts;
        qint64 votes = 0;
        qint64 stale = 0; // of `votes`, left out by the shard: their poll was reset since
        quint64 flushId = 0;
        bool sent = false;         // its outcome may be on the shard
        bool checkApplied = false; // ask the shard before sending again
        bool sealed = true;        // its journal epoch is sealed (or there is no journal)
    };

    ShardLane(Shard *shard, const QString &instanceId, const QString &source, int minReplicas,
              int replicaTimeoutMs, QObject *parent = nullptr);

    Shard *const shard;
    // Start-up, driven by the engine.
    quint64 nextSequence = 1;
    quint64 appliedAtStart = 0;
    bool opened = false;    // the shard answered once
    bool preparing = false; // fencing its sequence and loading its polls
    bool fenced = false;
    bool ready = false;      // its polls are in the catalog and batches may go out
    bool failedOnce = false; // unreachable at start: serving does not wait for it
    // The shard's failovers (Shard::failovers) whose lost poll records were restored:
    // until it catches up, a poll missing on the shard may be lost, not deleted.
    int restoredFailovers = 0;

    // Run first after a reconnect to a new master, before any batch goes: writes back
    // the poll records that master lacks and calls `done` with whether that worked.
    using Restore = std::function<void(std::function<void(bool restored)> done)>;
    void setRestore(Restore restore) { m_restore = std::move(restore); }
    // Whether the catalog may take a poll missing on the shard for deleted.
    bool pollsComplete() const { return !m_restoring && restoredFailovers == shard->failovers(); }

    // Batches wait while `hold` says so (a delete of one of their polls is on its way).
    void setHold(std::function<bool(const Batch &)> hold) { m_hold = std::move(hold); }
    void push(Batch batch);
    void pump();
    void markSealed(quint64 epoch);
    // Drops a poll's votes (or only those under the count key `onlyKey`) from the
    // batches not on their way; returns what was dropped.
    PollCounts strip(const QString &pollId, const QString &onlyKey = {});
    // Whether a batch not yet applied holds votes of the poll.
    bool holdsPoll(const QString &pollId) const;
    // The first batch was refused because polls of it have moved: takes their votes out
    // of it (its sequence stays, for the rest) and lets it go again.
    PollCounts takeMoved(const QSet<QString> &pollIds);
    // Sends after `ms` (a moved poll's target is not known to this instance).
    void retryLater(int ms);
    // A batch whose outcome is unknown is asked about now rather than after its backoff.
    void hurry();
    // The shard is back: batches go now, not after the backoff.
    void resume();

    quint64 frontFlushId() const { return m_queue.empty() ? 0 : m_queue.front().flushId; }
    int queuedBatches() const { return int(m_queue.size()); }
    bool idle() const { return m_queue.empty(); }
    int awaitingReplicas() const { return int(m_awaiting.size()); }

Q_SIGNALS:
    void batchApplied(const ShardLane::Batch &batch);
    // Applied and, when required, on enough replicas: its journal epoch may go.
    void batchStored(quint64 flushId);
    void batchFailed(const TallyError &error);
    // The first batch holds polls that have moved to other shards (MoveScripts::movesOf
    // of the error); the receiver takes their votes out with takeMoved().
    void batchRedirected(const TallyError &refusal);
    // Applied on a master that was replaced before replicating it: sent again.
    void batchReopened(const PollCounts &counts, qint64 votes);
    void changed();

private:
    void onStateChanged(Shard::State state);
    void onApplied();
    void onFailed(const TallyError &error);
    void confirmReplicas();
    void verifyAfterReconnect();
    void restoreAfterFailover();
    void afterReconnect();

    const QString m_instanceId;
    const QString m_source;
    const int m_minReplicas;
    const int m_replicaTimeoutMs;
    std::deque<Batch> m_queue;
    std::deque<Batch> m_awaiting; // applied, not yet confirmed on enough replicas
    std::function<bool(const Batch &)> m_hold;
    Restore m_restore;
    bool m_restoring = false;
    bool m_reconnectedWhileRestoring = false;
    bool m_busy = false;
    bool m_waiting = false;   // a WAIT is on its way
    bool m_verifying = false; // comparing the master's applied sequence after a reconnect
    bool m_shortfallLogged = false;
    int m_failures = 0;
    Shard::State m_lastState;
    QTimer *m_retryTimer;
    QTimer *m_replicaTimer;
};
