#pragma once

#include "core/tallyerror.h"

#include <QJsonObject>
#include <QObject>
#include <functional>
#include <memory>
#include <optional>
#include <vector>

class PlacementTracker;
class PollCatalog;
class ShardLane;
class VoteLedger;

// Keeps the poll catalog in step with the shards, on the storage thread: when a shard is
// first reached it fences this instance's batch sequence there and loads its polls, and
// it re-reads the shards' poll indexes, where other instances create, close and delete
// polls.
class CatalogSync : public QObject {
    Q_OBJECT
public:
    // `placements` decides where a poll that moved between shards lives.
    CatalogSync(const QString &instanceId, PollCatalog &catalog, VoteLedger &ledger,
                PlacementTracker &placements, QObject *parent = nullptr);

    // Fences the lane's sequence (once) and loads its polls into the catalog; `announce`
    // emits pollEvent for polls new to it. `done` gets the error, if any, and the number
    // of polls loaded.
    void prepare(ShardLane *lane, bool announce,
                 std::function<void(std::optional<TallyError>, qint64)> done);
    // Re-reads the poll index of every ready shard that is up.
    void refresh(const std::vector<std::unique_ptr<ShardLane>> &lanes);

Q_SIGNALS:
    // "poll_created", "poll_updated" or "poll_deleted", with the poll (just its id when deleted).
    void pollEvent(const QString &type, const QJsonObject &poll);

private:
    // After a failover: writes back the polls of the lane's shard that its new master
    // lacks; `done` tells whether every write was answered.
    void restore(ShardLane *lane, std::function<void(bool)> done);
    void load(ShardLane *lane, bool announce,
              std::function<void(std::optional<TallyError>, qint64)> done);

    const QString m_instanceId;
    PollCatalog &m_catalog;
    VoteLedger &m_ledger;
    PlacementTracker &m_placements;
};
