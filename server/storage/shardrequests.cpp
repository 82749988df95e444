#include "shardrequests.h"
#include "core/logcategories.h"
#include "core/pollcatalog.h"
#include "core/pollplacement.h"
#include "core/requestparser.h"
#include "core/voteledger.h"
#include "shardlane.h"
#include "shardmoves.h"

ShardRequests::ShardRequests(PollCatalog &catalog, VoteLedger &ledger, ShardMoves &moves,
                             LaneLookup laneFor, LaneLookup laneNamed, QObject *parent)
    : QObject(parent), m_catalog(catalog), m_ledger(ledger), m_moves(moves),
      m_laneFor(std::move(laneFor)), m_laneNamed(std::move(laneNamed))
{
}

void ShardRequests::readResults(const QString &pollId, Reply<ResultRead> reply)
{
    // One snapshot for the option count and the shard.
    const PollCatalog::Snapshot poll = m_catalog.snapshot(pollId);
    if (!poll) {
        reply(TallyError::pollNotFound(pollId));
        return;
    }
    const int optionCount = int(poll->options.size());
    const QString countKey = poll->countKey();
    // Cache misses for one poll that arrive while its read is on the way share that
    // read: its answer holds every vote stored before the later requests came, and
    // the pending votes added to it are taken when it arrives.
    auto waiting = m_readers.find(countKey);
    if (waiting != m_readers.end()) {
        waiting->append(reply);
        return;
    }
    m_readers.insert(countKey, {reply});
    readFromShard(pollId, countKey, optionCount);
}

void ShardRequests::readFromShard(const QString &pollId, const QString &countKey, int optionCount)
{
    ShardLane *lane = m_laneFor(pollId);
    Shard *shard = lane->shard;
    // A batch whose outcome is unknown may be in the shard's counts while the ledger
    // still counts it in flight: ask the shard about it first (replies come in
    // order), rather than after a backoff that a read could overtake.
    lane->hurry();
    shard->readCounts(pollId, [this, shard, pollId, countKey,
                               optionCount](Outcome<StoredCounts> stored) {
        if (stored && !stored.value().movedTo.isEmpty() && m_laneNamed(stored.value().movedTo)) {
            // Moved: this shard's answer comes after every batch it applied for the
            // poll, so the target's counts and what is pending here add up exactly.
            PollPlacement placement;
            placement.state = QStringLiteral("moved");
            placement.to = stored.value().movedTo;
            placement.from = shard->name();
            placement.fences = stored.value().movedFences;
            m_moves.adopt(pollId, placement.to, placement);
            readFromShard(pollId, countKey, optionCount);
            return;
        }
        const QList<Reply<ResultRead>> replies = m_readers.take(countKey);
        Outcome<ResultRead> result = TallyError::pollNotFound(pollId);
        if (!stored) {
            // The shard is unreachable: the last counts we had plus what is pending
            // are still a lower bound worth showing, and say so.
            if (std::optional<OptionCounts> stale = m_ledger.readStale(countKey, optionCount))
                result = ResultRead{*stale, QStringLiteral("stale_cache"), optionCount};
            else
                result = stored.error();
        } else {
            result = ResultRead{m_ledger.storeRead(countKey, stored.value(), optionCount),
                                shard->kind() + u':' + shard->name(), optionCount};
        }
        for (const Reply<ResultRead> &waiter : replies)
            waiter(result);
    });
}

void ShardRequests::claimVoter(const QString &pollId, const QString &voterId, Reply<bool> reply)
{
    if (!m_catalog.contains(pollId)) {
        reply(TallyError::pollNotFound(pollId));
        return;
    }
    m_laneFor(pollId)->shard->claimVoter(
        pollId, voterId, [this, pollId, voterId, reply](Outcome<bool> claimed) {
            if (!claimed && m_moves.adoptMoves(claimed.error(), pollId)) {
                claimVoter(pollId, voterId, reply); // on its new shard
                return;
            }
            reply(claimed);
        });
}

void ShardRequests::releaseVoter(const QString &pollId, const QString &voterId)
{
    if (!m_catalog.contains(pollId))
        return; // deleted with its voters
    m_laneFor(pollId)->shard->releaseVoter(
        pollId, voterId, [pollId, voterId](Outcome<bool> released) {
            if (!released)
                qCWarning(
                    lcStorage, "Poll %s: voter %s stays recorded although the vote was refused: %s",
                    qPrintable(pollId), qPrintable(voterId.left(VoteRequest::MaxVoterIdLength)),
                    qPrintable(released.error().message));
        });
}
