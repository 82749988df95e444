#include "catalogsync.h"
#include "core/logcategories.h"
#include "core/pollcatalog.h"
#include "core/voteledger.h"
#include "placementtracker.h"
#include "shardlane.h"

#include <QSet>

CatalogSync::CatalogSync(const QString &instanceId, PollCatalog &catalog, VoteLedger &ledger,
                         PlacementTracker &placements, QObject *parent)
    : QObject(parent), m_instanceId(instanceId), m_catalog(catalog), m_ledger(ledger),
      m_placements(placements)
{
}

void CatalogSync::prepare(ShardLane *lane, bool announce,
                          std::function<void(std::optional<TallyError>, qint64)> done)
{
    // The load below reads the shard as its current master holds it.
    lane->restoredFailovers = lane->shard->failovers();
    lane->setRestore(
        [this, lane](std::function<void(bool)> restored) { restore(lane, std::move(restored)); });
    if (lane->fenced) {
        load(lane, announce, std::move(done));
        return;
    }
    lane->shard->fenceSequence(m_instanceId,
                               [this, lane, announce, done](Outcome<quint64> applied) {
                                   if (!applied) {
                                       done(applied.error(), 0);
                                       return;
                                   }
                                   // Sequences continue across restarts, so an old batch is never
                                   // mistaken for a new one; the one after the applied sequence is
                                   // fenced off.
                                   lane->fenced = true;
                                   lane->appliedAtStart = applied.value();
                                   lane->nextSequence = applied.value() + 2;
                                   load(lane, announce, done);
                               });
}

void CatalogSync::load(ShardLane *lane, bool announce,
                       std::function<void(std::optional<TallyError>, qint64)> done)
{
    lane->shard->loadPolls([this, lane, announce, done](Outcome<QList<Poll>> polls) {
        if (!polls) {
            done(polls.error(), 0);
            return;
        }
        for (Poll poll : polls.value()) {
            if (!m_placements.placeLoaded(poll, lane->shard->name()))
                continue;
            // A reset under way here (this instance's or one it joined) ends it.
            if (const PollCatalog::Snapshot held = m_catalog.snapshot(poll.id);
                held && held->resetting)
                continue;
            const bool known = m_catalog.contains(poll.id);
            m_catalog.upsert(poll);
            if (announce && !known)
                Q_EMIT pollEvent(QStringLiteral("poll_created"), poll.toJson());
        }
        done(std::nullopt, qint64(polls.value().size()));
    });
}

void CatalogSync::restore(ShardLane *lane, std::function<void(bool)> done)
{
    Shard *shard = lane->shard;
    shard->loadPolls([this, shard, done](Outcome<QList<Poll>> polls) {
        if (!polls) {
            done(false);
            return;
        }
        QSet<QString> present;
        for (const Poll &poll : polls.value())
            present.insert(poll.id);
        QList<Poll> lacking;
        for (const Poll &known : m_catalog.list())
            if (known.shard == shard->name() && !present.contains(known.id) &&
                !known.placement.isTombstone())
                lacking.append(known);
        if (lacking.isEmpty()) {
            done(true);
            return;
        }
        qCWarning(lcStorage,
                  "Shard %s: the master at %s lacks %lld poll(s) created before the failover; "
                  "writing them again",
                  qPrintable(shard->name()), qPrintable(shard->address()), qint64(lacking.size()));
        struct Writes {
            qsizetype remaining = 0;
            bool failed = false;
        };
        auto writes = std::make_shared<Writes>();
        writes->remaining = lacking.size();
        for (const Poll &poll : std::as_const(lacking))
            shard->restorePoll(poll, [done, writes](Outcome<bool> restored) {
                writes->failed = writes->failed || !restored;
                if (--writes->remaining == 0)
                    done(!writes->failed);
            });
    });
}

void CatalogSync::refresh(const std::vector<std::unique_ptr<ShardLane>> &lanes)
{
    for (const auto &lane : lanes) {
        Shard *shard = lane->shard;
        if (shard->state() != Shard::State::Up || !lane->ready)
            continue;
        // After a failover the new master may lack polls whose creation never
        // replicated: missing ones count as deleted only once the lane restored them,
        // and only if no failover came between the read and its answer.
        const int failovers = shard->failovers();
        const bool complete = lane->pollsComplete();
        ShardLane *raw = lane.get();
        // The read takes more than one round trip, so a poll this instance creates
        // meanwhile may be in the catalog before the answer (without it) comes back:
        // only polls known when the read was sent can be found missing.
        QSet<QString> knownBefore;
        for (const Poll &known : m_catalog.list())
            if (known.shard == shard->name())
                knownBefore.insert(known.id);
        shard->loadPolls([this, shard, raw, knownBefore, failovers,
                          complete](Outcome<QList<Poll>> polls) {
            if (!polls)
                return;
            const bool mayRemove =
                complete && raw->pollsComplete() && shard->failovers() == failovers;
            QSet<QString> present;
            for (Poll poll : polls.value()) {
                if (!m_placements.placeLoaded(poll, shard->name()))
                    continue;
                if (poll.shard == shard->name())
                    present.insert(poll.id);
                const std::optional<Poll> known = m_catalog.find(poll.id);
                if (known && known->resetting)
                    continue; // this instance's reset publishes the poll when it ends
                if (!known || known->open != poll.open || known->resets != poll.resets ||
                    known->visibility != poll.visibility || known->closesAt != poll.closesAt ||
                    known->shard != poll.shard || known->placement.state != poll.placement.state) {
                    m_catalog.upsert(poll);
                    Q_EMIT pollEvent(known ? QStringLiteral("poll_updated")
                                           : QStringLiteral("poll_created"),
                                     poll.toJson());
                }
            }
            for (const Poll &known : m_catalog.list())
                // A poll learned from its source's redirect is listed on its target
                // only once its move is finished.
                if (mayRemove && known.shard == shard->name() && !present.contains(known.id) &&
                    knownBefore.contains(known.id) && !known.placement.isTombstone()) {
                    m_catalog.remove(known.id);
                    m_ledger.forget(known.id);
                    Q_EMIT pollEvent(QStringLiteral("poll_deleted"),
                                     QJsonObject{{QStringLiteral("id"), known.id}});
                }
        });
    }
}
