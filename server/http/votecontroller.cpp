#include "votecontroller.h"
#include "core/config.h"
#include "core/pollcatalog.h"
#include "core/serverstats.h"
#include "core/voteledger.h"
#include "durablegate.h"
#include "jsonbody.h"
#include "storage/journal.h"
#include "storage/journalrecord.h"
#include "storage/storageengine.h"

#include <QJsonArray>

void VoteController::registerRoutes(Router &router, const QString &prefix)
{
    using M = Router::Method;
    router.add(M::Post, prefix + QStringLiteral("/vote/{poll_id}"),
               [this](const HttpExchange &e, const QStringList &p) { vote(e, p[0]); }, Router::Budget::Votes);
    router.add(M::Post, prefix + QStringLiteral("/votes"), [this](const HttpExchange &e, const QStringList &) { bulk(e); }, Router::Budget::Votes);
}

Outcome<int> VoteController::cast(const VoteRequest &vote, quint64 *journalSequence) const
{
    const ServerContext &server = m_scope.server;
    const Outcome<int> option = server.catalog->validateVote(vote.pollId, vote.optionId);
    if (!option)
        return option;
    // A shard outage must not grow memory without bound: refuse, lose nothing.
    if (server.ledger->pendingVotes() >= server.config->maxPendingVotes()) {
        return TallyError::unavailable(QStringLiteral("overloaded"),
                                       QStringLiteral("Too many votes are waiting for storage; retry shortly."));
    }
    const int optionCount = server.catalog->optionCount(vote.pollId);
    qint64 buffered = 0;
    if (server.journal) {
        const quint64 sequence = server.ledger->addJournaledVote(
            m_scope.workerIndex, vote.pollId, option.value(), optionCount,
            JournalRecord::vote(vote.pollId, option.value()), &buffered);
        server.journal->notifyAppended();
        if (journalSequence)
            *journalSequence = sequence;
    } else {
        buffered = server.ledger->addVote(m_scope.workerIndex, vote.pollId, option.value(), optionCount);
    }
    ServerStats::bump(server.stats->votesAccepted);
    if (buffered >= server.config->batchMaxVotes())
        server.storage->requestFlush();
    return option;
}

void VoteController::castChecked(const VoteRequest &vote, std::function<void(Outcome<int>)> finish) const
{
    const ServerContext &server = m_scope.server;
    // Every refusal of a vote that reached this point is counted once, here.
    const auto done = [stats = server.stats, finish](Outcome<int> outcome) {
        if (!outcome)
            stats->rejectVote(outcome.error().code);
        finish(std::move(outcome));
    };
    const Outcome<int> valid = server.catalog->validateVote(vote.pollId, vote.optionId);
    const std::optional<Poll> poll = server.catalog->find(vote.pollId);
    if (!valid || !poll || !poll->oneVotePerVoter) {
        quint64 sequence = 0;
        const Outcome<int> cast = valid ? this->cast(vote, &sequence) : valid;
        if (!cast)
            done(cast);
        else
            m_scope.durable->after(sequence, [done, cast] { done(cast); });
        return;
    }
    if (vote.voterId.isEmpty()) {
        done(TallyError::invalid(QStringLiteral("voter_id_required"),
                                 QStringLiteral("Poll '%1' allows one vote per voter: send 'voter_id' or an "
                                                "X-Voter-Id header.")
                                     .arg(vote.pollId)));
        return;
    }
    server.storage->claimVoter(
        vote.pollId, vote.voterId, m_scope.onWorker<Outcome<bool>>([this, vote, done](Outcome<bool> claimed) {
            if (!claimed) {
                done(claimed.error());
                return;
            }
            if (!claimed.value()) {
                done(TallyError::conflict(QStringLiteral("duplicate_voter"),
                                          QStringLiteral("Voter '%1' has already voted in poll '%2'.")
                                              .arg(vote.voterId.left(128), vote.pollId)));
                return;
            }
            quint64 sequence = 0;
            const Outcome<int> cast = this->cast(vote, &sequence);
            if (!cast)
                done(cast);
            else
                m_scope.durable->after(sequence, [done, cast] { done(cast); });
        }));
}

void VoteController::vote(const HttpExchange &exchange, const QString &pollId) const
{
    const Outcome<QJsonObject> body = JsonBody::parse(exchange, m_scope.server.config->maxBodyBytes());
    if (!body) {
        exchange.replyError(body.error());
        return;
    }
    // An unknown poll is reported before field errors, as a client would expect.
    if (!m_scope.server.catalog->contains(pollId)) {
        m_scope.server.stats->rejectVote(QStringLiteral("poll_not_found"));
        exchange.replyError(TallyError::pollNotFound(pollId.left(Poll::MaxIdLength)));
        return;
    }
    Outcome<VoteRequest> request = RequestParser::parseVote(pollId, body.value());
    if (!request) {
        m_scope.server.stats->rejectVote(request.error().code);
        exchange.replyError(request.error());
        return;
    }
    if (request.value().voterId.isEmpty()) {
        // Same limit as the body's voter_id: cutting a longer id would make distinct
        // voters who share its first 128 characters one voter.
        const QString headerVoter = QString::fromUtf8(exchange.header("X-Voter-Id"));
        if (headerVoter.size() > 128) {
            m_scope.server.stats->rejectVote(QStringLiteral("invalid_voter_id"));
            exchange.replyError(TallyError::invalid(
                QStringLiteral("invalid_voter_id"),
                QStringLiteral("X-Voter-Id must have at most 128 characters.")));
            return;
        }
        request.value().voterId = headerVoter;
    }
    const QJsonObject accepted{{QStringLiteral("status"), QStringLiteral("accepted")},
                               {QStringLiteral("message"), QStringLiteral("Vote accepted")},
                               {QStringLiteral("poll_id"), pollId},
                               {QStringLiteral("option_id"), request.value().optionId}};
    castChecked(request.value(), [exchange, accepted](Outcome<int> cast) {
        if (cast)
            exchange.replyJson(HttpExchange::Status::Accepted, accepted);
        else
            exchange.replyError(cast.error());
    });
}

void VoteController::bulk(const HttpExchange &exchange) const
{
    const Outcome<QJsonObject> body = JsonBody::parse(exchange, m_scope.server.config->maxBodyBytes());
    if (!body) {
        exchange.replyError(body.error());
        return;
    }
    const QJsonValue votes = body.value().value(QStringLiteral("votes"));
    if (!votes.isArray()) {
        exchange.replyError(TallyError::invalid(QStringLiteral("invalid_field"),
                                                QStringLiteral("Field 'votes' must be an array of votes.")));
        return;
    }
    const QJsonArray items = votes.toArray();
    if (items.size() > MaxBulkVotes) {
        exchange.replyError(TallyError::invalid(
            QStringLiteral("too_many_votes"),
            QStringLiteral("A bulk request holds at most %1 votes.").arg(MaxBulkVotes)));
        return;
    }
    QJsonArray results;
    int accepted = 0;
    quint64 lastSequence = 0;
    for (const QJsonValue &item : items) {
        Outcome<VoteRequest> request = RequestParser::parseBulkItem(item);
        quint64 sequence = 0;
        Outcome<int> cast = Outcome<int>(0);
        const std::optional<Poll> poll = request ? m_scope.server.catalog->find(request.value().pollId) : std::nullopt;
        if (!request)
            cast = request.error();
        else if (poll && poll->oneVotePerVoter)
            cast = TallyError::invalid(QStringLiteral("voter_check_required"),
                                       QStringLiteral("Poll '%1' allows one vote per voter; vote through "
                                                      "POST /vote/%1 with a voter_id.")
                                           .arg(poll->id));
        else
            cast = this->cast(request.value(), &sequence);
        lastSequence = std::max(lastSequence, sequence);
        if (cast) {
            ++accepted;
            results.append(QJsonObject{{QStringLiteral("status"), QStringLiteral("accepted")},
                                       {QStringLiteral("poll_id"), request.value().pollId},
                                       {QStringLiteral("option_id"), request.value().optionId}});
        } else {
            const TallyError &error = cast.error();
            m_scope.server.stats->rejectVote(error.code);
            results.append(QJsonObject{
                {QStringLiteral("status"), QStringLiteral("rejected")},
                {QStringLiteral("error"), QJsonObject{{QStringLiteral("code"), error.code},
                                                      {QStringLiteral("message"), error.message}}}});
        }
    }
    const QJsonObject summary{{QStringLiteral("accepted"), accepted},
                              {QStringLiteral("rejected"), int(items.size()) - accepted},
                              {QStringLiteral("results"), results}};
    m_scope.durable->after(lastSequence, [exchange, summary] {
        exchange.replyJson(HttpExchange::Status::Accepted, summary);
    });
}
