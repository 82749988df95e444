// The poll features end to end against the real binary, each on embedded shards and on
// a Redis node: several choices, hidden results, reset, timed close and export, over
// REST single votes, bulk votes and WebSocket votes.
#include "csvreader.h"
#include "httpclient.h"
#include "redisnode.h"
#include "shardtestkit.h"
#include "tallyprocess.h"
#include "wsclient.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>
#include <memory>

namespace {

const QByteArray Token = QByteArrayLiteral("poll-features-token");
const HttpHeaders Admin{{QByteArrayLiteral("Authorization"), "Bearer " + Token}};
// What a visitor looks like behind a proxy: not an administrator.
const HttpHeaders Visitor{{QByteArrayLiteral("X-Forwarded-For"), QByteArrayLiteral("203.0.113.9")}};

QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QByteArray choices(const QStringList &options)
{
    return json({{QStringLiteral("option_ids"), QJsonArray::fromStringList(options)}});
}

QByteArray single(const QString &option)
{
    return json({{QStringLiteral("option_id"), option}});
}

QJsonObject resultsOf(const HttpResponse &response)
{
    return response.json.value(QStringLiteral("results")).toObject();
}

QJsonObject counts(std::initializer_list<std::pair<const char *, int>> values)
{
    QJsonObject object;
    for (const auto &[option, votes] : values)
        object.insert(QString::fromLatin1(option), votes);
    return object;
}

QString inSeconds(int seconds)
{
    return QDateTime::currentDateTimeUtc().addSecs(seconds).toString(Qt::ISODate);
}

} // namespace

class TestPollFeatures : public QObject {
    Q_OBJECT

private:
    // A server with the admin token, on embedded shards or on `node` when `redis`.
    std::unique_ptr<TallyProcess> startServer(bool redis, RedisNode &node,
                                              const QStringList &extra = {},
                                              const QString &dataDir = {});
    void createPoll(HttpClient &client, const QJsonObject &body);

private Q_SLOTS:
    void multipleChoice_data();
    void multipleChoice();
    void createValidation_data();
    void createValidation();
    void hiddenResults_data();
    void hiddenResults();
    void reset_data();
    void reset();
    void resetSurvivesKill_data();
    void resetSurvivesKill();
    void timedClose_data();
    void timedClose();
    void exportCsvAndJson_data();
    void exportCsvAndJson();
};

std::unique_ptr<TallyProcess> TestPollFeatures::startServer(bool redis, RedisNode &node,
                                                            const QStringList &extra,
                                                            const QString &dataDir)
{
    QStringList args{QStringLiteral("--admin-token"), QString::fromLatin1(Token)};
    if (redis) {
        if (!node.isRunning() && !node.start())
            return nullptr;
        args += redisArgs({&node});
    }
    auto tally = std::make_unique<TallyProcess>(args + extra, dataDir);
    if (!tally->start()) {
        qWarning("%s", qPrintable(tally->diagnostics()));
        return nullptr;
    }
    return tally;
}

void TestPollFeatures::createPoll(HttpClient &client, const QJsonObject &body)
{
    const HttpResponse created = client.postJson(Api + QStringLiteral("/polls"), body, Admin);
    VERIFY_STATUS(created, 201);
}

#define BACKENDS()                                                                                 \
    QTest::addColumn<bool>("redis");                                                               \
    QTest::newRow("embedded") << false;                                                            \
    QTest::newRow("redis") << true

void TestPollFeatures::multipleChoice_data()
{
    BACKENDS();
}

void TestPollFeatures::multipleChoice()
{
    QFETCH(bool, redis);
    RedisNode node;
    const auto tally = startServer(redis, node);
    QVERIFY(tally);
    HttpClient client(tally->url());
    QJsonObject body =
        pollBody(QStringLiteral("multi"),
                 {QStringLiteral("Red"), QStringLiteral("Green"), QStringLiteral("Blue")});
    body.insert(QStringLiteral("max_choices"), 2);
    QVERIFY(!QTest::currentTestFailed());
    createPoll(client, body);
    if (QTest::currentTestFailed())
        return;
    createPoll(client,
               pollBody(QStringLiteral("one"), {QStringLiteral("Yes"), QStringLiteral("No")}));
    if (QTest::currentTestFailed())
        return;
    const QString vote = Api + QStringLiteral("/vote/multi");

    // REST: several choices, and an old client's single choice.
    HttpResponse answer = client.post(vote, choices({QStringLiteral("A"), QStringLiteral("C")}));
    VERIFY_STATUS(answer, 202);
    QCOMPARE(answer.json.value("option_ids").toArray(),
             QJsonArray({QStringLiteral("A"), QStringLiteral("C")}));
    answer = client.post(vote, single(QStringLiteral("B")));
    VERIFY_STATUS(answer, 202);
    QCOMPARE(answer.json.value("option_id").toString(), QStringLiteral("B"));
    QVERIFY(!answer.json.contains("option_ids"));

    // Bulk: both forms in one request.
    const QJsonArray items{
        QJsonObject{{"poll_id", "multi"}, {"option_ids", QJsonArray{"B", "C"}}},
        QJsonObject{{"poll_id", "multi"}, {"option_id", "A"}},
        QJsonObject{{"poll_id", "multi"}, {"option_ids", QJsonArray{"A", "B", "C"}}}};
    answer = client.postJson(Api + QStringLiteral("/votes"), {{"votes", items}});
    VERIFY_STATUS(answer, 202);
    QCOMPARE(answer.json.value("accepted").toInt(), 2);
    const QJsonArray bulkResults = answer.json.value("results").toArray();
    QCOMPARE(bulkResults.at(2).toObject().value("error").toObject().value("code").toString(),
             QStringLiteral("too_many_choices"));

    // WebSocket.
    WsClient ws;
    QUrl wsUrl = tally->url();
    wsUrl.setScheme(QStringLiteral("ws"));
    wsUrl.setPath(Api + QStringLiteral("/ws"));
    QVERIFY(ws.open(wsUrl));
    ws.send(
        {{"type", "vote"}, {"poll_id", "multi"}, {"option_ids", QJsonArray{"A", "B"}}, {"ref", 1}});
    const std::optional<QJsonObject> ack = ws.nextOfType(QStringLiteral("ack"));
    QVERIFY(ack);
    QCOMPARE(ack->value("ref").toInt(), 1);
    ws.send(
        {{"type", "vote"}, {"poll_id", "multi"}, {"option_ids", QJsonArray{"A", "A"}}, {"ref", 2}});
    const std::optional<QJsonObject> refused = ws.nextOfType(QStringLiteral("error"));
    QVERIFY(refused);
    QCOMPARE(refused->value("code").toString(), QStringLiteral("duplicate_option"));

    // Every refusal is a clear 422.
    const QList<std::pair<QByteArray, QString>> bad{
        {choices({QStringLiteral("A"), QStringLiteral("B"), QStringLiteral("C")}),
         QStringLiteral("too_many_choices")},
        {choices({QStringLiteral("B"), QStringLiteral("B")}), QStringLiteral("duplicate_option")},
        {choices({QStringLiteral("A"), QStringLiteral("Z")}), QStringLiteral("unknown_option")},
        {choices({}), QStringLiteral("invalid_field")},
        {json({{"option_ids", "A"}}), QStringLiteral("invalid_field")},
        {json({{"option_id", "A"}, {"option_ids", QJsonArray{"B"}}}),
         QStringLiteral("invalid_field")}};
    for (const auto &[request, code] : bad) {
        answer = client.post(vote, request);
        QVERIFY2(answer.status == 422 && answer.errorCode() == code, qPrintable(answer.describe()));
    }

    // A single-choice poll takes a one-element option_ids, and no more.
    VERIFY_STATUS(client.post(Api + QStringLiteral("/vote/one"), choices({QStringLiteral("B")})),
                  202);
    answer = client.post(Api + QStringLiteral("/vote/one"),
                         choices({QStringLiteral("A"), QStringLiteral("B")}));
    QVERIFY2(answer.status == 422 && answer.errorCode() == u"too_many_choices",
             qPrintable(answer.describe()));

    // A: 1 + 1 + 1, B: 1 + 1 + 1, C: 1 + 1 from five votes.
    HttpResponse results = client.get(Api + QStringLiteral("/results/multi"));
    VERIFY_STATUS(results, 200);
    QCOMPARE(resultsOf(results), counts({{"A", 3}, {"B", 3}, {"C", 2}}));
    QCOMPARE(results.json.value("total").toInt(), 8);
    QCOMPARE(results.json.value("voters").toInt(), 5);
    results = client.get(Api + QStringLiteral("/results/one"));
    QCOMPARE(results.json.value("total").toInt(), 1);
    QCOMPARE(results.json.value("voters").toInt(), 1);

    // The same once everything is stored and read back from the shard after a restart.
    const QString dataDir = tally->dataDir();
    QCOMPARE(tally->stop(), 0);
    const auto again = startServer(redis, node, {}, dataDir);
    QVERIFY(again);
    HttpClient client2(again->url());
    results = client2.get(Api + QStringLiteral("/results/multi"));
    QCOMPARE(resultsOf(results), counts({{"A", 3}, {"B", 3}, {"C", 2}}));
    QCOMPARE(results.json.value("voters").toInt(), 5);
    QCOMPARE(client2.get(Api + QStringLiteral("/polls/multi")).json.value("max_choices").toInt(),
             2);
}

void TestPollFeatures::createValidation_data()
{
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<QString>("code");
    const QByteArray base = R"("question":"Q?","options":["a","b","c"])";
    QTest::newRow("max_choices 0") << "{" + base + R"(,"max_choices":0})"
                                   << "invalid_max_choices";
    QTest::newRow("max_choices above options") << "{" + base + R"(,"max_choices":4})"
                                               << "invalid_max_choices";
    QTest::newRow("max_choices fraction") << "{" + base + R"(,"max_choices":1.5})"
                                          << "invalid_field";
    QTest::newRow("max_choices text") << "{" + base + R"(,"max_choices":"2"})"
                                      << "invalid_field";
    QTest::newRow("visibility unknown") << "{" + base + R"(,"results_visibility":"later"})"
                                        << "invalid_results_visibility";
    QTest::newRow("visibility not text") << "{" + base + R"(,"results_visibility":true})"
                                         << "invalid_field";
    QTest::newRow("closes_at not a time") << "{" + base + R"(,"closes_at":"tomorrow"})"
                                          << "invalid_timestamp";
    QTest::newRow("closes_at without zone") << "{" + base + R"(,"closes_at":"2099-01-01T10:00:00"})"
                                            << "invalid_timestamp";
    QTest::newRow("closes_at in the past") << "{" + base + R"(,"closes_at":"2001-01-01T10:00:00Z"})"
                                           << "closes_at_in_past";
}

void TestPollFeatures::createValidation()
{
    QFETCH(QByteArray, body);
    QFETCH(QString, code);
    RedisNode unused;
    const auto tally = startServer(false, unused);
    QVERIFY(tally);
    HttpClient client(tally->url());
    const HttpResponse answer = client.post(Api + QStringLiteral("/polls"), body, Admin);
    QVERIFY2(answer.status == 422 && answer.errorCode() == code, qPrintable(answer.describe()));
    VERIFY_STATUS(client.get(QStringLiteral("/health")), 200);
}

void TestPollFeatures::hiddenResults_data()
{
    BACKENDS();
}

void TestPollFeatures::hiddenResults()
{
    QFETCH(bool, redis);
    RedisNode node;
    const auto tally = startServer(redis, node);
    QVERIFY(tally);
    HttpClient client(tally->url());
    QJsonObject hidden =
        pollBody(QStringLiteral("secret"), {QStringLiteral("a"), QStringLiteral("b")});
    hidden.insert(QStringLiteral("results_visibility"), QStringLiteral("hidden"));
    createPoll(client, hidden);
    QJsonObject later =
        pollBody(QStringLiteral("later"), {QStringLiteral("a"), QStringLiteral("b")});
    later.insert(QStringLiteral("results_visibility"), QStringLiteral("after_close"));
    createPoll(client, later);
    if (QTest::currentTestFailed())
        return;

    WsClient ws;
    QUrl wsUrl = tally->url();
    wsUrl.setScheme(QStringLiteral("ws"));
    wsUrl.setPath(Api + QStringLiteral("/ws"));
    QVERIFY(ws.open(wsUrl));
    ws.send({{"type", "subscribe"}, {"poll_id", "secret"}});
    ws.send({{"type", "subscribe"}, {"poll_id", "later"}});
    for (const char *poll : {"secret", "later"}) {
        const auto message = ws.next([&](const QJsonObject &m) {
            return m.value("poll_id").toString() == QLatin1String(poll);
        });
        QVERIFY(message);
        QCOMPARE(*message,
                 (QJsonObject{{"type", "results_hidden"}, {"poll_id", QLatin1String(poll)}}));
    }
    for (int i = 0; i < 3; ++i)
        VERIFY_STATUS(
            client.post(Api + QStringLiteral("/vote/secret"), single(QStringLiteral("B"))), 202);
    VERIFY_STATUS(client.post(Api + QStringLiteral("/vote/later"), single(QStringLiteral("A"))),
                  202);

    // Visitors: 403; the administrator: the counts.
    HttpResponse answer = client.get(Api + QStringLiteral("/results/secret"), Visitor);
    QVERIFY2(answer.status == 403 && answer.errorCode() == u"results_hidden",
             qPrintable(answer.describe()));
    answer = client.get(Api + QStringLiteral("/results/later"), Visitor);
    QVERIFY2(answer.status == 403 && answer.errorCode() == u"results_hidden",
             qPrintable(answer.describe()));
    answer = client.get(Api + QStringLiteral("/results/secret"), Admin);
    VERIFY_STATUS(answer, 200);
    QCOMPARE(resultsOf(answer), counts({{"A", 0}, {"B", 3}}));
    // Subscribers saw no counts meanwhile.
    QVERIFY(ws.sync());
    QCOMPARE(ws.unreadCount(QStringLiteral("results")), 0);

    // Revealing sets "always" and sends every subscriber the counts at once.
    VERIFY_STATUS(client.post(Api + QStringLiteral("/polls/secret/reveal"), {}, Visitor), 401);
    answer = client.post(Api + QStringLiteral("/polls/secret/reveal"), {}, Admin);
    VERIFY_STATUS(answer, 200);
    QCOMPARE(answer.json.value("results_visibility").toString(), QStringLiteral("always"));
    auto snapshot = ws.next([](const QJsonObject &m) {
        return m.value("type").toString() == u"results" &&
               m.value("poll_id").toString() == u"secret";
    });
    QVERIFY(snapshot);
    QCOMPARE(snapshot->value("results").toObject(), counts({{"A", 0}, {"B", 3}}));
    answer = client.get(Api + QStringLiteral("/results/secret"), Visitor);
    VERIFY_STATUS(answer, 200);
    QCOMPARE(answer.json.value("total").toInt(), 3);

    // after_close: visible once closed.
    VERIFY_STATUS(client.post(Api + QStringLiteral("/polls/later/close"), {}, Admin), 200);
    snapshot = ws.next([](const QJsonObject &m) {
        return m.value("type").toString() == u"results" &&
               m.value("poll_id").toString() == u"later";
    });
    QVERIFY(snapshot);
    QCOMPARE(snapshot->value("results").toObject(), counts({{"A", 1}, {"B", 0}}));
    VERIFY_STATUS(client.get(Api + QStringLiteral("/results/later"), Visitor), 200);
    VERIFY_STATUS(client.post(Api + QStringLiteral("/polls/nope/reveal"), {}, Admin), 404);
}

void TestPollFeatures::reset_data()
{
    BACKENDS();
}

void TestPollFeatures::reset()
{
    QFETCH(bool, redis);
    RedisNode node;
    const auto tally = startServer(redis, node);
    QVERIFY(tally);
    HttpClient client(tally->url());
    QJsonObject body = pollBody(QStringLiteral("again"),
                                {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")});
    body.insert(QStringLiteral("max_choices"), 3);
    createPoll(client, body);
    QJsonObject once = pollBody(QStringLiteral("once"), {QStringLiteral("a"), QStringLiteral("b")});
    once.insert(QStringLiteral("one_vote_per_voter"), true);
    createPoll(client, once);
    if (QTest::currentTestFailed())
        return;
    WsClient ws;
    QUrl wsUrl = tally->url();
    wsUrl.setScheme(QStringLiteral("ws"));
    wsUrl.setPath(Api + QStringLiteral("/ws"));
    QVERIFY(ws.open(wsUrl));
    ws.send({{"type", "subscribe"}, {"poll_id", "again"}});

    // Votes by every transport, some stored, some still buffered.
    for (int i = 0; i < 4; ++i)
        VERIFY_STATUS(client.post(Api + QStringLiteral("/vote/again"),
                                  choices({QStringLiteral("A"), QStringLiteral("B")})),
                      202);
    VERIFY_STATUS(client.postJson(Api + QStringLiteral("/votes"),
                                  {{"votes", QJsonArray{QJsonObject{{"poll_id", "again"},
                                                                    {"option_id", "C"}}}}}),
                  202);
    ws.send({{"type", "vote"}, {"poll_id", "again"}, {"option_id", "C"}, {"ref", 7}});
    QVERIFY(ws.nextOfType(QStringLiteral("ack")));
    const HttpHeaders voter{{QByteArrayLiteral("X-Voter-Id"), QByteArrayLiteral("ada")}};
    VERIFY_STATUS(
        client.post(Api + QStringLiteral("/vote/once"), single(QStringLiteral("A")), voter), 202);
    VERIFY_STATUS(
        client.post(Api + QStringLiteral("/vote/once"), single(QStringLiteral("B")), voter), 409);
    HttpResponse results = client.get(Api + QStringLiteral("/results/again"));
    QCOMPARE(results.json.value("voters").toInt(), 6);

    VERIFY_STATUS(client.post(Api + QStringLiteral("/polls/again/reset"), {}, Visitor), 401);
    const QDateTime before = QDateTime::currentDateTimeUtc().addMSecs(-5);
    HttpResponse answer = client.post(Api + QStringLiteral("/polls/again/reset"), {}, Admin);
    VERIFY_STATUS(answer, 200);
    const QDateTime resetAt =
        QDateTime::fromString(answer.json.value("reset_at").toString(), Qt::ISODateWithMs);
    QVERIFY2(resetAt.isValid() && resetAt >= before, qPrintable(answer.describe()));
    QCOMPARE(answer.json.value("resets").toInt(), 1);
    QCOMPARE(client.get(Api + QStringLiteral("/polls/again")).json.value("reset_at").toString(),
             answer.json.value("reset_at").toString());

    results = client.get(Api + QStringLiteral("/results/again"));
    QCOMPARE(resultsOf(results), counts({{"A", 0}, {"B", 0}, {"C", 0}}));
    QCOMPARE(results.json.value("voters").toInt(), 0);
    auto zero = ws.next([](const QJsonObject &m) {
        return m.value("type").toString() == u"results" && m.value("total").toInt() == 0;
    });
    QVERIFY(zero);

    VERIFY_STATUS(client.post(Api + QStringLiteral("/vote/again"), choices({QStringLiteral("C")})),
                  202);
    ws.send(
        {{"type", "vote"}, {"poll_id", "again"}, {"option_ids", QJsonArray{"A", "C"}}, {"ref", 8}});
    QVERIFY(ws.nextOfType(QStringLiteral("ack")));
    results = client.get(Api + QStringLiteral("/results/again"));
    QCOMPARE(resultsOf(results), counts({{"A", 1}, {"B", 0}, {"C", 2}}));
    QCOMPARE(results.json.value("voters").toInt(), 2);

    // One vote per voter: the reset forgets the voters.
    VERIFY_STATUS(client.post(Api + QStringLiteral("/polls/once/reset"), {}, Admin), 200);
    VERIFY_STATUS(
        client.post(Api + QStringLiteral("/vote/once"), single(QStringLiteral("B")), voter), 202);
    VERIFY_STATUS(
        client.post(Api + QStringLiteral("/vote/once"), single(QStringLiteral("B")), voter), 409);
    QCOMPARE(resultsOf(client.get(Api + QStringLiteral("/results/once"))),
             counts({{"A", 0}, {"B", 1}}));

    // After a clean restart the same counts come from the shard.
    const QString dataDir = tally->dataDir();
    QCOMPARE(tally->stop(), 0);
    const auto again = startServer(redis, node, {}, dataDir);
    QVERIFY(again);
    HttpClient client2(again->url());
    QCOMPARE(resultsOf(client2.get(Api + QStringLiteral("/results/again"))),
             counts({{"A", 1}, {"B", 0}, {"C", 2}}));
    VERIFY_STATUS(client2.post(Api + QStringLiteral("/polls/missing/reset"), {}, Admin), 404);
}

void TestPollFeatures::resetSurvivesKill_data()
{
    BACKENDS();
}

void TestPollFeatures::resetSurvivesKill()
{
    QFETCH(bool, redis);
    RedisNode node;
    // Batches wait a minute: at the SIGKILL every vote is in the journal only.
    const QStringList slow{QStringLiteral("--batch-interval"), QStringLiteral("60")};
    const auto tally = startServer(redis, node, slow);
    QVERIFY(tally);
    const QString dataDir = tally->dataDir();
    {
        HttpClient client(tally->url());
        createPoll(client,
                   pollBody(QStringLiteral("crash"), {QStringLiteral("a"), QStringLiteral("b")}));
        if (QTest::currentTestFailed())
            return;
        for (int i = 0; i < 5; ++i)
            VERIFY_STATUS(
                client.post(Api + QStringLiteral("/vote/crash"), single(QStringLiteral("A"))), 202);
        VERIFY_STATUS(client.post(Api + QStringLiteral("/polls/crash/reset"), {}, Admin), 200);
        for (int i = 0; i < 3; ++i)
            VERIFY_STATUS(
                client.post(Api + QStringLiteral("/vote/crash"), single(QStringLiteral("B"))), 202);
        VERIFY_STATUS(client.post(Api + QStringLiteral("/vote/crash"), single(QStringLiteral("A"))),
                      202);
    }
    tally->kill(); // its data directory lives as long as it does
    const auto restarted = startServer(redis, node, slow, dataDir);
    QVERIFY(restarted);
    HttpClient client(restarted->url());
    const HttpResponse results = client.get(Api + QStringLiteral("/results/crash"));
    VERIFY_STATUS(results, 200);
    QCOMPARE(resultsOf(results), counts({{"A", 1}, {"B", 3}}));
    QCOMPARE(client.get(Api + QStringLiteral("/polls/crash")).json.value("resets").toInt(), 1);
}

void TestPollFeatures::timedClose_data()
{
    BACKENDS();
}

void TestPollFeatures::timedClose()
{
    QFETCH(bool, redis);
    RedisNode node;
    const auto tally = startServer(redis, node);
    QVERIFY(tally);
    HttpClient client(tally->url());
    WsClient ws;
    QUrl wsUrl = tally->url();
    wsUrl.setScheme(QStringLiteral("ws"));
    wsUrl.setPath(Api + QStringLiteral("/ws"));
    QVERIFY(ws.open(wsUrl));
    ws.send({{"type", "subscribe"}, {"channel", "polls"}});
    QVERIFY(ws.sync());

    QJsonObject soon = pollBody(QStringLiteral("soon"), {QStringLiteral("a"), QStringLiteral("b")});
    soon.insert(QStringLiteral("closes_at"), inSeconds(2));
    createPoll(client, soon);
    QJsonObject later =
        pollBody(QStringLiteral("later"), {QStringLiteral("a"), QStringLiteral("b")});
    later.insert(QStringLiteral("closes_at"), inSeconds(4));
    createPoll(client, later);
    if (QTest::currentTestFailed())
        return;
    const HttpResponse poll = client.get(Api + QStringLiteral("/polls/soon"));
    QCOMPARE(poll.json.value("closes_at").toString(),
             soon.value("closes_at").toString().replace("Z", ".000Z"));
    VERIFY_STATUS(client.post(Api + QStringLiteral("/vote/soon"), single(QStringLiteral("A"))),
                  202);

    const auto closed = ws.next(
        [](const QJsonObject &m) {
            return m.value("type").toString() == u"poll_updated" &&
                   m.value("poll").toObject().value("id").toString() == u"soon" &&
                   m.value("poll").toObject().value("status").toString() == u"closed";
        },
        10000);
    QVERIFY(closed);
    HttpResponse answer =
        client.post(Api + QStringLiteral("/vote/soon"), single(QStringLiteral("A")));
    QVERIFY2(answer.status == 409 && answer.errorCode() == u"poll_closed",
             qPrintable(answer.describe()));
    QCOMPARE(client.get(Api + QStringLiteral("/results/soon")).json.value("total").toInt(), 1);

    // The other poll closes while the server is down: it is closed when it is back.
    const QString dataDir = tally->dataDir();
    tally->kill();
    const QDateTime closesAt =
        QDateTime::fromString(later.value("closes_at").toString(), Qt::ISODate);
    QTRY_VERIFY_WITH_TIMEOUT(QDateTime::currentDateTimeUtc() > closesAt, 10000);
    const auto restarted = startServer(redis, node, {}, dataDir); // in the first one's directory
    QVERIFY(restarted);
    HttpClient client2(restarted->url());
    QCOMPARE(client2.get(Api + QStringLiteral("/polls/later")).json.value("status").toString(),
             QStringLiteral("closed"));
    answer = client2.post(Api + QStringLiteral("/vote/later"), single(QStringLiteral("B")));
    QVERIFY2(answer.status == 409 && answer.errorCode() == u"poll_closed",
             qPrintable(answer.describe()));
    // Opened again by hand, it stays open.
    answer = client2.post(Api + QStringLiteral("/polls/later/open"), {}, Admin);
    VERIFY_STATUS(answer, 200);
    QVERIFY(answer.json.value("closes_at").isNull());
    answer = client2.post(Api + QStringLiteral("/vote/later"), single(QStringLiteral("B")));
    VERIFY_STATUS(answer, 202);
}

void TestPollFeatures::exportCsvAndJson_data()
{
    BACKENDS();
}

void TestPollFeatures::exportCsvAndJson()
{
    QFETCH(bool, redis);
    RedisNode node;
    const auto tally = startServer(redis, node);
    QVERIFY(tally);
    HttpClient client(tally->url());
    const QStringList texts{QStringLiteral("=HYPERLINK(\"http://x\")"),
                            QStringLiteral("+1 more"),
                            QStringLiteral("-5 degrees"),
                            QStringLiteral("@home, \"quoted\""),
                            QStringLiteral("two\nlines"),
                            QStringLiteral("Ünïcødé ✓ 日本")};
    createPoll(client, pollBody(QStringLiteral("out-1"), texts));
    if (QTest::currentTestFailed())
        return;
    const QList<int> votes{3, 0, 1, 2, 0, 1};
    for (int option = 0; option < votes.size(); ++option)
        for (int i = 0; i < votes[option]; ++i)
            VERIFY_STATUS(client.post(Api + QStringLiteral("/vote/out-1"),
                                      single(QString(QChar(u'A' + option)))),
                          202);

    HttpResponse answer = client.get(Api + QStringLiteral("/polls/out-1/export?format=csv"), Admin);
    VERIFY_STATUS(answer, 200);
    QVERIFY(answer.header("Content-Type").startsWith("text/csv; charset=utf-8"));
    QCOMPARE(answer.header("Content-Disposition"),
             QByteArray("attachment; filename=\"poll-out-1-results.csv\""));
    CsvReader reader;
    const std::optional<QList<QStringList>> rows = reader.read(answer.body);
    QVERIFY2(rows, qPrintable(reader.error()));
    QCOMPARE(rows->size(), 7);
    QCOMPARE(rows->at(0), (QStringList{"option_id", "option_text", "votes", "percent"}));
    const QStringList shown{QStringLiteral("'=HYPERLINK(\"http://x\")"),
                            QStringLiteral("'+1 more"),
                            QStringLiteral("'-5 degrees"),
                            QStringLiteral("'@home, \"quoted\""),
                            QStringLiteral("two\nlines"),
                            QStringLiteral("Ünïcødé ✓ 日本")};
    const QStringList percents{"42.86", "0.00", "14.29", "28.57", "0.00", "14.29"};
    for (int option = 0; option < votes.size(); ++option)
        QCOMPARE(rows->at(option + 1),
                 (QStringList{QString(QChar(u'A' + option)), shown[option],
                              QString::number(votes[option]), percents[option]}));

    answer = client.get(Api + QStringLiteral("/polls/out-1/export?format=json"), Admin);
    VERIFY_STATUS(answer, 200);
    QCOMPARE(answer.header("Content-Disposition"),
             QByteArray("attachment; filename=\"poll-out-1-results.json\""));
    QCOMPARE(answer.json.value("poll").toObject().value("id").toString(), QStringLiteral("out-1"));
    QCOMPARE(answer.json.value("total").toInt(), 7);
    QCOMPARE(answer.json.value("voters").toInt(), 7);
    const QJsonArray results = answer.json.value("results").toArray();
    QCOMPARE(results.size(), 6);
    for (int option = 0; option < votes.size(); ++option) {
        const QJsonObject row = results.at(option).toObject();
        QCOMPARE(row.value("option_text").toString(), texts[option]);
        QCOMPARE(row.value("votes").toInt(), votes[option]);
    }

    answer = client.get(Api + QStringLiteral("/polls/out-1/export?format=xml"), Admin);
    QVERIFY2(answer.status == 422 && answer.errorCode() == u"invalid_format",
             qPrintable(answer.describe()));
    answer = client.get(Api + QStringLiteral("/polls/out-1/export?format=csv"), Visitor);
    QVERIFY2(answer.status == 401, qPrintable(answer.describe()));
    answer = client.get(Api + QStringLiteral("/polls/none/export?format=csv"), Admin);
    QVERIFY2(answer.status == 404 && answer.errorCode() == u"poll_not_found",
             qPrintable(answer.describe()));
}

QTEST_GUILESS_MAIN(TestPollFeatures)
#include "tst_poll_features.moc"
