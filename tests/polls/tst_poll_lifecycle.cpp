// Poll reset and timed close end to end against the real binary, each on embedded shards
// and on a Redis node, over REST single votes, bulk votes and WebSocket votes.
// The other poll features: tst_poll_features.
#include "pollfeaturekit.h"
#include "wsclient.h"

#include <QDateTime>
#include <QJsonArray>
#include <QTest>

using namespace PollFeatureKit;

class TestPollLifecycle : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void reset_data();
    void reset();
    void resetSurvivesKill_data();
    void resetSurvivesKill();
    void timedClose_data();
    void timedClose();
};

void TestPollLifecycle::reset_data()
{
    BACKENDS();
}

void TestPollLifecycle::reset()
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
    QVERIFY(ws.open(WsClient::wsUrl(tally->url())));
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

void TestPollLifecycle::resetSurvivesKill_data()
{
    BACKENDS();
}

void TestPollLifecycle::resetSurvivesKill()
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

void TestPollLifecycle::timedClose_data()
{
    BACKENDS();
}

void TestPollLifecycle::timedClose()
{
    QFETCH(bool, redis);
    RedisNode node;
    const auto tally = startServer(redis, node);
    QVERIFY(tally);
    HttpClient client(tally->url());
    WsClient ws;
    QVERIFY(ws.open(WsClient::wsUrl(tally->url())));
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

QTEST_GUILESS_MAIN(TestPollLifecycle)
#include "tst_poll_lifecycle.moc"
