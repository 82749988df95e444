// libFuzzer target for everything that reads untrusted bytes without a socket: request
// bodies (RequestParser), poll ids, Content-Type values, journal records, WebSocket
// messages (the same steps LiveSession::onText takes before it needs a hub), Redis node
// lists and ring lookups, and the bytes of a connection as ConnectionGuard frames them
// (whole stream vs. arbitrary segmentation) with each framed request as the lean path
// reads it, and single request heads. Plain vote bodies, bulk bodies and vote messages
// read by PlainVotes must read as the ordinary QJsonDocument path reads them. The first input
// byte picks the target; the rest is the input.
//
// Besides crashes and sanitizer reports, each target checks the promises its callers
// rely on (e.g. a parsed poll id is always valid) and traps when one is broken.
#include "core/config.h"
#include "core/hashring.h"
#include "core/plainvotes.h"
#include "core/poll.h"
#include "core/requestparser.h"
#include "http/jsonbody.h"
#include "http/leanrequest.h"
#include "http/requestframer.h"
#include "storage/journalrecord.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QtEndian>

#include <cstddef>
#include <cstdint>

namespace {

void check(bool promise)
{
    if (!promise)
        __builtin_trap();
}

void checkVote(const Outcome<VoteRequest> &vote)
{
    if (vote)
        check(vote.value().voterId.size() <= 128);
}

void newPoll(const QByteArray &input)
{
    const Outcome<QJsonObject> body = RequestParser::parseObject(input);
    if (!body) {
        check(body.error().code == u"malformed_json");
        return;
    }
    const Outcome<Poll> poll = RequestParser::parseNewPoll(body.value());
    if (!poll) {
        check(!poll.error().code.isEmpty());
        return;
    }
    const Poll &p = poll.value();
    check(Poll::isValidId(p.id));
    check(p.options.size() >= Poll::MinOptions && p.options.size() <= Poll::MaxOptions);
    check(!p.question.isEmpty() && p.question.size() <= Poll::MaxQuestionLength);
    check(!p.theme.isEmpty() && p.theme.size() <= Poll::MaxThemeLength);
    for (qsizetype i = 0; i < p.options.size(); ++i)
        check(p.optionIndex(Poll::optionId(int(i))) == i);
    check(p.optionIndex(Poll::optionId(int(p.options.size()))) == -1);
    // What the catalog stores and reads back is the same poll.
    Poll stored = p;
    stored.createdAt = QDateTime::fromMSecsSinceEpoch(0, Qt::UTC);
    stored.shard = QStringLiteral("shard-0");
    const std::optional<Poll> back = Poll::fromJson(stored.toJson());
    check(back.has_value());
    check(back->id == p.id && back->options == p.options && back->question == p.question);
}

bool sameVote(const VoteRequest &a, const VoteRequest &b)
{
    return a.pollId == b.pollId && a.optionId == b.optionId && a.voterId == b.voterId &&
           a.optionIds == b.optionIds;
}

// PlainVotes reads a single vote's body only when the ordinary reading
// (VoteController::vote) takes it as the same vote.
void plainVote(const QByteArray &input)
{
    const std::optional<VoteRequest> plain = PlainVotes::vote(input, QStringLiteral("p"));
    if (!plain)
        return;
    const Outcome<QJsonObject> body = RequestParser::parseObject(input);
    check(bool(body));
    const Outcome<VoteRequest> ordinary =
        RequestParser::parseVote(QStringLiteral("p"), body.value());
    check(bool(ordinary) && sameVote(ordinary.value(), *plain));
}

void vote(const QByteArray &input)
{
    plainVote(input);
    const Outcome<QJsonObject> body = RequestParser::parseObject(input);
    if (!body)
        return;
    const QString pollId = body.value().value(QStringLiteral("poll_id")).toString();
    checkVote(RequestParser::parseVote(pollId, body.value()));
}

// PlainVotes reads a bulk body only when the ordinary reading (VoteController::bulk)
// accepts it too, with the same votes.
void plainBulk(const QByteArray &input)
{
    const auto plain = PlainVotes::bulk(input, 1000);
    if (!plain)
        return;
    const Outcome<QJsonObject> body = RequestParser::parseObject(input);
    check(bool(body));
    check(body.value().size() == 1);
    const QJsonValue votes = body.value().value(QStringLiteral("votes"));
    check(votes.isArray());
    const QJsonArray array = votes.toArray();
    check(array.size() == plain->size() && array.size() <= 1000);
    for (qsizetype i = 0; i < array.size(); ++i) {
        const Outcome<VoteRequest> ordinary = RequestParser::parseBulkItem(array.at(i));
        check(bool(ordinary) && bool(plain->at(i)));
        check(sameVote(ordinary.value(), plain->at(i).value()));
    }
}

// PlainVotes reads a WebSocket vote message only when LiveSession's ordinary reading
// takes it as the same vote, with the same ref and acknowledgement.
void plainFrame(const QByteArray &input)
{
    const QString text = QString::fromUtf8(input);
    const auto frame = PlainVotes::voteFrame(text);
    if (!frame)
        return;
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(text.toUtf8(), &error);
    check(error.error == QJsonParseError::NoError && document.isObject());
    const QJsonObject message = document.object();
    check(message.value(QStringLiteral("type")).toString() == u"vote");
    const Outcome<VoteRequest> ordinary = RequestParser::parseBulkItem(message);
    check(bool(ordinary) && sameVote(ordinary.value(), frame->vote));
    const QJsonValue ref = message.value(QStringLiteral("ref"));
    check(ref == frame->ref);
    const QJsonObject ack{{QStringLiteral("type"), QStringLiteral("ack")},
                          {QStringLiteral("ref"), ref}};
    check(QJsonDocument(ack).toJson(QJsonDocument::Compact) == PlainVotes::ack(*frame));
}

void bulk(const QByteArray &input)
{
    plainBulk(input);
    const Outcome<QJsonObject> body = RequestParser::parseObject(input);
    if (!body)
        return;
    checkVote(RequestParser::parseBulkItem(body.value()));
    const QJsonArray votes = body.value().value(QStringLiteral("votes")).toArray();
    int seen = 0;
    for (const QJsonValue &item : votes) {
        if (++seen > 1000)
            break;
        checkVote(RequestParser::parseBulkItem(item));
    }
}

void pollId(const QByteArray &input)
{
    const QString utf8 = QString::fromUtf8(input);
    const bool valid = Poll::isValidId(utf8);
    if (valid) {
        check(utf8.size() >= 1 && utf8.size() <= Poll::MaxIdLength);
        check(utf8.toLatin1() == input); // ASCII only
    }
    Poll::isValidId(QString::fromLatin1(input));
    // A stored poll with any id: fromJson refuses the invalid ones.
    QJsonObject json{
        {QStringLiteral("id"), utf8},
        {QStringLiteral("question"), QStringLiteral("q")},
        {QStringLiteral("options"), QJsonArray{QStringLiteral("a"), QStringLiteral("b")}}};
    const std::optional<Poll> poll = Poll::fromJson(json);
    if (poll)
        check(Poll::isValidId(poll->id));
}

void mediaType(const QByteArray &input)
{
    const bool json = JsonBody::isJsonMediaType(input);
    // Parameters never change the verdict.
    check(JsonBody::isJsonMediaType(input + "; charset=utf-8") == json || input.contains(';'));
}

void journal(const QByteArray &input)
{
    qsizetype offset = 0;
    int records = 0;
    while (std::optional<JournalRecord::Decoded> record = JournalRecord::read(input, &offset)) {
        check(offset > 0 && offset <= input.size());
        ++records;
        if (record->type == JournalRecord::Type::Vote) {
            // Re-encoding a decoded vote gives a record that decodes the same.
            const QByteArray again =
                JournalRecord::vote(record->pollId, record->option, record->votes);
            qsizetype at = 0;
            const std::optional<JournalRecord::Decoded> copy = JournalRecord::read(again, &at);
            check(copy.has_value() && at == again.size());
            check(copy->pollId == record->pollId && copy->option == record->option &&
                  copy->votes == record->votes);
        }
    }
    check(offset <= input.size());
    // The input as the payload of a record with a correct header and checksum, so the
    // payload decoder sees arbitrary bytes too.
    QByteArray framed(8, Qt::Uninitialized);
    qToLittleEndian(quint32(input.size()), framed.data());
    qToLittleEndian(JournalRecord::crc32(input), framed.data() + 4);
    framed += input;
    qsizetype framedOffset = 0;
    if (JournalRecord::read(framed, &framedOffset))
        check(framedOffset == framed.size());
    else
        check(framedOffset == 0);
    // The same bytes framed as one valid record must decode (or be refused) cleanly.
    qsizetype start = 0;
    JournalRecord::read(
        JournalRecord::manifest(quint64(records), {{QString::fromUtf8(input.left(64)), 7}}),
        &start);
}

void webSocketMessage(const QByteArray &input)
{
    plainFrame(input);
    // LiveSession::onText: JSON object or malformed_json; then by type.
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(input, &error);
    if (error.error != QJsonParseError::NoError || !document.isObject())
        return;
    const QJsonObject message = document.object();
    const QString type = message.value(QStringLiteral("type")).toString();
    const QJsonValue ref = message.value(QStringLiteral("ref"));
    QJsonObject answer{{QStringLiteral("type"), QStringLiteral("pong")}};
    if (!ref.isUndefined())
        answer.insert(QStringLiteral("ref"), ref);
    QJsonDocument(answer).toJson(QJsonDocument::Compact);
    if (type == u"vote") {
        checkVote(RequestParser::parseBulkItem(message)); // LiveHub::castVote
    } else if (type == u"subscribe" || type == u"unsubscribe") {
        const QJsonValue poll = message.value(QStringLiteral("poll_id"));
        if (poll.isString() || poll.isDouble()) {
            const QString id =
                poll.isString() ? poll.toString() : QString::number(poll.toInteger());
            check(!Poll::isValidId(id) || id.size() <= Poll::MaxIdLength);
            check(id.left(64).size() <= 64); // what an error message quotes
        }
        const QString channel = message.value(QStringLiteral("channel")).toString();
        check(channel.isEmpty() || message.contains(QStringLiteral("channel")));
    } else {
        check(type.left(40).size() <= 40);
    }
}

void redisNodesAndRing(const QByteArray &input)
{
    const QString text = QString::fromUtf8(input);
    const Outcome<QList<Config::RedisNode>> nodes = Config::parseRedisNodes(text);
    HashRing ring(16);
    if (nodes) {
        for (const Config::RedisNode &node : nodes.value()) {
            check(!node.host.isEmpty() && !node.name.isEmpty());
            ring.addNode(node.name);
        }
    }
    if (ring.isEmpty()) {
        ring.addNode(QStringLiteral("127.0.0.1:6379"));
        ring.addNode(QStringLiteral("127.0.0.1:6380"));
    }
    // Any key maps to one of the nodes, the same one every time.
    const QString owner = ring.nodeFor(text);
    check(ring.nodes().contains(owner));
    check(ring.nodeFor(text) == owner);
    check(ring.nodes().contains(ring.nodeFor(QString::fromLatin1(input))));
}

// One connection's bytes through RequestFramer as ConnectionGuard feeds it: the verdicts
// (request lengths, refusals) must not depend on how TCP cut the stream. The first byte
// seeds the cuts; the rest is the stream.
struct Framed {
    QList<qint64> lengths;
    int refusal = 0;
};

Framed frameStream(QByteArrayView stream, quint32 seed, bool cut)
{
    constexpr qsizetype MaxHeader = 1024;
    constexpr qint64 MaxBody = 512;
    RequestFramer framer(MaxHeader, RequestHead::BodyLimits{MaxBody, "/api/v1/votes", 4 * MaxBody});
    Framed result;
    qsizetype at = 0;
    while (at < stream.size()) {
        qsizetype piece = stream.size() - at;
        if (cut) {
            seed = seed * 1103515245u + 12345u;
            piece = qMin<qsizetype>(piece, 1 + (seed >> 16) % 23);
        }
        // The guard peeks at most the head room, then counts body bytes without them.
        const QByteArrayView chunk = stream.sliced(at, piece);
        qsizetype used = 0;
        while (used < chunk.size()) {
            const RequestFramer::State before = framer.state();
            qsizetype step = 0;
            if (before == RequestFramer::State::Head) {
                const qsizetype peek = qMin(chunk.size() - used, framer.headRoom());
                check(peek > 0);
                step = framer.feed(chunk.sliced(used, peek));
                check(step <= peek);
                if (framer.state() == RequestFramer::State::Body)
                    step += qsizetype(framer.feedBody(chunk.size() - used - peek));
            } else {
                step = qsizetype(framer.feedBody(chunk.size() - used));
            }
            used += step;
            check(framer.headRoom() >= 0);
            if (framer.state() == RequestFramer::State::Complete) {
                const RequestHead &head = framer.head();
                check(!head.refusal());
                check(head.contentLength() >= 0 && head.contentLength() <= MaxBody);
                check(framer.bodyRemaining() == 0);
                result.lengths.append(framer.taken());
                framer.reset();
                continue;
            }
            if (framer.state() == RequestFramer::State::Refused) {
                const RequestHead::Refusal &refusal = framer.refusal();
                check(refusal.status >= 400 && refusal.status < 600 && !refusal.code.isEmpty());
                result.refusal = refusal.status;
                return result;
            }
            if (step == 0)
                break;
        }
        check(used == chunk.size()); // an unfinished request takes everything offered
        at += piece;
    }
    return result;
}

void framing(const QByteArray &input)
{
    if (input.isEmpty())
        return;
    const quint32 seed = uchar(input[0]);
    const QByteArrayView stream = QByteArrayView(input).sliced(1);
    const Framed whole = frameStream(stream, seed, false);
    const Framed pieces = frameStream(stream, seed, true);
    check(whole.lengths == pieces.lengths);
    check(whole.refusal == pieces.refusal);
    qint64 sum = 0;
    for (qint64 length : whole.lengths) {
        check(length > 0);
        // What the guard offers the lean path: one framed, accepted request. Taken only
        // for a hot route, with exactly the body that follows its head.
        const QByteArray request = stream.sliced(sum, length).toByteArray();
        if (const std::optional<LeanRequest> lean = LeanRequest::parse(request, "/api/v1")) {
            using Method = LeanRequest::Method;
            check(lean->method() == Method::Post || lean->method() == Method::Get ||
                  lean->method() == Method::Head);
            check(lean->path().startsWith("/api/v1/") && !lean->path().contains('%'));
            check(QByteArrayView(request).endsWith(lean->body()));
            check(lean->body().size() + lean->path().size() < request.size());
        }
        sum += length;
    }
    check(sum <= stream.size());
}

void head(const QByteArray &input)
{
    const RequestHead parsed = RequestHead::parse(input, 16384);
    if (parsed.refusal()) {
        check(parsed.refusal().status >= 400 && !parsed.refusal().message.isEmpty());
        return;
    }
    check(parsed.contentLength() >= 0 && parsed.contentLength() <= 16384);
    check(!parsed.isWebSocketHandshake() || parsed.contentLength() == 0);
    check(!parsed.announceKeepAlive() || parsed.keepAlive());
}

} // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size == 0)
        return 0;
    const QByteArray input(reinterpret_cast<const char *>(data) + 1, qsizetype(size - 1));
    switch (data[0] % 10) {
    case 0:
        newPoll(input);
        break;
    case 1:
        vote(input);
        break;
    case 2:
        bulk(input);
        break;
    case 3:
        pollId(input);
        break;
    case 4:
        mediaType(input);
        break;
    case 5:
        journal(input);
        break;
    case 6:
        webSocketMessage(input);
        break;
    case 7:
        redisNodesAndRing(input);
        break;
    case 8:
        framing(input);
        break;
    case 9:
        head(input);
        break;
    }
    return 0;
}
