#pragma once

#include "core/outcome.h"
#include "core/votecounts.h"

#include <QHash>
#include <QObject>
#include <functional>

class PollCatalog;
class ShardLane;
class ShardMoves;
class VoteLedger;

// Requests about one poll that the shard holding it answers, on the storage thread:
// result reads (cache misses for a poll that arrive while its read is on the way share
// that read) and voter claims. Both follow a poll that moved to another shard.
class ShardRequests : public QObject {
    Q_OBJECT
public:
    template <typename T> using Reply = std::function<void(Outcome<T>)>;
    using LaneLookup = std::function<ShardLane *(const QString &name)>;

    struct ResultRead {
        OptionCounts counts;
        QString servedVia;
        int optionCount = 0; // of the poll snapshot the counts were read for
    };

    // `laneFor`: the lane of the shard holding a poll (by poll id or count key);
    // `laneNamed`: the lane of a shard by name, null when not one of this instance.
    ShardRequests(PollCatalog &catalog, VoteLedger &ledger, ShardMoves &moves, LaneLookup laneFor,
                  LaneLookup laneNamed, QObject *parent = nullptr);

    void readResults(const QString &pollId, Reply<ResultRead> reply);
    // Records a voter of a one-vote-per-voter poll on its shard; false when already recorded.
    void claimVoter(const QString &pollId, const QString &voterId, Reply<bool> reply);
    // Forgets a claimed voter whose vote was refused after the claim (logged on failure).
    void releaseVoter(const QString &pollId, const QString &voterId);

private:
    // A read redirected by a moved poll's source goes on to its target.
    void readFromShard(const QString &pollId, const QString &countKey, int optionCount);

    PollCatalog &m_catalog;
    VoteLedger &m_ledger;
    ShardMoves &m_moves;
    LaneLookup m_laneFor;
    LaneLookup m_laneNamed;
    QHash<QString, QList<Reply<ResultRead>>>
        m_readers; // count key -> callers of its read on the way
};
