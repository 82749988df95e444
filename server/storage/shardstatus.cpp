#include "shardstatus.h"
#include "shardlane.h"
#include "shardrouter.h"

void ShardStatus::publish(const std::vector<std::unique_ptr<ShardLane>> &lanes,
                          const ShardRouter &router)
{
    QList<Info> info;
    for (const auto &lane : lanes) {
        const Shard *shard = lane->shard;
        Info item;
        item.name = shard->name();
        item.kind = shard->kind();
        item.address = shard->address();
        item.state = shard->state();
        // Reached but its polls are not loaded yet: not ready to serve.
        if (!lane->ready && shard->state() == Shard::State::Up)
            item.state = Shard::State::Connecting;
        item.ringShare = router.ring().share(item.name);
        item.points = router.ring().virtualNodes();
        item.storedVotes = shard->storedVotes();
        item.queuedBatches = lane->queuedBatches();
        item.awaitingReplicas = lane->awaitingReplicas();
        item.monitor = shard->monitor();
        item.replicas = shard->replicas();
        item.failovers = shard->failovers();
        item.subscribed = item.kind != u"redis" || m_subscribed.contains(item.name);
        info.append(item);
    }
    QMutexLocker locker(&m_mutex);
    m_info = info;
}

void ShardStatus::setSubscribed(const QString &shardName, bool subscribed)
{
    if (subscribed)
        m_subscribed.insert(shardName);
    else
        m_subscribed.remove(shardName);
}

QList<ShardStatus::Info> ShardStatus::info() const
{
    QMutexLocker locker(&m_mutex);
    return m_info;
}

bool ShardStatus::allUp() const
{
    QMutexLocker locker(&m_mutex);
    if (m_info.isEmpty())
        return false;
    for (const Info &shard : m_info)
        if (shard.state != Shard::State::Up || !shard.subscribed)
            return false;
    return true;
}
