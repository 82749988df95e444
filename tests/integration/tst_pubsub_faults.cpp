// Pub/Sub between two instances sharing a real Redis node, when it misbehaves: an
// instance is not ready until its subscription is confirmed; a message that never
// arrives (dropped on its way to the subscriber) leaves the other instance's live
// subscribers stale only until the next heartbeat repeats the counts; and a subscriber
// connection that went half-open (TcpProxy stops passing bytes, the socket stays open)
// is noticed and replaced. Every instance caches results for 60 s here, so only Pub/Sub
// can bring another instance's votes to a subscriber in time.
#include "httpclient.h"
#include "redisnode.h"
#include "shardtestkit.h"
#include "tallyprocess.h"
#include "tcpproxy.h"
#include "wsclient.h"

#include <QJsonArray>
#include <QTest>

namespace {

const QString Polls = Api + QStringLiteral("/polls");

QStringList instanceArgs(const QString &redisUrl, const QString &instanceId)
{
    return {QStringLiteral("--redis-nodes"),     redisUrl,
            QStringLiteral("--instance-id"),     instanceId,
            QStringLiteral("--batch-interval"),  QStringLiteral("0.05"),
            QStringLiteral("--cache-ttl"),       QStringLiteral("60"),
            QStringLiteral("--catalog-refresh"), QStringLiteral("0.2")};
}

std::function<bool(const QJsonObject &)> resultsWithTotal(const QString &pollId, qint64 total)
{
    return [pollId, total](const QJsonObject &message) {
        return message.value(QStringLiteral("type")).toString() == u"results" &&
               message.value(QStringLiteral("poll_id")).toString() == pollId &&
               message.value(QStringLiteral("total")).toInteger() == total;
    };
}

} // namespace

class TestPubSubFaults : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void notReadyUntilSubscribed();
    void droppedMessageIsRepeated();
    void halfOpenSubscriberIsReplaced();

private:
    // Creates poll `id` on `a`, waits until `b` knows it and subscribes `ws` to it on `b`.
    static void pollSeenOnBoth(HttpClient &a, HttpClient &b, WsClient &ws, const QUrl &bUrl,
                               const QString &id);
};

void TestPubSubFaults::pollSeenOnBoth(HttpClient &a, HttpClient &b, WsClient &ws, const QUrl &bUrl,
                                      const QString &id)
{
    VERIFY_STATUS(a.postJson(Polls, pollBody(id, {QStringLiteral("Yes"), QStringLiteral("No")})),
                  201);
    VERIFY_STATUS(
        b.waitFor(
            Polls + u'/' + id, [](const HttpResponse &r) { return r.status == 200; }, 5000),
        200);
    QVERIFY2(ws.open(WsClient::wsUrl(bUrl)), qPrintable(ws.errorString()));
    ws.send(
        {{QStringLiteral("type"), QStringLiteral("subscribe")}, {QStringLiteral("poll_id"), id}});
    QVERIFY2(ws.next(resultsWithTotal(id, 0)), "no snapshot on subscribe");
}

void TestPubSubFaults::notReadyUntilSubscribed()
{
    RedisNode node;
    QVERIFY2(node.start(), qPrintable(node.diagnostics()));
    // The node refuses every Pub/Sub channel: SUBSCRIBE is answered NOPERM.
    QCOMPARE(node.command({"ACL", "SETUSER", "default", "resetchannels"}).text, QByteArray("OK"));
    TallyProcess tally(instanceArgs(node.url(), QStringLiteral("ready")));
    QVERIFY2(tally.start(), qPrintable(tally.diagnostics()));
    HttpClient http(tally.url());
    VERIFY_STATUS(http.get(QStringLiteral("/health")), 200);
    const HttpResponse notReady = http.get(QStringLiteral("/ready"));
    VERIFY_STATUS(notReady, 503);
    QCOMPARE(notReady.json.value(QStringLiteral("unavailable_shards")).toArray(),
             QJsonArray{node.shardName()});
    const QJsonObject shard =
        notReady.json.value(QStringLiteral("shards")).toArray().at(0).toObject();
    QCOMPARE(shard.value(QStringLiteral("state")).toString(), QStringLiteral("up"));
    QCOMPARE(shard.value(QStringLiteral("subscribed")).toBool(true), false);

    QCOMPARE(node.command({"ACL", "SETUSER", "default", "allchannels"}).text, QByteArray("OK"));
    const HttpResponse ready = http.waitFor(
        QStringLiteral("/ready"), [](const HttpResponse &r) { return r.status == 200; }, 15000);
    VERIFY_STATUS(ready, 200);
    QCOMPARE(ready.json.value(QStringLiteral("shards"))
                 .toArray()
                 .at(0)
                 .toObject()
                 .value(QStringLiteral("subscribed"))
                 .toBool(),
             true);
    QCOMPARE(tally.stop(), 0);
}

void TestPubSubFaults::droppedMessageIsRepeated()
{
    RedisNode node;
    QVERIFY2(node.start(), qPrintable(node.diagnostics()));
    TcpProxy proxy(node.port());
    QVERIFY(proxy.listen());
    TallyProcess a(instanceArgs(node.url(), QStringLiteral("inst-a")));
    TallyProcess b(instanceArgs(proxy.url(), QStringLiteral("inst-b")));
    QVERIFY2(a.start(), qPrintable(a.diagnostics()));
    QVERIFY2(b.start(), qPrintable(b.diagnostics()));
    HttpClient httpA(a.url());
    HttpClient httpB(b.url());
    VERIFY_STATUS(
        httpB.waitFor(
            QStringLiteral("/ready"), [](const HttpResponse &r) { return r.status == 200; }, 10000),
        200);
    WsClient ws;
    pollSeenOnBoth(httpA, httpB, ws, b.url(), QStringLiteral("m"));
    if (QTest::currentTestFailed())
        return;

    // The first message saying A accepted five votes for m never reaches B. (Earlier
    // messages with fewer may pass, if the votes straddle two publications.)
    proxy.dropMessages("\"m\":[5,0]", 1);
    for (int i = 0; i < 5; ++i)
        VERIFY_STATUS(httpA.post(Api + QStringLiteral("/vote/m"),
                                 compact({{QStringLiteral("option_id"), QStringLiteral("A")}})),
                      202);
    QVERIFY2(
        ws.waitUntil([&] { return proxy.dropped() == 1; }, 5000),
        qPrintable(
            QStringLiteral("subscribers %1\n%2").arg(proxy.subscribers()).arg(b.stderrText())));
    // Within a heartbeat (1 s) and a live interval, B's subscriber has the exact counts.
    QVERIFY2(ws.next(resultsWithTotal(QStringLiteral("m"), 5), 3000),
             "B's subscriber stayed stale after one lost message");
    QCOMPARE(httpB.get(Api + QStringLiteral("/results/m"))
                 .json.value(QStringLiteral("total"))
                 .toInteger(),
             5);
    QCOMPARE(a.stop(), 0);
    QCOMPARE(b.stop(), 0);
}

void TestPubSubFaults::halfOpenSubscriberIsReplaced()
{
    RedisNode node;
    QVERIFY2(node.start(), qPrintable(node.diagnostics()));
    TcpProxy proxy(node.port());
    QVERIFY(proxy.listen());
    TallyProcess a(instanceArgs(node.url(), QStringLiteral("inst-a")));
    TallyProcess b(instanceArgs(proxy.url(), QStringLiteral("inst-b")));
    QVERIFY2(a.start(), qPrintable(a.diagnostics()));
    QVERIFY2(b.start(), qPrintable(b.diagnostics()));
    HttpClient httpA(a.url());
    HttpClient httpB(b.url());
    VERIFY_STATUS(
        httpB.waitFor(
            QStringLiteral("/ready"), [](const HttpResponse &r) { return r.status == 200; }, 10000),
        200);
    WsClient ws;
    pollSeenOnBoth(httpA, httpB, ws, b.url(), QStringLiteral("h"));
    if (QTest::currentTestFailed())
        return;

    // B's subscriber connection goes silent both ways without being closed.
    QCOMPARE(proxy.blackholeSubscribers(), 1);
    for (int i = 0; i < 5; ++i)
        VERIFY_STATUS(httpA.post(Api + QStringLiteral("/vote/h"),
                                 compact({{QStringLiteral("option_id"), QStringLiteral("B")}})),
                      202);
    // B notices within three heartbeats, subscribes again and hears A's repeated counts.
    const bool heard = ws.next(resultsWithTotal(QStringLiteral("h"), 5), 8000).has_value();
    QVERIFY2(heard,
             qPrintable(
                 QStringLiteral("B's subscriber never heard the votes after its connection went "
                                "half-open:\n%1\nB: %2\nA: %3")
                     .arg(b.stderrText() + QStringLiteral("\n--- A:\n") + a.stderrText(),
                          QString::fromUtf8(httpB.get(Api + QStringLiteral("/results/h")).body),
                          QString::fromUtf8(httpA.get(Api + QStringLiteral("/results/h")).body))));
    QVERIFY2(b.stderrText().contains(QStringLiteral("not even our own heartbeat")),
             qPrintable(b.stderrText()));
    QVERIFY(ws.waitUntil([&] { return proxy.subscribers() == 1; }, 5000));
    QCOMPARE(a.stop(), 0);
    QCOMPARE(b.stop(), 0);
}

QTEST_GUILESS_MAIN(TestPubSubFaults)
#include "tst_pubsub_faults.moc"
