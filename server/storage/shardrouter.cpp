#include "shardrouter.h"

ShardRouter::ShardRouter(const QStringList &shardNames, int virtualNodes)
    : m_names(shardNames), m_ring(virtualNodes)
{
    for (const QString &name : shardNames)
        m_ring.addNode(name);
}
