#pragma once

#include "shard.h"

#include <QList>
#include <QMutex>
#include <QSet>
#include <QStringList>
#include <memory>
#include <vector>

class ShardLane;
class ShardRouter;

// The state of every shard as other threads see it: published from the storage thread
// after each change, read from any thread (stats, health, the Pub/Sub bridge).
class ShardStatus {
public:
    struct Info {
        QString name;
        QString kind;
        QString address;
        Shard::State state = Shard::State::Connecting;
        double ringShare = 0;
        int points = 0;
        qint64 storedVotes = 0;
        int queuedBatches = 0;
        // Applied batches waiting for --redis-min-replicas replicas to confirm them.
        int awaitingReplicas = 0;
        // A Sentinel-monitored group: how its master is found ("sentinel://..."), the
        // replicas its master lists and the failovers (master changes) seen this run.
        QString monitor;
        QStringList replicas;
        int failovers = 0;
        // Redis shards: whether this instance's Pub/Sub subscription on the node is
        // confirmed (without it, other instances' votes and polls go unseen).
        bool subscribed = true;
    };

    // Storage thread.
    void publish(const std::vector<std::unique_ptr<ShardLane>> &lanes, const ShardRouter &router);
    // Storage thread: the Pub/Sub subscription on a Redis shard's node was confirmed or
    // lost (seen at the next publish()).
    void setSubscribed(const QString &shardName, bool subscribed);

    // Any thread.
    QList<Info> info() const;
    // Every shard up and, for Redis shards, subscribed.
    bool allUp() const;

private:
    QSet<QString> m_subscribed; // Redis shards whose Pub/Sub subscription is confirmed
    mutable QMutex m_mutex;
    QList<Info> m_info;
};
