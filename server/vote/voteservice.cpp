#include "voteservice.h"
#include "core/config.h"
#include "core/serverstats.h"
#include "core/voteledger.h"
#include "durablegate.h"
#include "storage/journal.h"
#include "storage/journalrecord.h"
#include "storage/storageengine.h"
#include "votebudget.h"

#include <QPointer>
#include <span>

VoteService::VoteService(const Config &config, const PollCatalog &catalog, VoteLedger &ledger,
                         StorageEngine &storage, ServerStats &stats, Journal *journal,
                         VoteBudget *budget, int workerIndex, QObject *thread, DurableGate *durable)
    : m_config(config), m_catalog(catalog), m_ledger(ledger), m_storage(storage), m_stats(stats),
      m_journal(journal), m_budget(budget), m_workerIndex(workerIndex), m_thread(thread),
      m_durable(durable), m_maxPendingVotes(config.maxPendingVotes()),
      m_batchMaxVotes(config.batchMaxVotes())
{
}

qint64 VoteService::bulkBodyBytes(const Config &config)
{
    return std::max<qint64>(config.maxBodyBytes(), BulkBodyBytes);
}

VoteService::Done VoteService::counted(Done done) const
{
    return [stats = &m_stats, done = std::move(done)](Outcome<int> outcome) {
        if (!outcome && outcome.error().kind != TallyError::Kind::RateLimited)
            stats->rejectVote(outcome.error().code);
        done(std::move(outcome));
    };
}

void VoteService::cast(const QString &client, const Reader &read, Done finish) const
{
    // Moved along to the acknowledgement: every copy would copy what the caller captured.
    Done done = counted(std::move(finish));
    qint64 retryMs = 0;
    if (m_budget && m_budget->takeVotes(client, 1, &retryMs) < 1) {
        done(TallyError::rateLimited(client, retryMs));
        return;
    }
    const Outcome<VoteRequest> vote = read();
    if (!vote) {
        done(vote.error());
        return;
    }
    const Recorded recorded = record(vote.value(), VoterClaim::Needed);
    if (!recorded.outcome)
        done(recorded.outcome.error());
    else if (recorded.needsClaim) {
        VoteRequest claiming = vote.value();
        claiming.claimedGeneration = recorded.generation;
        claimThenRecord(claiming, std::move(done));
    } else
        acknowledge(recorded.journalSequence, recorded.outcome, std::move(done));
}

void VoteService::castEach(const QString &client, const QList<VoteRequest> &votes,
                           EachDone each) const
{
    const auto report = [stats = &m_stats, each = std::move(each)](qsizetype index,
                                                                   Outcome<int> outcome) {
        if (!outcome && outcome.error().kind != TallyError::Kind::RateLimited)
            stats->rejectVote(outcome.error().code);
        each(index, std::move(outcome));
    };
    const int wanted = int(votes.size());
    qint64 retryMs = 0;
    const int granted = m_budget ? m_budget->takeVotes(client, wanted, &retryMs) : wanted;
    QList<QPair<qsizetype, int>> counted;
    quint64 lastSequence = 0;
    for (qsizetype i = 0; i < votes.size(); ++i) {
        if (i >= granted) {
            report(i, TallyError::rateLimited(client, retryMs));
            continue;
        }
        const Recorded recorded = record(votes.at(i), VoterClaim::Needed);
        if (!recorded.outcome) {
            report(i, recorded.outcome.error());
        } else if (recorded.needsClaim) {
            VoteRequest claiming = votes.at(i);
            claiming.claimedGeneration = recorded.generation;
            claimThenRecord(claiming,
                            [report, i](Outcome<int> outcome) { report(i, std::move(outcome)); });
        } else {
            counted.append({i, recorded.outcome.value()});
            lastSequence = std::max(lastSequence, recorded.journalSequence);
        }
    }
    if (counted.isEmpty())
        return;
    m_durable->after(lastSequence, [report, counted] {
        for (const auto &[index, option] : counted)
            report(index, option);
    });
}

void VoteService::claimThenRecord(const VoteRequest &vote, Done done) const
{
    // Everything that can refuse the vote was checked; only now is its voter recorded.
    QPointer<QObject> thread = m_thread;
    StorageEngine *storage = &m_storage;
    const auto claimed = [this, vote, done, storage](Outcome<bool> claim) {
        if (!claim) {
            done(claim.error());
            return;
        }
        if (!claim.value()) {
            done(TallyError::conflict(QStringLiteral("duplicate_voter"),
                                      QStringLiteral("Voter '%1' has already voted in poll '%2'.")
                                          .arg(vote.voterId, vote.pollId)));
            return;
        }
        // The poll may have closed, gone or filled the buffer while the claim travelled.
        const Recorded recorded = record(vote, VoterClaim::Held);
        if (!recorded.outcome) {
            storage->releaseVoter(vote.pollId, vote.voterId);
            done(recorded.outcome.error());
            return;
        }
        acknowledge(recorded.journalSequence, recorded.outcome, done);
    };
    storage->claimVoter(vote.pollId, vote.voterId, [thread, claimed](Outcome<bool> claim) {
        if (thread)
            QMetaObject::invokeMethod(
                thread.data(), [claimed, claim] { claimed(claim); }, Qt::QueuedConnection);
    });
}

Outcome<int> VoteService::judge(const PollCatalog::Snapshot &poll, const VoteRequest &vote) const
{
    // The options chosen, without building vote.chosen()'s list for the common single one.
    const QStringView single = vote.optionId;
    const std::span<const QString> several(vote.optionIds.constData(), vote.optionIds.size());
    const qsizetype chosenCount = several.empty() ? 1 : qsizetype(several.size());
    Outcome<int> option = 0;
    for (qsizetype i = 0; i < chosenCount; ++i) {
        const QStringView optionId = several.empty() ? single : QStringView(several[size_t(i)]);
        const Outcome<int> checked = PollCatalog::validateVote(poll, vote.pollId, optionId);
        if (!checked)
            return checked;
        if (i == 0)
            option = checked;
    }
    if (chosenCount > poll->maxChoices)
        return TallyError::invalid(
            QStringLiteral("too_many_choices"),
            QStringLiteral("Poll '%1' takes at most %2 option(s) per vote; this vote chose %3.")
                .arg(vote.pollId)
                .arg(poll->maxChoices)
                .arg(chosenCount));
    // A reset is taking effect: this vote belongs to neither side of it yet.
    if (poll->resetting)
        return resetting(vote.pollId);
    // Cut off from the poll's shard past its lease: a reset may have passed it by.
    if (m_storage.isFenced(poll->shard))
        return TallyError::unavailable(
            QStringLiteral("shard_unavailable"),
            QStringLiteral("This instance lost touch with shard %1 of poll '%2'; votes for it wait "
                           "until it is back.")
                .arg(poll->shard, vote.pollId));
    if (poll->oneVotePerVoter && vote.voterId.isEmpty())
        return TallyError::invalid(
            QStringLiteral("voter_id_required"),
            QStringLiteral("Poll '%1' allows one vote per voter: send 'voter_id' or an "
                           "X-Voter-Id header.")
                .arg(vote.pollId));
    // A shard outage must not grow memory without bound: refuse, lose nothing.
    if (m_ledger.pendingVotes() >= m_maxPendingVotes)
        return TallyError::unavailable(
            QStringLiteral("overloaded"),
            QStringLiteral("Too many votes are waiting for storage; retry shortly."));
    // A journal that cannot write must not take votes it could not keep.
    if (m_journal)
        if (std::optional<TallyError> refusal = m_journal->refusal())
            return *refusal;
    return option;
}

TallyError VoteService::resetting(const QString &pollId)
{
    TallyError error = TallyError::unavailable(
        QStringLiteral("poll_resetting"),
        QStringLiteral("Poll '%1' is being reset; send the vote again.").arg(pollId));
    error.retryAfterSeconds = 1;
    return error;
}

VoteService::Recorded VoteService::record(const VoteRequest &vote, VoterClaim claim) const
{
    qint64 buffered = 0;
    Recorded recorded = m_catalog.whileCurrent(vote.pollId, [&](const PollCatalog::Snapshot &poll) {
        if (poll && poll->oneVotePerVoter && claim == VoterClaim::Refused)
            return Recorded{
                TallyError::invalid(QStringLiteral("voter_check_required"),
                                    QStringLiteral("Poll '%1' allows one vote per voter; vote "
                                                   "through POST /vote/%1 with a voter_id.")
                                        .arg(poll->id))};
        Outcome<int> option = judge(poll, vote);
        if (!option)
            return Recorded{option};
        if (poll->oneVotePerVoter && claim == VoterClaim::Needed)
            return Recorded{option, true, 0, poll->resets};
        // Its voter was claimed before a reset, which forgot it: claim it again.
        if (poll->oneVotePerVoter && vote.claimedGeneration != poll->resets)
            return Recorded{resetting(vote.pollId)};
        // Counted under the reset generation and with the option count of the
        // snapshot it was judged against.
        const QString countKey = poll->countKey();
        const int optionCount = int(poll->options.size());
        quint64 sequence = 0;
        if (poll->multipleChoice()) {
            QList<int> countSlots;
            for (const QString &optionId : vote.chosen())
                countSlots.append(poll->optionIndex(optionId));
            countSlots.append(Poll::VotersSlot);
            const QByteArray record =
                m_journal ? JournalRecord::ballot(countKey, countSlots) : QByteArray();
            sequence = m_ledger.addBallot(m_workerIndex, countKey, countSlots, Poll::VotersSlot + 1,
                                          record, &buffered);
        } else if (m_journal) {
            sequence =
                m_ledger.addJournaledVote(m_workerIndex, countKey, option.value(), optionCount,
                                          JournalRecord::vote(countKey, option.value()), &buffered);
        } else {
            buffered = m_ledger.addVote(m_workerIndex, countKey, option.value(), optionCount);
        }
        return Recorded{option, false, sequence};
    });
    if (!recorded.outcome || recorded.needsClaim)
        return recorded;
    if (m_journal)
        m_journal->notifyAppended();
    ServerStats::bump(m_stats.votesAccepted);
    if (buffered >= m_batchMaxVotes)
        m_storage.requestFlush();
    return recorded;
}

void VoteService::acknowledge(quint64 journalSequence, const Outcome<int> &outcome, Done done) const
{
    m_durable->after(journalSequence, [done = std::move(done), outcome] { done(outcome); });
}

void VoteService::castBulk(const QString &client, const Outcome<QList<Outcome<VoteRequest>>> &items,
                           BulkDone done) const
{
    const int wanted = items ? std::max<int>(1, int(items.value().size())) : 1;
    qint64 retryMs = 0;
    const int granted = m_budget ? m_budget->takeVotes(client, wanted, &retryMs) : wanted;
    if (granted < 1) {
        done(TallyError::rateLimited(client, retryMs));
        return;
    }
    if (!items) {
        done(items.error());
        return;
    }
    BulkResult result;
    result.items = items.value();
    quint64 lastSequence = 0;
    for (qsizetype i = 0; i < result.items.size(); ++i) {
        const Outcome<VoteRequest> &item = result.items.at(i);
        Outcome<int> outcome = Outcome<int>(0);
        if (i >= granted) {
            const TallyError limited = TallyError::rateLimited(client, retryMs);
            result.retryAfterSeconds = limited.retryAfterSeconds;
            outcome = limited;
        } else if (!item) {
            outcome = item.error();
        } else {
            const Recorded recorded = record(item.value(), VoterClaim::Refused);
            outcome = recorded.outcome;
            lastSequence = std::max(lastSequence, recorded.journalSequence);
        }
        if (outcome)
            ++result.accepted;
        else if (outcome.error().kind != TallyError::Kind::RateLimited)
            m_stats.rejectVote(outcome.error().code);
        result.outcomes.append(std::move(outcome));
    }
    m_durable->after(lastSequence, [done, result] { done(result); });
}
