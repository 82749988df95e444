#pragma once

#include "outcome.h"
#include "requestparser.h"

#include <QByteArray>
#include <QJsonValue>
#include <QList>
#include <optional>

// The votes of plain bodies and messages, read without QJsonDocument (see FlatJson).
// Each reader takes only input whose reading is certain: every member known and named
// once, poll_id and option_id strings, voter_id a string within its length. For
// anything else it returns nullopt and the caller reads the input the ordinary way
// (RequestParser), which gives the same votes for what these readers take and the
// exact answer for the rest.
class PlainVotes {
public:
    // A bulk body {"votes":[{"poll_id":..,"option_id":..[,"voter_id":..]},...]} with at
    // most `maxVotes` items.
    static std::optional<QList<Outcome<VoteRequest>>> bulk(QByteArrayView body, int maxVotes);

    // A WebSocket message {"type":"vote","poll_id":..,"option_id":..[,"voter_id":..][,"ref":..]}
    // whose ref, when present, is a string or an integer.
    struct Frame {
        VoteRequest vote;
        QJsonValue ref{QJsonValue::Undefined}; // undefined when absent
        QByteArray refJson; // the ref as JSON text, as QJsonDocument writes it; empty when absent
    };
    static std::optional<Frame> voteFrame(QStringView text);
    // The body of a single vote, {"option_id":..[,"voter_id":..]}, for poll `pollId`
    // (named in the path).
    static std::optional<VoteRequest> vote(QByteArrayView body, const QString &pollId);
    // The acknowledgement of `frame`: {"ref":..,"type":"ack"} (no ref when it had none),
    // the bytes QJsonDocument writes for it.
    static QByteArray ack(const Frame &frame);
};
