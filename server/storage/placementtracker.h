#pragma once

#include "core/poll.h"
#include "journal.h"

#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <functional>
#include <optional>

class PollCatalog;

// Where polls live while and after they move between shards (see Rebalancer), on the
// storage thread. A loaded poll's placement record decides whether and where it goes
// into the catalog: a copy on its way in counts only next to its source's record of
// the commit, and a source's record of a finished move redirects to the target.
class PlacementTracker : public QObject {
    Q_OBJECT
public:
    // `hasShard`: whether this instance has a shard of that name. `holdsVotes`: whether
    // a batch of the poll is still on its way to that shard.
    PlacementTracker(const QString &instanceId, PollCatalog &catalog,
                     std::function<bool(const QString &shard)> hasShard,
                     std::function<bool(const QString &pollId, const QString &shard)> holdsVotes,
                     QObject *parent = nullptr);

    // Sets the poll's shard from its record on `shardName`; false when the poll must
    // not go into the catalog from this read.
    bool placeLoaded(Poll &poll, const QString &shardName);
    // The poll lives on `shard` now; false when the catalog knew that already.
    bool adopt(const QString &pollId, const QString &shard, const PollPlacement &placement);
    // For journal recovery: the shard a poll (given by a count key) came from, and this
    // instance's fence there.
    std::optional<Journal::MovedFrom> movedFrom(const QString &countKey) const;

Q_SIGNALS:
    void pollEvent(const QString &type, const QJsonObject &poll);

private:
    const QString m_instanceId;
    PollCatalog &m_catalog;
    std::function<bool(const QString &)> m_hasShard;
    std::function<bool(const QString &, const QString &)> m_holdsVotes;
    // Records of moves whose other half has not been loaded.
    QHash<QString, Poll> m_unpairedTombstones;  // poll id -> as its source records it
    QHash<QString, QString> m_unpairedIncoming; // poll id -> shard holding its copy
};
