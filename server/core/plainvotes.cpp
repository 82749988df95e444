#include "plainvotes.h"
#include "flatjson.h"

namespace {

QString latin1(QByteArrayView text, qsizetype from, qsizetype length)
{
    return QString::fromLatin1(text.sliced(from, length));
}

QString latin1(QStringView text, qsizetype from, qsizetype length)
{
    return text.sliced(from, length).toString();
}

template <typename View>
bool isKey(View text, const FlatJson::Member &member, QLatin1StringView name)
{
    if constexpr (std::is_same_v<View, QStringView>)
        return text.sliced(member.keyFrom, member.keyLength) == name;
    else
        return QLatin1StringView(text.sliced(member.keyFrom, member.keyLength)) == name;
}

// Where a vote object comes from, which decides its members.
enum class Shape {
    BulkItem, // poll_id, option_id[, voter_id]
    Frame,    // type "vote", poll_id, option_id[, voter_id][, ref]
    Body,     // option_id[, voter_id]: the poll is in the path
};

// The vote members of `object` in `shape`; nullopt when one is missing, repeated, of
// another kind or unknown.
template <typename View>
std::optional<PlainVotes::Frame> readVote(View text, const FlatJson::Object &object, Shape shape)
{
    const bool frame = shape == Shape::Frame;
    enum Seen { PollId = 1, OptionId = 2, VoterId = 4, Type = 8, Ref = 16 };
    int seen = 0;
    PlainVotes::Frame result;
    for (int m = 0; m < object.size; ++m) {
        const FlatJson::Member &member = object.members[size_t(m)];
        const auto key = [&](const char *name) {
            return isKey(text, member, QLatin1StringView(name));
        };
        const bool isString = member.kind == FlatJson::Kind::String;
        int field = 0;
        if (shape != Shape::Body && key("poll_id") && isString)
            field = PollId;
        else if (key("option_id") && isString)
            field = OptionId;
        else if (key("voter_id") && isString)
            field = VoterId;
        else if (frame && key("type") && isString)
            field = Type;
        else if (frame && key("ref"))
            field = Ref;
        if (field == 0 || (seen & field))
            return std::nullopt;
        seen |= field;
        const QString value = latin1(text, member.valueFrom, member.valueLength);
        switch (field) {
        case PollId:
            result.vote.pollId = value;
            break;
        case OptionId:
            result.vote.optionId = value;
            break;
        case VoterId:
            if (value.size() > VoteRequest::MaxVoterIdLength)
                return std::nullopt;
            result.vote.voterId = value;
            break;
        case Type:
            if (value != u"vote")
                return std::nullopt;
            break;
        case Ref:
            if (isString) {
                result.ref = value;
                result.refJson = '"' + value.toLatin1() + '"';
            } else {
                result.refJson = value.toLatin1();
                result.ref = QJsonValue(result.refJson.toLongLong());
            }
            break;
        }
    }
    const int needed = OptionId | (shape == Shape::Body ? 0 : PollId) | (frame ? Type : 0);
    if ((seen & needed) != needed)
        return std::nullopt;
    return result;
}

} // namespace

std::optional<QList<Outcome<VoteRequest>>> PlainVotes::bulk(QByteArrayView body, int maxVotes)
{
    // {"votes":[
    qsizetype i = FlatJson::skipSpace(body, 0);
    if (i >= body.size() || body[i] != '{')
        return std::nullopt;
    i = FlatJson::skipSpace(body, i + 1);
    static constexpr QByteArrayView votesKey = "\"votes\"";
    if (!body.sliced(i).startsWith(votesKey))
        return std::nullopt;
    i = FlatJson::skipSpace(body, i + votesKey.size());
    if (i >= body.size() || body[i] != ':')
        return std::nullopt;
    i = FlatJson::skipSpace(body, i + 1);
    if (i >= body.size() || body[i] != '[')
        return std::nullopt;
    i = FlatJson::skipSpace(body, i + 1);

    QList<Outcome<VoteRequest>> votes;
    votes.reserve(qMin<qsizetype>(maxVotes, body.size() / 32 + 1));
    if (i < body.size() && body[i] == ']') {
        ++i;
    } else {
        for (;;) {
            if (votes.size() == maxVotes)
                return std::nullopt; // too many: the ordinary reading says so
            const std::optional<FlatJson::Object> item = FlatJson::read(body, i);
            if (!item)
                return std::nullopt;
            std::optional<Frame> vote = readVote(body, *item, Shape::BulkItem);
            if (!vote)
                return std::nullopt;
            votes.append(std::move(vote->vote));
            i = FlatJson::skipSpace(body, item->end);
            if (i >= body.size())
                return std::nullopt;
            if (body[i] == ']') {
                ++i;
                break;
            }
            if (body[i] != ',')
                return std::nullopt;
            i = FlatJson::skipSpace(body, i + 1);
        }
    }
    // ]}
    i = FlatJson::skipSpace(body, i);
    if (i >= body.size() || body[i] != '}')
        return std::nullopt;
    if (FlatJson::skipSpace(body, i + 1) != body.size())
        return std::nullopt;
    return votes;
}

std::optional<PlainVotes::Frame> PlainVotes::voteFrame(QStringView text)
{
    const std::optional<FlatJson::Object> object = FlatJson::read(text, 0);
    if (!object || FlatJson::skipSpace(text, object->end) != text.size())
        return std::nullopt;
    return readVote(text, *object, Shape::Frame);
}

std::optional<VoteRequest> PlainVotes::vote(QByteArrayView body, const QString &pollId)
{
    const std::optional<FlatJson::Object> object = FlatJson::read(body, 0);
    if (!object || FlatJson::skipSpace(body, object->end) != body.size())
        return std::nullopt;
    std::optional<Frame> read = readVote(body, *object, Shape::Body);
    if (!read)
        return std::nullopt;
    read->vote.pollId = pollId;
    return std::move(read->vote);
}

QByteArray PlainVotes::ack(const Frame &frame)
{
    if (frame.refJson.isEmpty())
        return QByteArrayLiteral("{\"type\":\"ack\"}");
    QByteArray out;
    out.reserve(frame.refJson.size() + 24);
    out.append("{\"ref\":").append(frame.refJson).append(",\"type\":\"ack\"}");
    return out;
}
