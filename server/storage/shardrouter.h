#pragma once

#include "core/hashring.h"
#include "shard.h"

#include <QHash>
#include <QStringList>

// Maps a poll id to the shard that owns it. The ring is fixed at construction, so
// ownership questions may be asked from any thread; the shard objects themselves
// are attached, and used, on the storage thread only.
class ShardRouter {
public:
    ShardRouter(const QStringList &shardNames, int virtualNodes);

    QString shardNameFor(const QString &pollId) const { return m_ring.nodeFor(pollId); }
    const HashRing &ring() const { return m_ring; }
    const QStringList &shardNames() const { return m_names; }

    void attach(Shard *shard) { m_shards.insert(shard->name(), shard); }
    Shard *shardFor(const QString &pollId) const { return m_shards.value(shardNameFor(pollId)); }
    Shard *shard(const QString &name) const { return m_shards.value(name); }

private:
    QStringList m_names;
    HashRing m_ring;
    QHash<QString, Shard *> m_shards;
};
