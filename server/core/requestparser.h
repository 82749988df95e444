#pragma once

#include "outcome.h"
#include "poll.h"

#include <QByteArray>
#include <QJsonObject>

struct VoteRequest {
    QString pollId;
    QString optionId; // the first option chosen
    QString voterId;
    // Every option chosen, when the vote came as `option_ids` (empty for `option_id`).
    QStringList optionIds;
    // One-vote-per-voter polls: the reset generation its voter was claimed in.
    quint32 claimedGeneration = 0;

    QStringList chosen() const { return optionIds.isEmpty() ? QStringList{optionId} : optionIds; }

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
    // The vote body `{"option_id": "A", "voter_id": "..."}` (or `"option_ids": ["A", "C"]`)
    // for `pollId`.
    static Outcome<VoteRequest> parseVote(const QString &pollId, const QJsonObject &json);
    // One item of a bulk request: `{"poll_id": "7", "option_id": "A"}`.
    static Outcome<VoteRequest> parseBulkItem(const QJsonValue &item);
    // An RFC 3339 time with a zone, in UTC; `field` names it in the error.
    static Outcome<QDateTime> parseTimestamp(const QString &text, const QString &field);
    // The voter-id rule for every source of a voter id (`source`: "voter_id",
    // "X-Voter-Id"): an error when it is too long.
    static std::optional<TallyError> checkVoterId(const QString &voterId, const QString &source);
};
