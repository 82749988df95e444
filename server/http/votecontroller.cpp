#include "votecontroller.h"
#include "core/config.h"
#include "core/pollcatalog.h"
#include "jsonbody.h"
#include "guard/requestguard.h"
#include "vote/voteservice.h"

#include <QJsonArray>

void VoteController::registerRoutes(Router &router, const QString &prefix)
{
    using M = Router::Method;
    // No router budget: the vote service spends the client's vote budget, one token per vote.
    router.add(M::Post, prefix + QStringLiteral("/vote/{poll_id}"),
               [this](const HttpExchange &e, const QStringList &p) { vote(e, p[0]); });
    router.add(M::Post, prefix + QStringLiteral("/votes"),
               [this](const HttpExchange &e, const QStringList &) { bulk(e); });
}

QString VoteController::clientOf(const HttpExchange &exchange) const
{
    if (!m_guard)
        return RequestGuard::normalise(exchange.peer());
    return m_guard->clientOf(exchange.peer(), exchange.header("X-Forwarded-For"),
                             exchange.header("X-Real-IP"));
}

void VoteController::vote(const HttpExchange &exchange, const QString &pollId) const
{
    const auto read = [this, exchange, pollId]() -> Outcome<VoteRequest> {
        const Outcome<QJsonObject> body = JsonBody::parse(exchange, m_config.maxBodyBytes());
        if (!body)
            return body.error();
        Outcome<VoteRequest> request = RequestParser::parseVote(pollId, body.value());
        // An unknown poll is reported before field errors, as a client would expect.
        if (!request && !m_catalog.contains(pollId))
            return TallyError::pollNotFound(pollId.left(Poll::MaxIdLength));
        if (!request || !request.value().voterId.isEmpty())
            return request;
        const QString headerVoter = QString::fromUtf8(exchange.header("X-Voter-Id"));
        if (const std::optional<TallyError> invalid =
                RequestParser::checkVoterId(headerVoter, QStringLiteral("X-Voter-Id")))
            return *invalid;
        request.value().voterId = headerVoter;
        return request;
    };
    m_votes->cast(clientOf(exchange), read, [exchange, pollId](Outcome<int> cast) {
        if (!cast) {
            exchange.replyError(cast.error());
            return;
        }
        exchange.replyJson(HttpExchange::Status::Accepted,
                           {{QStringLiteral("status"), QStringLiteral("accepted")},
                            {QStringLiteral("message"), QStringLiteral("Vote accepted")},
                            {QStringLiteral("poll_id"), pollId},
                            {QStringLiteral("option_id"), Poll::optionId(cast.value())}});
    });
}

void VoteController::bulk(const HttpExchange &exchange) const
{
    using Items = QList<Outcome<VoteRequest>>;
    const auto read = [&]() -> Outcome<Items> {
        const Outcome<QJsonObject> body =
            JsonBody::parse(exchange, VoteService::bulkBodyBytes(m_config));
        if (!body)
            return body.error();
        const QJsonValue votes = body.value().value(QStringLiteral("votes"));
        if (!votes.isArray())
            return TallyError::invalid(QStringLiteral("invalid_field"),
                                       QStringLiteral("Field 'votes' must be an array of votes."));
        const QJsonArray array = votes.toArray();
        if (array.size() > VoteService::MaxBulkVotes)
            return TallyError::invalid(QStringLiteral("too_many_votes"),
                                       QStringLiteral("A bulk request holds at most %1 votes.")
                                           .arg(VoteService::MaxBulkVotes));
        Items items;
        items.reserve(array.size());
        for (const QJsonValue &item : array)
            items.append(RequestParser::parseBulkItem(item));
        return items;
    };
    m_votes->castBulk(
        clientOf(exchange), read(), [exchange](Outcome<VoteService::BulkResult> cast) {
            if (!cast) {
                exchange.replyError(cast.error());
                return;
            }
            const VoteService::BulkResult &result = cast.value();
            QJsonArray results;
            for (qsizetype i = 0; i < result.outcomes.size(); ++i) {
                const Outcome<int> &outcome = result.outcomes.at(i);
                if (outcome) {
                    const VoteRequest &vote = result.items.at(i).value();
                    results.append(
                        QJsonObject{{QStringLiteral("status"), QStringLiteral("accepted")},
                                    {QStringLiteral("poll_id"), vote.pollId},
                                    {QStringLiteral("option_id"), vote.optionId}});
                    continue;
                }
                const TallyError &error = outcome.error();
                results.append(
                    QJsonObject{{QStringLiteral("status"), QStringLiteral("rejected")},
                                {QStringLiteral("error"),
                                 QJsonObject{{QStringLiteral("code"), error.code},
                                             {QStringLiteral("message"), error.message}}}});
            }
            const QJsonObject summary{
                {QStringLiteral("accepted"), result.accepted},
                {QStringLiteral("rejected"), int(result.outcomes.size()) - result.accepted},
                {QStringLiteral("results"), results}};
            if (result.retryAfterSeconds > 0)
                exchange.replyJson(HttpExchange::Status::Accepted, summary,
                                   QByteArrayLiteral("Retry-After"),
                                   QByteArray::number(result.retryAfterSeconds));
            else
                exchange.replyJson(HttpExchange::Status::Accepted, summary);
        });
}
