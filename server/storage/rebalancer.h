#pragma once

#include "core/outcome.h"
#include "core/pollplacement.h"

#include <QDateTime>
#include <QHash>
#include <QJsonObject>
#include <QMutex>
#include <QObject>
#include <deque>
#include <functional>

class PollCatalog;
class RedisShard;
class ShardRouter;
struct RedisReply;

// Moves polls between Redis shards to the shard the hash ring names for them, on the
// storage thread, through the shards' own connections. Each poll moves in four steps,
// each one Lua script on one node and idempotent for its move id:
//
//   freeze (source)  the source refuses the poll's batches and voter claims, records
//                    every instance's applied sequence (its fence) and keeps the counts
//   copy (target)    meta, counts, per-run applied counts and voters, as "incoming"
//   commit (source)  only a record naming the target stays: batches and reads that
//                    still come are redirected to it
//   finish (target)  the poll is listed on the target
//
// A mover that dies anywhere leaves the poll on exactly one shard (the source until
// commit, the target after), and any later run (or any instance's start) finishes it.
// Several movers of one poll join the same move. Votes keep being accepted while a
// poll moves: they wait in memory as pending votes, so reads stay exact.
class Rebalancer : public QObject {
    Q_OBJECT
public:
    struct Progress {
        QString state = QStringLiteral("idle"); // idle, running, done, failed; planned (dry run)
        bool dryRun = false;
        int toMove = 0;
        int moved = 0;
        int failed = 0;
        int skipped = 0; // deleted while moving
        qint64 votesMoved = 0;
        QString lastError;
        QDateTime startedAt;
        QDateTime finishedAt;
        QHash<QString, int> toMoveByShard; // target shard -> polls planned to go there

        // As /api/v1/stats and the rebalance endpoint show it.
        QJsonObject toJson() const;
    };
    using ShardLookup = std::function<RedisShard *(const QString &name)>;
    // Called once a poll is on its target, with its new shard and placement.
    using Adopt =
        std::function<void(const QString &pollId, const QString &shard, const PollPlacement &)>;

    Rebalancer(ShardLookup shards, const ShardRouter &router, PollCatalog &catalog, Adopt adopt,
               QObject *parent = nullptr);

    // Storage thread. Plans every poll whose shard is not the ring's choice (and every
    // interrupted move) and starts moving them; a dry run only answers the plan. Fails
    // with a conflict while another start()ed run is on (a resume joins it).
    Outcome<Progress> start(bool dryRun);
    // Storage thread. Finishes moves interrupted by a crash (frozen polls, copies not
    // yet listed on their target), without planning new ones.
    void resume();
    bool running() const;
    // Any thread.
    Progress progress() const;

    // Polls moved at once.
    static constexpr int Parallel = 8;

Q_SIGNALS:
    void finished();

private:
    enum class Step { Freeze, Snapshot, Copy, Commit, Finish };
    struct Move {
        QString pollId;
        QString from;
        QString to;
        QString moveId;
        Step step = Step::Freeze;
        int attempts = 0;
        QHash<QByteArray, QByteArray> meta;
        QList<QByteArray> counts;
        QList<QByteArray> applied;
        QList<QByteArray> voters;
        QByteArray status = "open";
        qint64 votes = 0;
    };
    using MovePtr = std::shared_ptr<Move>;

    QList<MovePtr> plan(bool includeNew) const;
    void findIncoming();
    void launch();
    void run(const MovePtr &move);
    void advance(const MovePtr &move, Step next);
    void fail(const MovePtr &move, const QString &reason, bool retry);
    void complete(const MovePtr &move, bool skipped);
    void freeze(const MovePtr &move);
    void snapshot(const MovePtr &move);
    void copy(const MovePtr &move);
    void commit(const MovePtr &move);
    void finish(const MovePtr &move);
    void checkDone();
    bool enqueue(const MovePtr &move);
    template <typename Change> void update(Change &&change);

    ShardLookup m_shards;
    const ShardRouter &m_router;
    PollCatalog &m_catalog;
    Adopt m_adopt;
    std::deque<MovePtr> m_queue;
    QHash<QString, MovePtr> m_planned; // poll id -> its move, queued or active
    int m_active = 0;
    int m_incomingScans = 0;
    bool m_running = false;
    bool m_userRun = false; // started through start(), not a resume

    mutable QMutex m_progressMutex;
    Progress m_progress;
};
