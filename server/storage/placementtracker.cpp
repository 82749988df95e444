#include "placementtracker.h"
#include "core/logcategories.h"
#include "core/pollcatalog.h"

PlacementTracker::PlacementTracker(
    const QString &instanceId, PollCatalog &catalog,
    std::function<bool(const QString &shard)> hasShard,
    std::function<bool(const QString &pollId, const QString &shard)> holdsVotes, QObject *parent)
    : QObject(parent), m_instanceId(instanceId), m_catalog(catalog),
      m_hasShard(std::move(hasShard)), m_holdsVotes(std::move(holdsVotes))
{
}

bool PlacementTracker::placeLoaded(Poll &poll, const QString &shardName)
{
    const PollPlacement &placement = poll.placement;
    const std::optional<Poll> known = m_catalog.find(poll.id);
    if (placement.state == u"incoming") {
        // A copy on its way in is the poll's home only once its source has committed
        // the move (a mover may have died before listing it here).
        const auto tombstone = m_unpairedTombstones.constFind(poll.id);
        if (known || tombstone == m_unpairedTombstones.cend() ||
            tombstone->placement.to != shardName) {
            m_unpairedIncoming.insert(poll.id, shardName);
            return false;
        }
        m_unpairedTombstones.erase(tombstone);
        poll.placement.state = QStringLiteral("moved");
        poll.shard = shardName;
        return true;
    }
    if (placement.isTombstone()) {
        if (!m_hasShard(placement.to))
            return false;
        poll.placement.from = shardName;
        poll.shard = placement.to;
        if (!known) {
            // Committed, and its target not listing it yet: it lives there if the copy is.
            if (m_unpairedIncoming.value(poll.id) == placement.to) {
                m_unpairedIncoming.remove(poll.id);
                return true;
            }
            m_unpairedTombstones.insert(poll.id, poll);
            return false;
        }
        // The source's record of a finished move redirects a poll known to be there.
        return known->shard == shardName;
    }
    // Listed on its new shard while a batch of it may still be on its way to the old
    // one: that batch's answer first, or a read here could count it twice.
    if (known && known->shard != shardName && m_holdsVotes(poll.id, known->shard))
        return false;
    poll.shard = shardName;
    return true;
}

bool PlacementTracker::adopt(const QString &pollId, const QString &shard,
                             const PollPlacement &placement)
{
    std::optional<Poll> poll = m_catalog.find(pollId);
    if (!poll || (poll->shard == shard && poll->placement.state == placement.state))
        return false;
    qCInfo(lcStorage, "Poll %s now lives on shard %s (moved from %s)", qPrintable(pollId),
           qPrintable(shard), qPrintable(placement.from));
    poll->shard = shard;
    poll->placement = placement;
    m_catalog.upsert(*poll);
    Q_EMIT pollEvent(QStringLiteral("poll_updated"), poll->toJson());
    return true;
}

std::optional<Journal::MovedFrom> PlacementTracker::movedFrom(const QString &countKey) const
{
    const PollCatalog::Snapshot poll = m_catalog.snapshot(Poll::pollIdOfKey(countKey));
    if (!poll || !poll->placement.cameFrom())
        return std::nullopt;
    return Journal::MovedFrom{poll->placement.from, poll->placement.fences.value(m_instanceId)};
}
