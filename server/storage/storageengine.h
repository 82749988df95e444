#pragma once

#include "core/config.h"
#include "core/outcome.h"
#include "core/poll.h"
#include "core/votecounts.h"
#include "journal.h"
#include "rebalancer.h"
#include "shard.h"
#include "shardrequests.h"
#include "shardrouter.h"
#include "shardstatus.h"

#include <QAtomicInt>
#include <QElapsedTimer>
#include <QMutex>
#include <QObject>
#include <QSet>
#include <deque>
#include <functional>
#include <memory>
#include <vector>

class PollCatalog;
class VoteLedger;
struct ServerStats;
class QTimer;
class FlushEpochs;
class CatalogSync;
class ShardLane;
class PollLifecycle;
class PlacementTracker;
class ShardMoves;
class ResetHandshake;

// Owns every shard and runs on the storage thread: loads the catalog at start,
// flushes buffered votes in per-shard batches (in order, retried with backoff until
// applied exactly once), performs poll changes and serves cache misses.
// The public request methods may be called from any thread; their replies run on
// the storage thread, so callers hop back to their own thread themselves.
class StorageEngine : public QObject {
    Q_OBJECT
public:
    template <typename T> using Reply = std::function<void(Outcome<T>)>;

    using ShardInfo = ShardStatus::Info;
    using ResultRead = ShardRequests::ResultRead;

    StorageEngine(const Config &config, const QString &instanceId, PollCatalog &catalog,
                  VoteLedger &ledger, ServerStats &stats, Journal *journal = nullptr,
                  QObject *parent = nullptr);
    ~StorageEngine() override;

    // Any thread.
    void start();
    void createPoll(const Poll &poll, Reply<Poll> reply);
    void setPollOpen(const QString &pollId, bool open, Reply<Poll> reply);
    void deletePoll(const QString &pollId, Reply<bool> reply);
    // Makes the poll's results visible to everyone (results_visibility "always").
    void revealPoll(const QString &pollId, Reply<Poll> reply);
    // Sets every count of the poll to zero and forgets its voters (PollLifecycle::reset);
    // the caller calls endReset() once it has answered.
    void resetPoll(const QString &pollId, Reply<Poll> reply);
    // `serial`: the `resetting` number of the poll the reset answered with.
    void endReset(const QString &pollId, quint64 serial);
    // The HTTP workers' threads: a reset waits until each has sent the acknowledgements
    // of the votes it counted before.
    void setWorkerThreads(const QList<QObject *> &workers);
    void readResults(const QString &pollId, Reply<ResultRead> reply);
    // Records a voter of a one-vote-per-voter poll on its shard; false when already recorded.
    void claimVoter(const QString &pollId, const QString &voterId, Reply<bool> reply);
    // Forgets a claimed voter whose vote was refused after the claim (logged on failure).
    void releaseVoter(const QString &pollId, const QString &voterId);
    void requestFlush();
    // Flushes everything pending, then emits drained().
    void drain();

    QString shardNameFor(const QString &pollId) const { return m_router.shardNameFor(pollId); }
    // Storage thread: the shard holding a poll (its recorded shard, else the ring's choice).
    QString shardNameOf(const QString &pollId) const;
    // Storage thread: publishes on one shard, or on every shard when `shardName` is empty.
    void publishOn(const QString &shardName, const QByteArray &channel, const QByteArray &message);
    const ShardRouter &router() const { return m_router; }
    QList<ShardInfo> shardInfo() const;
    bool allShardsUp() const;
    // Storage thread: the Pub/Sub subscription on a Redis shard's node was confirmed or lost.
    void setSubscribed(const QString &shardName, bool subscribed);
    // Storage thread: false for a shard of this instance not reached yet (its polls unknown).
    bool isShardReady(const QString &shardName) const;
    // Any thread: this instance may have lost its lease on the shard (see ResetHandshake);
    // votes for the shard's polls are refused until it renewed it and re-read them.
    bool isFenced(const QString &shardName) const;
    // Storage thread: a reset handshake message from another instance.
    void onResetMessage(const QJsonObject &message);
    QString instanceId() const { return m_instanceId; }
    // This run of the instance, as other instances know it.
    QString source() const { return m_source; }
    // Storage thread: journal files of the previous run still wait to be replayed.
    bool journalReplayPending() const { return m_recoveryPending; }
    // Moves polls whose shard is not the ring's choice (Redis shards only); the reply
    // carries the plan. Progress: rebalanceProgress(), any thread.
    void rebalance(bool dryRun, Reply<Rebalancer::Progress> reply);
    Rebalancer::Progress rebalanceProgress() const;

Q_SIGNALS:
    void started(bool ok, const QString &error);
    void rebalanceFinished();
    void drained();
    // "poll_created", "poll_updated" or "poll_deleted", with the poll (just its id when deleted).
    void pollEvent(const QString &type, const QJsonObject &poll);

private:
    void startOnThread();
    void openLane(ShardLane *lane);
    void prepareLane(ShardLane *lane);
    void checkStart();
    void recoverDeferred();
    void enqueue(quint64 flushId, const PollCounts &counts);
    void finishStart();
    bool recoverJournal();
    // Reads the journal files up to `upToEpoch` against the shards' applied sequences.
    Outcome<Journal::Recovery> replayJournal(quint64 upToEpoch);
    void flush();
    void connectLane(ShardLane *lane);
    void pumpAll();
    // Drops the poll's votes (or only those under `onlyKey`) from batches not yet sent.
    void stripUnsent(const QString &pollId, const QString &onlyKey = {});
    // Whether `key` is the count key of an existing poll's current generation.
    bool isCurrentKey(const QString &key) const;
    void publishShardInfo();
    void checkDrained();
    ShardLane *laneFor(const QString &key) const;
    ShardLane *laneNamed(const QString &shardName) const;
    // Loads a ready shard's polls again (the reset handshake, after a fence); `done(ok)`.
    void reloadLane(const QString &shardName, std::function<void(bool)> done);

    Journal *m_journal; // optional, outlives this engine
    const Config m_config;
    const QString m_instanceId;
    const QString m_source;
    PollCatalog &m_catalog;
    VoteLedger &m_ledger;
    ServerStats &m_stats;
    ShardRouter m_router;
    std::vector<std::unique_ptr<ShardLane>> m_lanes;
    FlushEpochs *m_epochs;
    PlacementTracker *m_placements;
    CatalogSync *m_catalogSync;
    ShardMoves *m_moves;
    PollLifecycle *m_lifecycle;
    ShardRequests *m_requests;
    QTimer *m_flushTimer = nullptr;
    QAtomicInt m_flushRequested = 0;
    quint64 m_nextFlushId = 1;
    bool m_draining = false;
    bool m_started = false;
    bool m_recoveryPending = false; // journal files wait for a shard unreachable at start
    quint64 m_deferredEpoch = 0;    // the epoch kept for their replayed votes
    ShardStatus m_status;
};
