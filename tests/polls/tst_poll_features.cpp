// The poll features end to end against the real binary, each on embedded shards and on
// a Redis node: several choices, hidden results and export, over REST single votes, bulk
// votes and WebSocket votes. Reset and timed close: tst_poll_lifecycle.
#include "csvreader.h"
#include "pollfeaturekit.h"
#include "wsclient.h"

#include <QDateTime>
#include <QJsonArray>
#include <QTest>

using namespace PollFeatureKit;

class TestPollFeatures : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void multipleChoice_data();
    void multipleChoice();
    void createValidation_data();
    void createValidation();
    void hiddenResults_data();
    void hiddenResults();
    void exportCsvAndJson_data();
    void exportCsvAndJson();
};

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
    QVERIFY(ws.open(WsClient::wsUrl(tally->url())));
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
    QVERIFY(ws.open(WsClient::wsUrl(tally->url())));
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
