#include "shardmoves.h"
#include "core/logcategories.h"
#include "flushepochs.h"
#include "journal.h"
#include "movescripts.h"
#include "placementtracker.h"
#include "redisshard.h"
#include "shardlane.h"

ShardMoves::ShardMoves(PlacementTracker &placements, FlushEpochs &epochs, bool journaled,
                       LaneLookup lanes, QObject *parent)
    : QObject(parent), m_placements(placements), m_epochs(epochs), m_journaled(journaled),
      m_lanes(std::move(lanes))
{
}

void ShardMoves::enableRebalancing(const ShardRouter &router, PollCatalog &catalog)
{
    m_rebalancer = new Rebalancer(
        [this](const QString &name) -> RedisShard * {
            ShardLane *lane = m_lanes(name);
            return lane ? qobject_cast<RedisShard *>(lane->shard) : nullptr;
        },
        router, catalog,
        [this](const QString &pollId, const QString &shard, const PollPlacement &placement) {
            adopt(pollId, shard, placement);
        },
        this);
    connect(m_rebalancer, &Rebalancer::finished, this, &ShardMoves::rebalanceFinished);
}

Outcome<Rebalancer::Progress> ShardMoves::rebalance(bool dryRun, bool started,
                                                    const QString &unready)
{
    if (!m_rebalancer)
        return TallyError::conflict(
            QStringLiteral("rebalance_unsupported"),
            QStringLiteral("Embedded shards live in this one process and its data directory: "
                           "there is nothing to move between them. Rebalancing is for Redis "
                           "shards."));
    if (!started)
        return TallyError::unavailable(
            QStringLiteral("shard_unavailable"),
            QStringLiteral("Storage is still starting; try again shortly."));
    if (!unready.isEmpty())
        return TallyError::unavailable(
            QStringLiteral("shard_unavailable"),
            QStringLiteral("Shard %1 has not been reached: every shard must be up to rebalance.")
                .arg(unready));
    return m_rebalancer->start(dryRun);
}

void ShardMoves::resume()
{
    if (m_rebalancer)
        m_rebalancer->resume();
}

Rebalancer::Progress ShardMoves::progress() const
{
    return m_rebalancer ? m_rebalancer->progress() : Rebalancer::Progress();
}

void ShardMoves::adopt(const QString &pollId, const QString &shard, const PollPlacement &placement)
{
    if (m_placements.adopt(pollId, shard, placement))
        Q_EMIT shardsChanged();
}

bool ShardMoves::adoptMoves(const TallyError &refusal, const QString &pollId)
{
    const QHash<QString, PollPlacement> moves = MoveScripts::movesOf(refusal);
    for (auto it = moves.cbegin(); it != moves.cend(); ++it)
        if (m_lanes(it->to))
            adopt(it.key(), it->to, *it);
    return moves.contains(pollId) && m_lanes(moves.value(pollId).to);
}

void ShardMoves::reroute(ShardLane *lane, const TallyError &refusal)
{
    const QHash<QString, PollPlacement> moves = MoveScripts::movesOf(refusal);
    for (auto it = moves.cbegin(); it != moves.cend(); ++it) {
        if (!m_lanes(it->to)) {
            qCCritical(lcStorage,
                       "Poll %s moved to shard %s, which this instance does not have: its votes "
                       "wait until --redis-nodes names that shard",
                       qPrintable(it.key()), qPrintable(it->to));
            lane->retryLater(5000);
            return;
        }
    }
    const quint64 epoch = lane->frontFlushId();
    const QList<QString> ids = moves.keys();
    const PollCounts taken = lane->takeMoved(QSet<QString>(ids.cbegin(), ids.cend()));
    for (auto it = moves.cbegin(); it != moves.cend(); ++it)
        adopt(it.key(), it->to, *it);
    // The rest of the batch keeps its sequence; the moved polls' votes (each count key
    // with its reset generation) go to their new shards in the same epoch, each under
    // its own manifest entry, sealed before sending.
    QHash<ShardLane *, ShardLane::Batch> resent;
    for (auto it = taken.cbegin(); it != taken.cend(); ++it) {
        ShardLane::Batch &moved = resent[m_lanes(moves.value(Poll::pollIdOfKey(it.key())).to)];
        moved.counts.insert(it.key(), *it);
        moved.votes += VoteCounts::total(*it);
    }
    QHash<QString, quint64> entries;
    for (auto it = resent.begin(); it != resent.end(); ++it) {
        it->sequence = it.key()->nextSequence++;
        it->flushId = epoch;
        it->sealed = !m_journaled;
        for (auto key = it->counts.cbegin(); key != it->counts.cend(); ++key)
            entries.insert(Journal::manifestKey(it.key()->shard->name(), key.key()), it->sequence);
        it.key()->push(std::move(*it));
    }
    m_epochs.extend(epoch, int(resent.size()), entries,
                    [this, epoch] { Q_EMIT epochResealed(epoch); });
    Q_EMIT batchesQueued();
}
