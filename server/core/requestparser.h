#pragma once

#include "outcome.h"
#include "poll.h"

#include <QByteArray>
#include <QJsonObject>

struct VoteRequest {
    QString pollId;
    QString optionId;
    QString voterId;

    // Longer ids are refused, never cut: cutting would make distinct voters who share
    // their first characters one voter.
    static constexpr int MaxVoterIdLength = Protocol::MaxVoterIdLength;
};

// Turns request bodies into validated domain values. Knows JSON, not HTTP.
class RequestParser {
public:
    static Outcome<QJsonObject> parseObject(const QByteArray &body);
    // A new poll from a create request; id generated when absent. Shard and time are
    // left for the catalog to fill in.
    static Outcome<Poll> parseNewPoll(const QJsonObject &json);
    // The vote body `{"option_id": "A", "voter_id": "..."}` for `pollId`.
    static Outcome<VoteRequest> parseVote(const QString &pollId, const QJsonObject &json);
    // One item of a bulk request: `{"poll_id": "7", "option_id": "A"}`.
    static Outcome<VoteRequest> parseBulkItem(const QJsonValue &item);
    // The voter-id rule for every source of a voter id (`source`: "voter_id",
    // "X-Voter-Id"): an error when it is too long.
    static std::optional<TallyError> checkVoterId(const QString &voterId, const QString &source);
};
