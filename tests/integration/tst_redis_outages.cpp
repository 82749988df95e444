// Integration tests of Redis shards in trouble: real redis-server processes (RedisNode)
// and the tally binary. A node SIGKILLed while votes flow or frozen with SIGSTOP loses no
// acknowledged vote, and the breaker's states show in /api/v1/stats.
#include "httpclient.h"
#include "redisnode.h"
#include "shardtestkit.h"
#include "tallyprocess.h"
#include "voter.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QScopeGuard>
#include <QTest>

using namespace ShardChecks;

class TestRedisOutages : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void killedNodeLosesNoAcknowledgedVote();
    void breakerStatesShowInStats();
    void frozenNodeDoesNotHangTheServer();
};

// A node is SIGKILLed while a client keeps voting, then restarted with its AOF:
// every vote answered 202 is in Redis exactly once.
void TestRedisOutages::killedNodeLosesNoAcknowledgedVote()
{
    RedisNode a, b;
    CHECKED(startNodes({&a, &b}));
    TallyProcess tally(redisArgs({&a, &b}) +
                       QStringList{QStringLiteral("--batch-interval"), QStringLiteral("0.1"),
                                   QStringLiteral("--cache-ttl"), QStringLiteral("0.2"),
                                   QStringLiteral("--breaker-failures"), QStringLiteral("3"),
                                   QStringLiteral("--breaker-reset"), QStringLiteral("0.5")});
    QVERIFY2(tally.start(), qPrintable(tally.diagnostics()));
    HttpClient http(tally.url());
    const QStringList names = {a.shardName(), b.shardName()};
    RedisNode *nodes[] = {&a, &b};

    const QStringList survivors = idsOn(names, names[0], QStringLiteral("kill"), 2);
    const QStringList victims = idsOn(names, names[1], QStringLiteral("kill"), 2);
    const QStringList ids = survivors + victims;
    for (const QString &id : ids)
        CHECKED(createPoll(http, id,
                           {QStringLiteral("x"), QStringLiteral("y"), QStringLiteral("z")},
                           ringOwner(names, id)));
    // Read once, so that there are known counts to fall back on.
    for (const QString &id : ids) {
        const HttpResponse read = http.get(Api + QStringLiteral("/results/") + id);
        CHECKED(verifyResults(read, {}, 3));
    }

    QList<Vote> pattern;
    for (int i = 0; i < 7; ++i)
        pattern.append({ids[i % ids.size()], QString(QChar(u'A' + i % 3))});
    Voter voter(tally.url(), pattern);
    auto stopVoter = qScopeGuard([&] { voter.finish(); });
    voter.start();
    QVERIFY(voter.waitRounds(5));

    b.kill();
    const PollVotes atKill = voter.acknowledged();
    QVERIFY(voter.waitRounds(5));

    // While the node is gone: /ready names it, and reads fall back to stale counts.
    const HttpResponse ready = http.waitFor(
        QStringLiteral("/ready"), [](const HttpResponse &r) { return r.status == 503; }, 5000);
    VERIFY_STATUS(ready, 503);
    QCOMPARE(ready.json.value(QStringLiteral("status")).toString(), QStringLiteral("unavailable"));
    QCOMPARE(ready.json.value(QStringLiteral("unavailable_shards")).toArray(),
             QJsonArray{names[1]});

    voter.hold();
    const PollVotes sofar = voter.acknowledged();
    // Votes for the dead node's polls are still taken meanwhile.
    for (const QString &id : victims)
        QVERIFY(total(sofar.value(id)) > total(atKill.value(id)));
    const HttpResponse stale = http.waitFor(
        Api + QStringLiteral("/results/") + victims[0],
        [](const HttpResponse &r) {
            return r.json.value(QStringLiteral("served_via")).toString() == u"stale_cache";
        },
        5000);
    QCOMPARE(stale.json.value(QStringLiteral("served_via")).toString(),
             QStringLiteral("stale_cache"));
    CHECKED(verifyResults(stale, sofar.value(victims[0]), 3));
    const HttpResponse alive = http.get(Api + QStringLiteral("/results/") + survivors[0]);
    CHECKED(verifyResults(alive, sofar.value(survivors[0]), 3));
    QVERIFY(alive.json.value(QStringLiteral("served_via")).toString() != u"stale_cache");
    const QJsonObject during = http.get(Api + QStringLiteral("/stats")).json;
    QVERIFY2(stateOf(during, names[1]) != u"up", qPrintable(stateOf(during, names[1])));
    QCOMPARE(stateOf(during, names[0]), QStringLiteral("up"));
    QVERIFY(statValue(during, QStringLiteral("votes"), QStringLiteral("flushed")) <
            statValue(during, QStringLiteral("votes"), QStringLiteral("accepted")));
    voter.release();
    QVERIFY(voter.waitRounds(3));

    QVERIFY2(b.restart(), qPrintable(b.diagnostics()));
    QVERIFY(voter.waitRounds(5));
    voter.finish();

    QVERIFY2(voter.unexpected().isEmpty(), qPrintable(voter.unexpected().join(u'\n')));
    const PollVotes acknowledged = voter.acknowledged();
    QJsonObject stats;
    CHECKED(waitFlushed(http, &stats, 20000));
    QCOMPARE(statValue(stats, QStringLiteral("votes"), QStringLiteral("accepted")),
             voter.acknowledgedTotal());
    QVERIFY(voter.acknowledgedTotal() > 0);
    for (const QString &id : ids) {
        const int owner = names.indexOf(ringOwner(names, id));
        QVERIFY(total(acknowledged.value(id)) > 0);
        CHECKED(verifyStored(*nodes[owner], *nodes[1 - owner], id, acknowledged.value(id)));
        CHECKED(verifyResults(http.get(Api + QStringLiteral("/results/") + id),
                              acknowledged.value(id), 3));
    }
    // Ready once the Pub/Sub subscription on the restarted node is confirmed again.
    VERIFY_STATUS(
        http.waitFor(
            QStringLiteral("/ready"), [](const HttpResponse &r) { return r.status == 200; }, 10000),
        200);
    qInfo("%lld votes acknowledged, %lld flush attempts failed on the way",
          voter.acknowledgedTotal(),
          statValue(stats, QStringLiteral("flush"), QStringLiteral("failures")));
    QCOMPARE(tally.stop(), 0);
}

// The breaker's states are visible: a dead node's shard goes down, then open;
// once the node is back, up again.
void TestRedisOutages::breakerStatesShowInStats()
{
    RedisNode a, b;
    CHECKED(startNodes({&a, &b}));
    TallyProcess tally(redisArgs({&a, &b}) +
                       QStringList{QStringLiteral("--batch-interval"), QStringLiteral("0.2"),
                                   QStringLiteral("--breaker-failures"), QStringLiteral("2"),
                                   QStringLiteral("--breaker-reset"), QStringLiteral("1")});
    QVERIFY2(tally.start(), qPrintable(tally.diagnostics()));
    HttpClient http(tally.url());
    const QStringList names = {a.shardName(), b.shardName()};
    const QString stats = Api + QStringLiteral("/stats");

    QJsonObject before = http.get(stats).json;
    QCOMPARE(stateOf(before, names[0]), QStringLiteral("up"));
    QCOMPARE(stateOf(before, names[1]), QStringLiteral("up"));

    b.kill();
    QStringList seen;
    const HttpResponse opened = http.waitFor(
        stats,
        [&](const HttpResponse &r) {
            const QString state = stateOf(r.json, names[1]);
            if (seen.isEmpty() || seen.constLast() != state)
                seen.append(state);
            return state == u"open";
        },
        5000, 10);
    QVERIFY2(stateOf(opened.json, names[1]) == u"open", qPrintable(seen.join(u',')));
    // One failure (the lost connection) leaves it down; the second (a refused
    // reconnect, about 200 ms later) opens the breaker. A slow sample may miss "down",
    // but nothing else may show up on the way.
    while (!seen.isEmpty() && seen.constFirst() == u"up")
        seen.removeFirst();
    QVERIFY2(seen == (QStringList{QStringLiteral("down"), QStringLiteral("open")}) ||
                 seen == (QStringList{QStringLiteral("open")}),
             qPrintable(seen.join(u',')));
    QCOMPARE(stateOf(opened.json, names[0]), QStringLiteral("up"));
    const HttpResponse ready = http.get(QStringLiteral("/ready"));
    VERIFY_STATUS(ready, 503);
    QCOMPARE(ready.json.value(QStringLiteral("unavailable_shards")).toArray(),
             QJsonArray{names[1]});

    // Probes (every second) keep failing while the node is away: never up meanwhile.
    QElapsedTimer away;
    away.start();
    while (away.elapsed() < 1500) {
        const QString state = stateOf(http.get(stats).json, names[1]);
        QVERIFY2(state == u"open" || state == u"half-open", qPrintable(state));
        QTest::qWait(50);
    }

    QVERIFY2(b.restart(), qPrintable(b.diagnostics()));
    const HttpResponse up = http.waitFor(
        stats, [&](const HttpResponse &r) { return stateOf(r.json, names[1]) == u"up"; }, 5000);
    QCOMPARE(stateOf(up.json, names[1]), QStringLiteral("up"));
    // Ready once the Pub/Sub subscription on the returned node is confirmed again.
    VERIFY_STATUS(
        http.waitFor(
            QStringLiteral("/ready"), [](const HttpResponse &r) { return r.status == 200; }, 10000),
        200);
    QCOMPARE(tally.stop(), 0);
}

// A frozen node (SIGSTOP) answers nothing; with a 300 ms command timeout the server
// keeps serving, reads fall back to stale counts, and after SIGCONT every vote is
// stored exactly once.
void TestRedisOutages::frozenNodeDoesNotHangTheServer()
{
    RedisNode a, b;
    CHECKED(startNodes({&a, &b}));
    TallyProcess tally(redisArgs({&a, &b}) +
                       QStringList{QStringLiteral("--batch-interval"), QStringLiteral("0.1"),
                                   QStringLiteral("--cache-ttl"), QStringLiteral("0.2"),
                                   QStringLiteral("--redis-command-timeout"), QStringLiteral("300"),
                                   QStringLiteral("--redis-connect-timeout"), QStringLiteral("300"),
                                   QStringLiteral("--breaker-reset"), QStringLiteral("0.5")});
    QVERIFY2(tally.start(), qPrintable(tally.diagnostics()));
    auto thaw = qScopeGuard([&] { b.resume(); });
    HttpClient http(tally.url());
    HttpClient quick(tally.url(), 3000);
    const QStringList names = {a.shardName(), b.shardName()};
    const QString frozen = idsOn(names, names[1], QStringLiteral("frozen"), 1).constFirst();
    const QString warm = idsOn(names, names[0], QStringLiteral("warm"), 1).constFirst();
    CHECKED(createPoll(http, frozen, {QStringLiteral("p"), QStringLiteral("q")}, names[1]));
    CHECKED(createPoll(http, warm, {QStringLiteral("p"), QStringLiteral("q")}, names[0]));

    PollVotes acknowledged;
    QList<Vote> votes;
    for (int i = 0; i < 10; ++i) {
        votes.append({frozen, QStringLiteral("A")});
        votes.append({warm, QStringLiteral("B")});
    }
    CHECKED(castVotes(http, votes, acknowledged));
    CHECKED(waitFlushed(http));
    CHECKED(verifyResults(http.get(Api + QStringLiteral("/results/") + frozen),
                          acknowledged[frozen], 2));

    b.pause();
    votes.clear();
    for (int i = 0; i < 15; ++i) {
        votes.append({frozen, QString(QChar(u'A' + i % 2))});
        votes.append({warm, QStringLiteral("A")});
    }
    CHECKED(castVotes(http, votes, acknowledged));

    // Reads of the frozen shard's poll answer promptly, with stale counts plus pending.
    QString servedVia;
    QElapsedTimer trying;
    trying.start();
    while (servedVia != u"stale_cache" && trying.elapsed() < 5000) {
        QElapsedTimer timer;
        timer.start();
        const HttpResponse read = quick.get(Api + QStringLiteral("/results/") + frozen);
        QVERIFY2(timer.elapsed() < 2000,
                 qPrintable(QStringLiteral("read took %1 ms").arg(timer.elapsed())));
        CHECKED(verifyResults(read, acknowledged[frozen], 2));
        servedVia = read.json.value(QStringLiteral("served_via")).toString();
        QElapsedTimer health;
        health.start();
        VERIFY_STATUS(quick.get(QStringLiteral("/health")), 200);
        QVERIFY2(health.elapsed() < 1000,
                 qPrintable(QStringLiteral("/health took %1 ms").arg(health.elapsed())));
    }
    QCOMPARE(servedVia, QStringLiteral("stale_cache"));

    // The shard is no longer reported up; the other one keeps flushing meanwhile.
    const HttpResponse left = quick.waitFor(
        Api + QStringLiteral("/stats"),
        [&](const HttpResponse &r) {
            return r.status == 200 && stateOf(r.json, names[1]) != u"up";
        },
        5000);
    QVERIFY2(stateOf(left.json, names[1]) != u"up", qPrintable(left.describe()));
    // A frozen server's kernel still completes TCP handshakes (listen backlog): the
    // shard must not be reported up again until the node answers. Consecutive failed
    // attempts open the breaker.
    QStringList seen;
    const HttpResponse opened = quick.waitFor(
        Api + QStringLiteral("/stats"),
        [&](const HttpResponse &r) {
            const QString state = stateOf(r.json, names[1]);
            if (seen.isEmpty() || seen.constLast() != state)
                seen.append(state);
            return state == u"open";
        },
        5000);
    QVERIFY2(stateOf(opened.json, names[1]) == u"open", qPrintable(seen.join(u',')));
    QVERIFY2(!seen.contains(QStringLiteral("up")), qPrintable(seen.join(u',')));
    QElapsedTimer frozenFor;
    frozenFor.start();
    while (frozenFor.elapsed() < 1000) {
        const HttpResponse ready = quick.get(QStringLiteral("/ready"));
        VERIFY_STATUS(ready, 503);
        QCOMPARE(ready.json.value(QStringLiteral("unavailable_shards")).toArray(),
                 QJsonArray{names[1]});
        QTest::qWait(20);
    }
    QTRY_COMPARE_WITH_TIMEOUT(a.hgetall("poll:" + warm.toUtf8()), expectedHash(acknowledged[warm]),
                              5000);
    VERIFY_STATUS(quick.get(QStringLiteral("/health")), 200);

    b.resume();
    QJsonObject stats;
    CHECKED(waitFlushed(http, &stats, 20000));
    QCOMPARE(statValue(stats, QStringLiteral("votes"), QStringLiteral("accepted")), qint64(50));
    CHECKED(verifyStored(b, a, frozen, acknowledged[frozen]));
    CHECKED(verifyStored(a, b, warm, acknowledged[warm]));
    CHECKED(verifyResults(http.get(Api + QStringLiteral("/results/") + frozen),
                          acknowledged[frozen], 2));
    QCOMPARE(tally.stop(), 0);
}

QTEST_GUILESS_MAIN(TestRedisOutages)
#include "tst_redis_outages.moc"
