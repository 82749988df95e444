// Votes over the WebSocket protocol of docs/api.md ("WebSocket") against a real server
// (embedded storage): acknowledged and counted, pipelined votes answered with their ref,
// and errors that match the REST ones.
#include "livetestcase.h"
#include "livetestkit.h"
#include "rawsocket.h"

#include <QSet>

using namespace LiveKit;

class TestLiveVotes : public LiveTestCase {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void voteIsAcknowledgedAndCounted();
    void pipelinedVotesAreEachAnsweredWithTheirRef();
    void acksOfVotesCastTogetherLeaveTogether();
    void voteErrorsMatchRest();
};

void TestLiveVotes::initTestCase()
{
    startServer();
}

void TestLiveVotes::cleanupTestCase()
{
    stopServer();
}

void TestLiveVotes::voteIsAcknowledgedAndCounted()
{
    CHECKED(createPoll(str("wsvote"), {str("X"), str("Y")}));
    WsClient ws;
    CHECKED(open(ws));
    QJsonObject snapshot;
    CHECKED(subscribe(ws, str("wsvote"), &snapshot));
    QCOMPARE(snapshot.value("total").toInteger(), 0);

    ws.send(vote(str("wsvote"), str("B"), 1));
    ws.send(vote(str("wsvote"), str("B"), str("two")));
    ws.send(vote(str("wsvote"), str("A"), 3));
    QSet<QString> refs;
    for (int i = 0; i < 3; ++i) {
        const std::optional<QJsonObject> ack = ws.nextOfType(str("ack"));
        QVERIFY2(ack,
                 qPrintable(str("ack %1 missing; got %2").arg(i + 1).arg(ws.received().size())));
        QCOMPARE(ack->keys(), (QStringList{str("ref"), str("type")}));
        refs.insert(ack->value("ref").toVariant().toString());
    }
    QCOMPARE(refs, (QSet<QString>{str("1"), str("two"), str("3")}));
    QCOMPARE(ws.unreadCount(str("error")), 0);

    const HttpResponse rest = m_http->get(str("/api/v1/results/wsvote"));
    VERIFY_STATUS(rest, 200);
    QCOMPARE(rest.json.value("results").toObject(), countsJson({1, 2}));
    QCOMPARE(rest.json.value("total").toInteger(), 3);

    const std::optional<QJsonObject> pushed = ws.next(resultsWithTotal(str("wsvote"), 3));
    QVERIFY(pushed);
    QCOMPARE(pushed->value("results").toObject(), countsJson({1, 2}));
}

void TestLiveVotes::pipelinedVotesAreEachAnsweredWithTheirRef()
{
    // Votes sent without waiting arrive together and are cast together: each is answered
    // once, with its own ref, a refused one among them included, and a ping between them
    // is answered too.
    CHECKED(createPoll(str("wspipe"), {str("X"), str("Y")}));
    WsClient ws;
    CHECKED(open(ws));
    for (int i = 1; i <= 40; ++i) {
        if (i == 20)
            ws.send({{str("type"), str("ping")}, {str("ref"), str("p")}});
        ws.send(vote(str("wspipe"), i == 25 ? str("Z") : i % 2 ? str("A") : str("B"), i));
    }
    QSet<qint64> acked;
    for (int i = 0; i < 39; ++i) {
        const std::optional<QJsonObject> ack = ws.nextOfType(str("ack"));
        QVERIFY2(ack, qPrintable(str("ack %1 missing").arg(i + 1)));
        acked.insert(ack->value("ref").toInteger());
    }
    QSet<qint64> expected;
    for (int i = 1; i <= 40; ++i)
        if (i != 25)
            expected.insert(i);
    QCOMPARE(acked, expected);
    const std::optional<QJsonObject> refused = ws.nextOfType(str("error"));
    QVERIFY(refused);
    QCOMPARE(refused->value("code").toString(), str("unknown_option"));
    QCOMPARE(refused->value("ref").toInteger(), 25);
    const std::optional<QJsonObject> pong = ws.nextOfType(str("pong"));
    QVERIFY(pong);
    QCOMPARE(pong->value("ref").toString(), str("p"));
    QVERIFY(ws.sync());
    QCOMPARE(ws.unreadCount(str("ack")), 0);
    QCOMPARE(ws.unreadCount(str("error")), 0);

    const HttpResponse rest = m_http->get(str("/api/v1/results/wspipe"));
    VERIFY_STATUS(rest, 200);
    QCOMPARE(rest.json.value("results").toObject(), countsJson({19, 20}));
    QCOMPARE(rest.json.value("total").toInteger(), 39);
}

namespace {

// A client text frame, masked with a zero key (the payload stays readable).
QByteArray clientFrame(const QByteArray &text)
{
    QByteArray frame("\x81");
    if (text.size() < 126) {
        frame += char(0x80 | text.size());
    } else {
        frame += char(0x80 | 126);
        frame += char(text.size() >> 8);
        frame += char(text.size() & 0xff);
    }
    return frame + QByteArray(4, '\0') + text;
}

// The payloads of the whole unmasked server text frames in `bytes`, in order.
QList<QByteArray> serverTexts(const QByteArray &bytes)
{
    QList<QByteArray> texts;
    qsizetype at = 0;
    while (at + 2 <= bytes.size()) {
        qsizetype length = uchar(bytes[at + 1]) & 0x7f;
        qsizetype header = 2;
        if (length == 126) {
            length = (uchar(bytes[at + 2]) << 8) | uchar(bytes[at + 3]);
            header = 4;
        }
        if (at + header + length > bytes.size())
            break;
        texts.append(bytes.mid(at + header, length));
        at += header + length;
    }
    return texts;
}

} // namespace

void TestLiveVotes::acksOfVotesCastTogetherLeaveTogether()
{
    // 50 votes in one write are cast together, so their acks are ready together: they
    // leave in one write too, and the first read finds all of them. Written one by one,
    // Nagle would send the first ack alone and hold the rest until the client's ACK.
    CHECKED(createPoll(str("wsbatch"), {str("X"), str("Y")}));
    RawSocket socket;
    QVERIFY(socket.connectTo(m_server->port()));
    const RawResponse upgrade = socket.request(RawSocket::httpRequest(
        "GET", "/api/v1/ws", {},
        "Upgrade: websocket\r\nConnection: Upgrade\r\n"
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"));
    VERIFY_STATUS(upgrade, 101);
    // A first vote and its ack, so the connection has carried data both ways.
    QVERIFY(
        socket.send(clientFrame(R"({"type":"vote","poll_id":"wsbatch","option_id":"A","ref":0})")));
    QByteArray first;
    QCOMPARE(socket.waitClosed(5000, &first), RawSocket::Closed::Data);
    QCOMPARE(serverTexts(first), QList<QByteArray>{R"({"ref":0,"type":"ack"})"});

    QByteArray votes;
    QList<QByteArray> expected;
    for (int ref = 1; ref <= 50; ++ref) {
        votes += clientFrame(R"({"type":"vote","poll_id":"wsbatch","option_id":")" +
                             QByteArray(ref % 2 ? "A" : "B") + R"(","ref":)" +
                             QByteArray::number(ref) + "}");
        expected.append(R"({"ref":)" + QByteArray::number(ref) + R"(,"type":"ack"})");
    }
    QVERIFY(socket.send(votes));
    QByteArray received;
    QCOMPARE(socket.waitClosed(5000, &received), RawSocket::Closed::Data);
    QCOMPARE(serverTexts(received), expected);

    const HttpResponse rest = m_http->get(str("/api/v1/results/wsbatch"));
    VERIFY_STATUS(rest, 200);
    QCOMPARE(rest.json.value("results").toObject(), countsJson({26, 25}));
}

void TestLiveVotes::voteErrorsMatchRest()
{
    CHECKED(createPoll(str("errs"), {str("One"), str("Two")}));
    CHECKED(createPoll(str("errs-closed"), {str("One"), str("Two")}));
    VERIFY_STATUS(m_http->post(str("/api/v1/polls/errs-closed/close")), 200);

    struct Case {
        const char *name;
        QJsonValue poll;   // Undefined: no poll_id field
        QJsonValue option; // Undefined: no option_id field
        QString code;
        // POST /vote/{poll} checks the poll before the fields; a WebSocket vote is checked
        // like an item of POST /votes (fields first). They differ only when both are wrong.
        bool singleRouteAgrees = true;
    };
    const QJsonValue none(QJsonValue::Undefined);
    const QList<Case> cases = {
        {"unknown option", str("errs"), str("Z"), str("unknown_option")},
        {"closed poll", str("errs-closed"), str("A"), str("poll_closed")},
        {"closed poll, unknown option", str("errs-closed"), str("Z"), str("poll_closed")},
        {"unknown poll", str("nowhere"), str("A"), str("poll_not_found")},
        {"no option_id", str("errs"), none, str("missing_field")},
        {"null option_id", str("errs"), QJsonValue(QJsonValue::Null), str("missing_field")},
        {"option_id not a string", str("errs"), 1, str("invalid_field")},
        {"unknown poll, no option_id", str("nowhere"), none, str("missing_field"), false},
        {"no poll_id", none, str("A"), str("missing_field")},
    };

    WsClient ws;
    CHECKED(open(ws));
    for (int i = 0; i < cases.size(); ++i) {
        const Case &c = cases[i];
        ws.send(vote(c.poll, c.option, 100 + i));
        const std::optional<QJsonObject> answer =
            ws.next([i](const QJsonObject &m) { return m.value(str("ref")).toInt() == 100 + i; });
        QVERIFY2(answer, c.name);
        QVERIFY2(answer->value("type").toString() == u"error",
                 qPrintable(str("%1: %2").arg(c.name, describe(*answer))));
        QVERIFY2(answer->value("code").toString() == c.code,
                 qPrintable(str("%1: expected %2, got %3").arg(c.name, c.code, describe(*answer))));
        QVERIFY2(!answer->value("message").toString().isEmpty(), c.name);

        // The same vote as an item of POST /api/v1/votes.
        QJsonObject item = vote(c.poll, c.option, 0);
        item.remove(str("type"));
        item.remove(str("ref"));
        const HttpResponse bulk =
            m_http->postJson(str("/api/v1/votes"), {{str("votes"), QJsonArray{item}}});
        VERIFY_STATUS(bulk, 202);
        const QString bulkCode = bulk.json.value("results")
                                     .toArray()
                                     .first()
                                     .toObject()
                                     .value("error")
                                     .toObject()
                                     .value("code")
                                     .toString();
        QVERIFY2(
            bulkCode == c.code,
            qPrintable(
                str("%1: POST /votes says %2, WebSocket says %3").arg(c.name, bulkCode, c.code)));

        // The same vote on POST /api/v1/vote/{poll}, which takes the poll from the path.
        if (c.poll.isUndefined())
            continue;
        QJsonObject body;
        if (!c.option.isUndefined())
            body.insert(str("option_id"), c.option);
        const HttpResponse rest = m_http->postJson(str("/api/v1/vote/") + c.poll.toString(), body);
        if (c.singleRouteAgrees)
            QVERIFY2(rest.errorCode() == c.code,
                     qPrintable(str("%1: REST says %2, WebSocket says %3")
                                    .arg(c.name, rest.errorCode(), c.code)));
        else
            QCOMPARE(rest.errorCode(), str("poll_not_found"));
    }
    QCOMPARE(ws.unreadCount(str("ack")), 0);
    QVERIFY(ws.isConnected());

    // Nothing was counted.
    for (const QString &poll : {str("errs"), str("errs-closed")}) {
        const HttpResponse results = m_http->get(str("/api/v1/results/") + poll);
        VERIFY_STATUS(results, 200);
        QCOMPARE(results.json.value("results").toObject(), countsJson({0, 0}));
    }
}

QTEST_GUILESS_MAIN(TestLiveVotes)
#include "tst_live_votes.moc"
