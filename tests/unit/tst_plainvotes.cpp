// FlatJson and PlainVotes read the common vote bodies and messages without QJsonDocument:
// what they read must be exactly what the ordinary reading gives, and whatever they do
// not read with certainty must be left to it (nullopt).
#include "core/flatjson.h"
#include "core/plainvotes.h"
#include "http/resultreply.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

class TestPlainVotes : public QObject {
    Q_OBJECT

private slots:
    void flatObjectMembers();
    void flatObjectRefusals_data();
    void flatObjectRefusals();
    void bulkVotes();
    void bulkLeftToQt_data();
    void bulkLeftToQt();
    void voteBodiesMatchQt_data();
    void voteBodiesMatchQt();
    void voteBodiesLeftToQt_data();
    void voteBodiesLeftToQt();
    void voteFrames();
    void frameAcksMatchQt_data();
    void frameAcksMatchQt();
    void framesLeftToQt_data();
    void framesLeftToQt();
    void resultReplyMatchesQt();
};

void TestPlainVotes::flatObjectMembers()
{
    const QByteArray text = " { \"a\" :\"xy\",\"bc\":-12 ,\"d\":0}  ";
    const auto object = FlatJson::read(QByteArrayView(text), 0);
    QVERIFY(object);
    QCOMPARE(object->size, 3);
    QCOMPARE(object->end, 29);
    const auto &a = object->members[0];
    QCOMPARE(text.mid(a.keyFrom, a.keyLength), QByteArray("a"));
    QCOMPARE(a.kind, FlatJson::Kind::String);
    QCOMPARE(text.mid(a.valueFrom, a.valueLength), QByteArray("xy"));
    const auto &bc = object->members[1];
    QCOMPARE(text.mid(bc.keyFrom, bc.keyLength), QByteArray("bc"));
    QCOMPARE(bc.kind, FlatJson::Kind::Integer);
    QCOMPARE(text.mid(bc.valueFrom, bc.valueLength), QByteArray("-12"));
    QCOMPARE(text.mid(object->members[2].valueFrom, object->members[2].valueLength),
             QByteArray("0"));
    QCOMPARE(FlatJson::skipSpace(QByteArrayView(text), object->end), text.size());

    const QString utf16 = QStringLiteral("{\"k\":\"v\"}");
    const auto same = FlatJson::read(QStringView(utf16), 0);
    QVERIFY(same);
    QCOMPARE(same->size, 1);
    QCOMPARE(same->end, 9);
    QCOMPARE(FlatJson::read(QByteArrayView("{}"), 0)->size, 0);
}

void TestPlainVotes::flatObjectRefusals_data()
{
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("escape") << QByteArray(R"({"a":"x\"y"})");
    QTest::newRow("escaped key") << QByteArray(R"({"\u0061":"x"})");
    QTest::newRow("control") << QByteArray("{\"a\":\"x\ty\"}");
    QTest::newRow("non-ASCII") << QByteArray("{\"a\":\"K\xc3\xa4se\"}");
    QTest::newRow("delete") << QByteArray("{\"a\":\"\x7f\"}");
    QTest::newRow("nested") << QByteArray(R"({"a":{"b":"c"}})");
    QTest::newRow("array") << QByteArray(R"({"a":["b"]})");
    QTest::newRow("fraction") << QByteArray(R"({"a":1.5})");
    QTest::newRow("exponent") << QByteArray(R"({"a":1e3})");
    QTest::newRow("leading zero") << QByteArray(R"({"a":01})");
    QTest::newRow("minus zero") << QByteArray(R"({"a":-0})");
    QTest::newRow("16 digits") << QByteArray(R"({"a":1234567890123456})");
    QTest::newRow("null") << QByteArray(R"({"a":null})");
    QTest::newRow("true") << QByteArray(R"({"a":true})");
    QTest::newRow("trailing comma") << QByteArray(R"({"a":"b",})");
    QTest::newRow("no colon") << QByteArray(R"({"a" "b"})");
    QTest::newRow("unterminated") << QByteArray(R"({"a":"b")");
    QTest::newRow("not an object") << QByteArray(R"(["a"])");
    QTest::newRow("nine members") << QByteArray(
        R"({"a":1,"b":2,"c":3,"d":4,"e":5,"f":6,"g":7,"h":8,"i":9})");
}

void TestPlainVotes::flatObjectRefusals()
{
    QFETCH(QByteArray, text);
    QVERIFY(!FlatJson::read(QByteArrayView(text), 0));
    QVERIFY(!FlatJson::read(QStringView(QString::fromUtf8(text)), 0));
}

void TestPlainVotes::bulkVotes()
{
    const QByteArray body = R"( {"votes": [ {"poll_id":"7","option_id":"A"},
        {"option_id":"C","voter_id":"v-9","poll_id":"poll-12"}, {"poll_id":"","option_id":"Z"} ] } )";
    const auto votes = PlainVotes::bulk(body, 1000);
    QVERIFY(votes);
    QCOMPARE(votes->size(), 3);
    QCOMPARE(votes->at(0).value().pollId, QStringLiteral("7"));
    QCOMPARE(votes->at(0).value().optionId, QStringLiteral("A"));
    QCOMPARE(votes->at(0).value().voterId, QString());
    QCOMPARE(votes->at(1).value().pollId, QStringLiteral("poll-12"));
    QCOMPARE(votes->at(1).value().optionId, QStringLiteral("C"));
    QCOMPARE(votes->at(1).value().voterId, QStringLiteral("v-9"));
    QVERIFY(votes->at(1).value().optionIds.isEmpty());
    QCOMPARE(votes->at(2).value().pollId, QString()); // judged later, as Qt's reading is
    QCOMPARE(votes->at(2).value().optionId, QStringLiteral("Z"));
    // The ordinary reading of the same body gives the same votes.
    const QJsonArray array = RequestParser::parseObject(body).value().value("votes").toArray();
    for (qsizetype i = 0; i < array.size(); ++i) {
        const VoteRequest ordinary = RequestParser::parseBulkItem(array.at(i)).value();
        QCOMPARE(votes->at(i).value().pollId, ordinary.pollId);
        QCOMPARE(votes->at(i).value().optionId, ordinary.optionId);
        QCOMPARE(votes->at(i).value().voterId, ordinary.voterId);
    }
    QCOMPARE(PlainVotes::bulk(R"({"votes":[]})", 1000)->size(), 0);
    QCOMPARE(PlainVotes::bulk(R"({"votes":[{"poll_id":"1","option_id":"A"},)"
                              R"({"poll_id":"2","option_id":"B"}]})",
                              2)
                 ->size(),
             2);
    const QByteArray longest = R"({"votes":[{"poll_id":"1","option_id":"A","voter_id":")" +
                               QByteArray(128, 'v') + R"("}]})";
    QCOMPARE(PlainVotes::bulk(longest, 1000)->at(0).value().voterId.size(), 128);
}

void TestPlainVotes::bulkLeftToQt_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("too many") << QByteArray(R"({"votes":[{"poll_id":"1","option_id":"A"},)"
                                            R"({"poll_id":"1","option_id":"A"},)"
                                            R"({"poll_id":"1","option_id":"A"}]})");
    QTest::newRow("other member") << QByteArray(
        R"({"votes":[{"poll_id":"1","option_id":"A"}],"x":1})");
    QTest::newRow("member before votes")
        << QByteArray(R"({"x":1,"votes":[{"poll_id":"1","option_id":"A"}]})");
    QTest::newRow("unknown item member")
        << QByteArray(R"({"votes":[{"poll_id":"1","option_id":"A","x":"y"}]})");
    QTest::newRow("repeated item member")
        << QByteArray(R"({"votes":[{"poll_id":"1","option_id":"A","option_id":"B"}]})");
    QTest::newRow("numeric poll id") << QByteArray(R"({"votes":[{"poll_id":1,"option_id":"A"}]})");
    QTest::newRow("no option") << QByteArray(R"({"votes":[{"poll_id":"1"}]})");
    QTest::newRow("no poll") << QByteArray(R"({"votes":[{"option_id":"A"}]})");
    QTest::newRow("option ids") << QByteArray(
        R"({"votes":[{"poll_id":"1","option_ids":["A","B"]}]})");
    QTest::newRow("voter id too long")
        << QByteArray(R"({"votes":[{"poll_id":"1","option_id":"A","voter_id":")" +
                      QByteArray(129, 'v') + R"("}]})");
    QTest::newRow("item not an object") << QByteArray(R"({"votes":["1"]})");
    QTest::newRow("trailing garbage")
        << QByteArray(R"({"votes":[{"poll_id":"1","option_id":"A"}]}x)");
    QTest::newRow("trailing comma in array")
        << QByteArray(R"({"votes":[{"poll_id":"1","option_id":"A"},]})");
    QTest::newRow("escaped option")
        << QByteArray(R"({"votes":[{"poll_id":"1","option_id":"\u0041"}]})");
    QTest::newRow("votes not an array") << QByteArray(R"({"votes":{}})");
    QTest::newRow("byte order mark") << QByteArray("\xef\xbb\xbf{\"votes\":[]}");
}

void TestPlainVotes::bulkLeftToQt()
{
    QFETCH(QByteArray, body);
    QVERIFY(!PlainVotes::bulk(body, 2));
}

void TestPlainVotes::voteBodiesMatchQt_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("option");
    QTest::addColumn<QString>("voter");
    QTest::newRow("option") << QByteArray(R"({"option_id":"A"})") << "A"
                            << "";
    QTest::newRow("spaces") << QByteArray(" {\n \"option_id\" : \"B\" } \r\n") << "B"
                            << "";
    QTest::newRow("voter") << QByteArray(R"({"voter_id":"v-1","option_id":"C"})") << "C"
                           << "v-1";
    QTest::newRow("empty voter") << QByteArray(R"({"option_id":"A","voter_id":""})") << "A"
                                 << "";
    QTest::newRow("unknown option") << QByteArray(R"({"option_id":"zz"})") << "zz"
                                    << "";
    QTest::newRow("longest voter")
        << QByteArray(R"({"option_id":"A","voter_id":")" + QByteArray(128, 'v') + R"("})") << "A"
        << QString(128, u'v');
}

void TestPlainVotes::voteBodiesMatchQt()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, option);
    QFETCH(QString, voter);
    const std::optional<VoteRequest> plain = PlainVotes::vote(body, QStringLiteral("p-7"));
    QVERIFY(plain);
    QCOMPARE(plain->pollId, QStringLiteral("p-7"));
    QCOMPARE(plain->optionId, option);
    QCOMPARE(plain->voterId, voter);
    QVERIFY(plain->optionIds.isEmpty());
    const VoteRequest ordinary =
        RequestParser::parseVote(QStringLiteral("p-7"), RequestParser::parseObject(body).value())
            .value();
    QCOMPARE(plain->pollId, ordinary.pollId);
    QCOMPARE(plain->optionId, ordinary.optionId);
    QCOMPARE(plain->voterId, ordinary.voterId);
    QCOMPARE(plain->optionIds, ordinary.optionIds);
}

void TestPlainVotes::voteBodiesLeftToQt_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::newRow("no option") << QByteArray(R"({})");
    QTest::newRow("only a voter") << QByteArray(R"({"voter_id":"v"})");
    QTest::newRow("option ids") << QByteArray(R"({"option_ids":["A","B"]})");
    QTest::newRow("both") << QByteArray(R"({"option_id":"A","option_ids":["B"]})");
    QTest::newRow("numeric option") << QByteArray(R"({"option_id":1})");
    QTest::newRow("null option") << QByteArray(R"({"option_id":null})");
    QTest::newRow("repeated option") << QByteArray(R"({"option_id":"A","option_id":"B"})");
    QTest::newRow("poll in the body") << QByteArray(R"({"poll_id":"9","option_id":"A"})");
    QTest::newRow("unknown member") << QByteArray(R"({"option_id":"A","extra":"x"})");
    QTest::newRow("numeric voter") << QByteArray(R"({"option_id":"A","voter_id":7})");
    QTest::newRow("voter id too long")
        << QByteArray(R"({"option_id":"A","voter_id":")" + QByteArray(129, 'v') + R"("})");
    QTest::newRow("escaped option") << QByteArray(R"({"option_id":"\u0041"})");
    QTest::newRow("trailing garbage") << QByteArray(R"({"option_id":"A"}x)");
    QTest::newRow("two objects") << QByteArray(R"({"option_id":"A"}{"option_id":"B"})");
    QTest::newRow("not an object") << QByteArray(R"(["A"])");
    QTest::newRow("empty") << QByteArray();
    QTest::newRow("byte order mark") << QByteArray("\xef\xbb\xbf{\"option_id\":\"A\"}");
}

void TestPlainVotes::voteBodiesLeftToQt()
{
    QFETCH(QByteArray, body);
    QVERIFY(!PlainVotes::vote(body, QStringLiteral("p-7")));
}

void TestPlainVotes::voteFrames()
{
    const auto frame = PlainVotes::voteFrame(
        QStringLiteral(R"({"type":"vote","poll_id":"7","option_id":"B","voter_id":"v","ref":42})"));
    QVERIFY(frame);
    QCOMPARE(frame->vote.pollId, QStringLiteral("7"));
    QCOMPARE(frame->vote.optionId, QStringLiteral("B"));
    QCOMPARE(frame->vote.voterId, QStringLiteral("v"));
    QCOMPARE(frame->ref, QJsonValue(42));
    QCOMPARE(frame->refJson, QByteArray("42"));
    QCOMPARE(PlainVotes::ack(*frame), QByteArray(R"({"ref":42,"type":"ack"})"));

    const auto noRef =
        PlainVotes::voteFrame(QStringLiteral(R"( {"option_id":"A","poll_id":"p","type":"vote"} )"));
    QVERIFY(noRef);
    QVERIFY(noRef->ref.isUndefined());
    QCOMPARE(PlainVotes::ack(*noRef), QByteArray(R"({"type":"ack"})"));
}

void TestPlainVotes::frameAcksMatchQt_data()
{
    QTest::addColumn<QString>("message");
    QTest::newRow("integer ref") << QStringLiteral(
        R"({"type":"vote","poll_id":"1","option_id":"A","ref":7})");
    QTest::newRow("negative ref") << QStringLiteral(
        R"({"type":"vote","poll_id":"1","option_id":"A","ref":-31})");
    QTest::newRow("15 digits") << QStringLiteral(
        R"({"type":"vote","poll_id":"1","option_id":"A","ref":999999999999999})");
    QTest::newRow("string ref") << QStringLiteral(
        R"({"type":"vote","poll_id":"1","option_id":"A","ref":"a/b c"})");
    QTest::newRow("no ref") << QStringLiteral(R"({"type":"vote","poll_id":"1","option_id":"A"})");
}

void TestPlainVotes::frameAcksMatchQt()
{
    // What LiveSession answers a vote read the ordinary way.
    QFETCH(QString, message);
    const auto frame = PlainVotes::voteFrame(message);
    QVERIFY(frame);
    const QJsonObject parsed = QJsonDocument::fromJson(message.toUtf8()).object();
    const QJsonValue ref = parsed.value(QStringLiteral("ref"));
    QCOMPARE(frame->ref, ref);
    const QJsonObject ack{{QStringLiteral("type"), QStringLiteral("ack")},
                          {QStringLiteral("ref"), ref}};
    QCOMPARE(PlainVotes::ack(*frame), QJsonDocument(ack).toJson(QJsonDocument::Compact));
    const VoteRequest ordinary = RequestParser::parseBulkItem(parsed).value();
    QCOMPARE(frame->vote.pollId, ordinary.pollId);
    QCOMPARE(frame->vote.optionId, ordinary.optionId);
}

void TestPlainVotes::framesLeftToQt_data()
{
    QTest::addColumn<QString>("message");
    QTest::newRow("ping") << QStringLiteral(R"({"type":"ping","ref":1})");
    QTest::newRow("subscribe") << QStringLiteral(R"({"type":"subscribe","poll_id":"1"})");
    QTest::newRow("no type") << QStringLiteral(R"({"poll_id":"1","option_id":"A"})");
    QTest::newRow("numeric type") << QStringLiteral(R"({"type":1,"poll_id":"1","option_id":"A"})");
    QTest::newRow("no option") << QStringLiteral(R"({"type":"vote","poll_id":"1","ref":2})");
    QTest::newRow("null ref") << QStringLiteral(
        R"({"type":"vote","poll_id":"1","option_id":"A","ref":null})");
    QTest::newRow("fraction ref") << QStringLiteral(
        R"({"type":"vote","poll_id":"1","option_id":"A","ref":1.5})");
    QTest::newRow("repeated type")
        << QStringLiteral(R"({"type":"vote","type":"vote","poll_id":"1","option_id":"A"})");
    QTest::newRow("numeric poll") << QStringLiteral(
        R"({"type":"vote","poll_id":1,"option_id":"A"})");
    QTest::newRow("unknown member")
        << QStringLiteral(R"({"type":"vote","poll_id":"1","option_id":"A","x":"y"})");
    QTest::newRow("non-ASCII voter")
        << QStringLiteral(R"({"type":"vote","poll_id":"1","option_id":"A","voter_id":"ä"})");
    QTest::newRow("trailing garbage")
        << QStringLiteral(R"({"type":"vote","poll_id":"1","option_id":"A"}])");
    QTest::newRow("two objects") << QStringLiteral(
        R"({"type":"vote","poll_id":"1","option_id":"A"}{})");
}

void TestPlainVotes::framesLeftToQt()
{
    QFETCH(QString, message);
    QVERIFY(!PlainVotes::voteFrame(message));
}

void TestPlainVotes::resultReplyMatchesQt()
{
    const ResultService::Results single{{5, 0, 12}, 4, QStringLiteral("app_cache"), -1};
    QCOMPARE(ResultReply::encode(QStringLiteral("7"), single),
             QByteArray(R"({"poll_id":"7","results":{"A":5,"B":0,"C":12,"D":0},)"
                        R"("served_via":"app_cache","total":17,"voters":17})"));
    QCOMPARE(ResultReply::encode(QStringLiteral("7"), single),
             QJsonDocument(ResultService::json(QStringLiteral("7"), single))
                 .toJson(QJsonDocument::Compact));
    const ResultService::Results multiple{
        {3000000000LL, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10, QStringLiteral("redis:shard \"0\""), 42};
    QCOMPARE(ResultReply::encode(QStringLiteral("Käse"), multiple),
             QJsonDocument(ResultService::json(QStringLiteral("Käse"), multiple))
                 .toJson(QJsonDocument::Compact));
    // Plain ids and sources take the measured path: the same bytes for every shape.
    const QList<QPair<QString, ResultService::Results>> plain = {
        {QStringLiteral("poll-12"),
         {{3000000000LL, 1, 2, 3, 4, 5, 6, 7, 8, 9}, 10, QStringLiteral("pending_merge"), 42}},
        {QStringLiteral("x"), {{}, 2, QStringLiteral("storage"), -1}},
        {QStringLiteral("empty"), {{}, 0, QStringLiteral("app_cache"), 0}},
        {QStringLiteral("~a.b_c-9"), {{7}, 3, QStringLiteral("redis:shard-1"), 5}},
        {QString(), {{1, 2}, 2, QString(), -1}}};
    for (const auto &[id, results] : plain)
        QCOMPARE(ResultReply::encode(id, results),
                 QJsonDocument(ResultService::json(id, results)).toJson(QJsonDocument::Compact));
}

QTEST_GUILESS_MAIN(TestPlainVotes)
#include "tst_plainvotes.moc"
