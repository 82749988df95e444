#include "votecontroller.h"
#include "bulkreply.h"
#include "core/config.h"
#include "core/plainvotes.h"
#include "core/pollcatalog.h"
#include "guard/requestguard.h"
#include "jsonbody.h"
#include "jsontext.h"
#include "vote/voteservice.h"

#include <QJsonArray>
#include <memory>

void VoteController::registerRoutes(Router &router, const QString &prefix)
{
    using M = Router::Method;
    // No router budget: the vote service spends the client's vote budget, one token per vote.
    router.add(M::Post, prefix + QStringLiteral("/vote/{poll_id}"),
               [this](const HttpExchange &e, const QStringList &p) { vote(e, p[0]); });
    router.add(M::Post, prefix + QStringLiteral("/votes"),
               [this](const HttpExchange &e, const QStringList &) { bulk(e); });
}

namespace {

// A single vote's body: the common plain one without QJsonDocument, anything else the
// ordinary way.
Outcome<VoteRequest> readBody(const QByteArray &body, const QString &pollId)
{
    if (std::optional<VoteRequest> plain = PlainVotes::vote(body, pollId))
        return std::move(*plain);
    const Outcome<QJsonObject> json = RequestParser::parseObject(body);
    if (!json)
        return json.error();
    return RequestParser::parseVote(pollId, json.value());
}

} // namespace

void VoteController::vote(const HttpExchange &exchange, const QString &pollId) const
{
    // The options as sent in `option_ids`, echoed in the answer (empty for `option_id`).
    auto chosen = std::make_shared<QStringList>();
    // cast() runs `read` before it returns: the exchange need not be copied into it.
    const auto read = [this, &exchange, &pollId, &chosen]() -> Outcome<VoteRequest> {
        if (std::optional<TallyError> refused = JsonBody::check(exchange, m_config.maxBodyBytes()))
            return *refused;
        Outcome<VoteRequest> request = readBody(exchange.body(), pollId);
        if (request)
            *chosen = request.value().optionIds;
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
    m_votes->cast(exchange.client(m_guard), read, [exchange, pollId, chosen](Outcome<int> cast) {
        if (!cast) {
            exchange.replyError(cast.error());
            return;
        }
        // {"message":"Vote
        // accepted","option_id":..,["option_ids":[..],]"poll_id":..,"status":"accepted"}
        QByteArray body("{\"message\":\"Vote accepted\",\"option_id\":");
        JsonText::appendString(body, Poll::optionId(cast.value()));
        if (!chosen->isEmpty())
            JsonText::appendStringArray(body, ",\"option_ids\":", *chosen);
        body.append(",\"poll_id\":");
        JsonText::appendString(body, pollId);
        body.append(",\"status\":\"accepted\"}");
        exchange.replyRaw(HttpExchange::Status::Accepted, QByteArrayLiteral("application/json"),
                          body);
    });
}

void VoteController::bulk(const HttpExchange &exchange) const
{
    using Items = QList<Outcome<VoteRequest>>;
    const auto read = [&]() -> Outcome<Items> {
        const int maxBytes = int(VoteService::bulkBodyBytes(m_config));
        if (std::optional<TallyError> refused = JsonBody::check(exchange, maxBytes))
            return *refused;
        // The common plain body without QJsonDocument; anything else the ordinary way.
        if (std::optional<Items> plain =
                PlainVotes::bulk(exchange.body(), VoteService::MaxBulkVotes))
            return std::move(*plain);
        const Outcome<QJsonObject> body = RequestParser::parseObject(exchange.body());
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
        exchange.client(m_guard), read(), [exchange](Outcome<VoteService::BulkResult> cast) {
            if (!cast) {
                exchange.replyError(cast.error());
                return;
            }
            const VoteService::BulkResult &result = cast.value();
            const QByteArray body = BulkReply::encode(result);
            static const QByteArray contentType = QByteArrayLiteral("Content-Type");
            static const QByteArray json = QByteArrayLiteral("application/json");
            if (result.retryAfterSeconds > 0)
                exchange.replyWithHeaders(HttpExchange::Status::Accepted,
                                          {{contentType, json},
                                           {QByteArrayLiteral("Retry-After"),
                                            QByteArray::number(result.retryAfterSeconds)}},
                                          body);
            else
                exchange.replyRaw(HttpExchange::Status::Accepted, json, body);
        });
}
