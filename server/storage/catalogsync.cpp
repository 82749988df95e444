#include "catalogsync.h"
#include "core/pollcatalog.h"
#include "core/voteledger.h"
#include "shardlane.h"

#include <QSet>

CatalogSync::CatalogSync(const QString &instanceId, PollCatalog &catalog, VoteLedger &ledger,
                         QObject *parent)
    : QObject(parent), m_instanceId(instanceId), m_catalog(catalog), m_ledger(ledger)
{
}

void CatalogSync::prepare(ShardLane *lane, bool announce,
                          std::function<void(std::optional<TallyError>, qint64)> done)
{
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
            poll.shard = lane->shard->name();
            const bool known = m_catalog.contains(poll.id);
            m_catalog.upsert(poll);
            if (announce && !known)
                Q_EMIT pollEvent(QStringLiteral("poll_created"), poll.toJson());
        }
        done(std::nullopt, qint64(polls.value().size()));
    });
}

void CatalogSync::refresh(const std::vector<std::unique_ptr<ShardLane>> &lanes)
{
    for (const auto &lane : lanes) {
        Shard *shard = lane->shard;
        if (shard->state() != Shard::State::Up || !lane->ready)
            continue;
        shard->loadPolls([this, shard](Outcome<QList<Poll>> polls) {
            if (!polls)
                return;
            // Replies arrive in command order, so a create or delete made by this
            // instance after the read is applied after this reconciliation.
            QSet<QString> present;
            for (Poll poll : polls.value()) {
                poll.shard = shard->name();
                present.insert(poll.id);
                const std::optional<Poll> known = m_catalog.find(poll.id);
                if (known && known->resetting)
                    continue; // this instance's reset publishes the poll when it ends
                if (!known || known->open != poll.open || known->resets != poll.resets ||
                    known->visibility != poll.visibility || known->closesAt != poll.closesAt) {
                    m_catalog.upsert(poll);
                    Q_EMIT pollEvent(known ? QStringLiteral("poll_updated")
                                           : QStringLiteral("poll_created"),
                                     poll.toJson());
                }
            }
            for (const Poll &known : m_catalog.list())
                if (known.shard == shard->name() && !present.contains(known.id)) {
                    m_catalog.remove(known.id);
                    m_ledger.forget(known.id);
                    Q_EMIT pollEvent(QStringLiteral("poll_deleted"),
                                     QJsonObject{{QStringLiteral("id"), known.id}});
                }
        });
    }
}
