#pragma once

#include "core/config.h"
#include "core/outcome.h"
#include "core/poll.h"
#include "core/votecounts.h"
#include "journal.h"
#include "rebalancer.h"
#include "shardrouter.h"

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

// Owns every shard and runs on the storage thread: loads the catalog at start,
// flushes buffered votes in per-shard batches (in order, retried with backoff until
// applied exactly once), performs poll changes and serves cache misses.
// The public request methods may be called from any thread; their replies run on
// the storage thread, so callers hop back to their own thread themselves.
class StorageEngine : public QObject {
    Q_OBJECT
public:
    template <typename T>
    using Reply = std::function<void(Outcome<T>)>;

    struct ShardInfo {
        QString name;
        QString kind;
        QString address;
        QString state;
        double ringShare = 0;
        int points = 0;
        qint64 storedVotes = 0;
        int queuedBatches = 0;
        // Redis shards: whether this instance's Pub/Sub subscription on the node is
        // confirmed (without it, other instances' votes and polls go unseen).
        bool subscribed = true;
    };
    struct ResultRead {
        OptionCounts counts;
        QString servedVia;
        int optionCount = 0; // of the poll snapshot the counts were read for
    };

    StorageEngine(const Config &config, const QString &instanceId, PollCatalog &catalog,
                  VoteLedger &ledger, ServerStats &stats, Journal *journal = nullptr,
                  QObject *parent = nullptr);
    ~StorageEngine() override;

    // Any thread.
    void start();
    void createPoll(const Poll &poll, Reply<Poll> reply);
    void setPollOpen(const QString &pollId, bool open, Reply<Poll> reply);
    void deletePoll(const QString &pollId, Reply<bool> reply);
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
    QString shardNameOf(const QString &pollId) const { return laneFor(pollId)->shard->name(); }
    // Storage thread: publishes on one shard, or on every shard when `shardName` is empty.
    void publishOn(const QString &shardName, const QByteArray &channel, const QByteArray &message);
    const ShardRouter &router() const { return m_router; }
    QList<ShardInfo> shardInfo() const;
    bool allShardsUp() const;
    // Storage thread: the Pub/Sub subscription on a Redis shard's node was confirmed or lost.
    void setSubscribed(const QString &shardName, bool subscribed);
    // Storage thread: false for a shard of this instance not reached yet (its polls unknown).
    bool isShardReady(const QString &shardName) const;
    QString instanceId() const { return m_instanceId; }
    // This run of the instance, as other instances know it.
    QString source() const { return m_source; }
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
    struct Batch {
        quint64 sequence = 0;
        PollCounts counts;
        qint64 votes = 0;
        quint64 flushId = 0;
        bool sent = false;           // its outcome may be on the shard
        bool checkApplied = false;   // ask the shard before sending again
        bool sealed = true;          // its journal epoch is sealed (or there is no journal)
    };
    struct Lane {
        Shard *shard = nullptr;
        std::deque<Batch> queue;
        quint64 nextSequence = 1;
        quint64 appliedAtStart = 0;
        bool opened = false;    // the shard answered once
        bool preparing = false; // fencing its sequence and loading its polls
        bool fenced = false;
        bool ready = false;      // its polls are in the catalog and batches may go out
        bool failedOnce = false; // unreachable at start: serving does not wait for it
        bool busy = false;
        int failures = 0;
        QTimer *retryTimer = nullptr;
    };
    struct FlushRecord {
        int remainingBatches = 0;
        QElapsedTimer timer;
        QHash<QString, quint64> manifest; // as sealed; grows when a moved poll's votes are re-sent
    };

    void startOnThread();
    void openLane(Lane *lane);
    void prepareLane(Lane *lane);
    void checkStart();
    void recoverDeferred();
    void enqueue(quint64 flushId, const PollCounts &counts);
    void finishStart();
    bool recoverJournal();
    void sealEpoch(quint64 epoch, const QHash<QString, quint64> &manifest);
    void refreshCatalog();
    void flush();
    void pump(Lane *lane);
    void onApplied(Lane *lane);
    void onFailed(Lane *lane, const TallyError &error);
    void stripUnsent(const QString &pollId);
    void publishShardInfo();
    void checkDrained();
    Lane *laneFor(const QString &pollId) const;
    Lane *laneNamed(const QString &shardName) const;
    // Moving polls (see Rebalancer): a loaded poll's placement decides whether and where
    // it goes into the catalog; a refusal or redirect from a source shard moves the
    // poll's pending votes and reads to its target.
    bool placeLoaded(Poll &poll, const QString &shardName);
    void adoptMove(const QString &pollId, const QString &shard, const PollPlacement &placement);
    void reroute(Lane *lane, const QHash<QString, PollPlacement> &moves);
    void readFromShard(const QString &pollId, int optionCount);
    std::optional<Journal::MovedFrom> movedFrom(const QString &pollId) const;

    Journal *m_journal; // optional, outlives this engine
    int m_pendingSeals = 0;
    const Config m_config;
    const QString m_instanceId;
    const QString m_source;
    PollCatalog &m_catalog;
    VoteLedger &m_ledger;
    ServerStats &m_stats;
    ShardRouter m_router;
    std::vector<std::unique_ptr<Lane>> m_lanes;
    QTimer *m_flushTimer = nullptr;
    QAtomicInt m_flushRequested = 0;
    quint64 m_nextFlushId = 1;
    QHash<quint64, FlushRecord> m_flushes;
    QHash<QString, int> m_deleting; // poll id -> deletes waiting for their shard
    QSet<QString> m_subscribed;     // Redis shards whose Pub/Sub subscription is confirmed
    QHash<QString, QList<Reply<ResultRead>>> m_readers; // poll id -> callers of its read on the way
    bool m_draining = false;
    bool m_started = false;
    bool m_recoveryPending = false; // journal files wait for a shard unreachable at start
    quint64 m_deferredEpoch = 0;    // the epoch kept for their replayed votes

    Rebalancer *m_rebalancer = nullptr; // Redis shards only
    // Records of moves whose other half has not been loaded (see placeLoaded).
    QHash<QString, Poll> m_unpairedTombstones;  // poll id -> as its source records it
    QHash<QString, QString> m_unpairedIncoming; // poll id -> shard holding its copy

    mutable QMutex m_infoMutex;
    QList<ShardInfo> m_info;
};
