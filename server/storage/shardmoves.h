#pragma once

#include "core/outcome.h"
#include "core/pollplacement.h"
#include "rebalancer.h"

#include <QObject>
#include <functional>

class FlushEpochs;
class PlacementTracker;
class PollCatalog;
class ShardLane;
class ShardRouter;

// The storage engine's side of moving polls between shards, on the storage thread: runs
// rebalances (Redis shards only), adopts the moves the shards report (a batch, read,
// claim or change refused by a poll's source) and sends the votes of moved polls from
// a refused batch to their targets, in the same journal epoch.
class ShardMoves : public QObject {
    Q_OBJECT
public:
    using LaneLookup = std::function<ShardLane *(const QString &shardName)>;

    ShardMoves(PlacementTracker &placements, FlushEpochs &epochs, bool journaled, LaneLookup lanes,
               QObject *parent = nullptr);

    // Redis shards: polls can be moved between them.
    void enableRebalancing(const ShardRouter &router, PollCatalog &catalog);
    // Plans and starts a rebalance; `unready` names shards not reached yet (none may be).
    Outcome<Rebalancer::Progress> rebalance(bool dryRun, bool started, const QString &unready);
    // Finishes moves a crashed mover left behind.
    void resume();
    // Any thread.
    Rebalancer::Progress progress() const;

    // The poll lives on `shard` now (emits shardsChanged when that is news).
    void adopt(const QString &pollId, const QString &shard, const PollPlacement &placement);
    // Adopts the moves a "polls_moved" refusal names; true when `pollId` was one of them
    // and its new shard is one of this instance.
    bool adoptMoves(const TallyError &refusal, const QString &pollId);
    // The first batch of `lane` was refused because polls of it moved.
    void reroute(ShardLane *lane, const TallyError &refusal);

Q_SIGNALS:
    void shardsChanged();
    // Batches were queued on other lanes; `epoch`'s batches may go once resealed.
    void batchesQueued();
    void epochResealed(quint64 epoch);
    void rebalanceFinished();

private:
    PlacementTracker &m_placements;
    FlushEpochs &m_epochs;
    const bool m_journaled;
    LaneLookup m_lanes;
    Rebalancer *m_rebalancer = nullptr; // set once, before any other thread asks
};
