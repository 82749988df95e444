#pragma once

#include "core/config.h"

#include <QStringList>

class QObject;
class Shard;

// The shards a configuration describes: embedded shards in the data directory when no
// Redis node is configured, else one Redis shard per --redis-nodes entry (a single node,
// or a Sentinel-monitored group).
class ShardFactory {
public:
    // Their names, in ring order.
    static QStringList names(const Config &config);
    // The shard at `index` of names(), owned by `parent`.
    static Shard *create(const Config &config, int index, QObject *parent);
};
