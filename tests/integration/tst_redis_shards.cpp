// Integration tests of the Redis shards: real redis-server processes (RedisNode) and the
// tally binary. Placement follows the ring, counts land in Redis exactly once through a
// node crash, a frozen node and a second instance, and the breaker's states show in
// /api/v1/stats.
#include "httpclient.h"
#include "redisnode.h"
#include "shardtestkit.h"
#include "tallyprocess.h"
#include "voter.h"

#include <QElapsedTimer>
#include <QJsonArray>
#include <QScopeGuard>
#include <QTest>

class TestRedisShards : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pollsAreSpreadAsTheRingSays();
    void flushedCountsEqualResults();
    void killedNodeLosesNoAcknowledgedVote();
    void breakerStatesShowInStats();
    void frozenNodeDoesNotHangTheServer();
    void twoInstancesShareTheNodes();

private:
    static void startNodes(const QList<RedisNode *> &nodes);
    static void createPoll(HttpClient &http, const QString &id, const QStringList &options,
                           const QString &expectedShard);
    static void castVotes(HttpClient &http, const QList<Vote> &votes, PollVotes &acknowledged);
    // Waits until every accepted vote is stored and every shard is up; `stats` gets the
    // last /api/v1/stats body.
    static void waitFlushed(HttpClient &http, QJsonObject *stats = nullptr, int timeoutMs = 15000);
    static void verifyStored(RedisNode &owner, RedisNode &other, const QString &pollId,
                             const Counts &expected);
    static void verifyResults(const HttpResponse &response, const Counts &expected,
                              int optionCount);
};

void TestRedisShards::startNodes(const QList<RedisNode *> &nodes)
{
    for (RedisNode *node : nodes)
        QVERIFY2(node->start(), qPrintable(node->diagnostics()));
}

void TestRedisShards::createPoll(HttpClient &http, const QString &id, const QStringList &options,
                                 const QString &expectedShard)
{
    const HttpResponse created =
        http.postJson(Api + QStringLiteral("/polls"), pollBody(id, options));
    VERIFY_STATUS(created, 201);
    QCOMPARE(created.json.value(QStringLiteral("id")).toString(), id);
    QCOMPARE(created.json.value(QStringLiteral("shard")).toString(), expectedShard);
}

void TestRedisShards::castVotes(HttpClient &http, const QList<Vote> &votes, PollVotes &acknowledged)
{
    QList<HttpRequest> requests;
    for (const Vote &vote : votes)
        requests.append(voteRequest(vote));
    const QList<HttpResponse> responses = http.sendAll(requests, 4);
    for (qsizetype i = 0; i < responses.size(); ++i) {
        VERIFY_STATUS(responses[i], 202);
        ++acknowledged[votes[i].first][votes[i].second];
    }
}

void TestRedisShards::waitFlushed(HttpClient &http, QJsonObject *stats, int timeoutMs)
{
    const HttpResponse last = http.waitFor(
        Api + QStringLiteral("/stats"),
        [](const HttpResponse &response) {
            return response.status == 200 && fullyFlushed(response.json);
        },
        timeoutMs, 50);
    if (stats)
        *stats = last.json;
    QVERIFY2(fullyFlushed(last.json), qPrintable(last.describe()));
}

void TestRedisShards::verifyStored(RedisNode &owner, RedisNode &other, const QString &pollId,
                                   const Counts &expected)
{
    const QByteArray key = "poll:" + pollId.toUtf8();
    const QMap<QByteArray, QByteArray> stored = owner.hgetall(key);
    QVERIFY2(stored == expectedHash(expected),
             qPrintable(QStringLiteral("HGETALL %1 on %2: %3, expected %4")
                            .arg(QString::fromUtf8(key), owner.shardName(), describeHash(stored),
                                 describeHash(expectedHash(expected)))));
    QVERIFY2(
        !other.exists(key),
        qPrintable(
            QStringLiteral("%1 also exists on %2").arg(QString::fromUtf8(key), other.shardName())));
}

void TestRedisShards::verifyResults(const HttpResponse &response, const Counts &expected,
                                    int optionCount)
{
    VERIFY_STATUS(response, 200);
    QCOMPARE(compact(response.json.value(QStringLiteral("results")).toObject()),
             expectedResults(expected, optionCount));
    QCOMPARE(response.json.value(QStringLiteral("total")).toInteger(-1), total(expected));
}

// 200 polls land on the shard the ring names, and nowhere else.
void TestRedisShards::pollsAreSpreadAsTheRingSays()
{
    RedisNode a, b;
    CHECKED(startNodes({&a, &b}));
    // Node addresses are shown to admin callers only.
    TallyProcess tally(redisArgs({&a, &b}) + QStringList{QStringLiteral("--admin-token"), QStringLiteral("ring-token")});
    QVERIFY2(tally.start(), qPrintable(tally.diagnostics()));
    HttpClient http(tally.url());
    http.setDefaultHeader("Authorization", "Bearer ring-token");
    const QStringList names = {a.shardName(), b.shardName()};

    HttpClient anonymous(tally.url());
    const HttpResponse publicRing = anonymous.get(Api + QStringLiteral("/ring"));
    VERIFY_STATUS(publicRing, 200);
    for (const QJsonValue &node : publicRing.json.value(QStringLiteral("nodes")).toArray())
        QVERIFY2(!node.toObject().contains(QStringLiteral("address")), publicRing.body.constData());

    const HttpResponse ring = http.get(Api + QStringLiteral("/ring"));
    VERIFY_STATUS(ring, 200);
    QCOMPARE(ring.json.value(QStringLiteral("hash")).toString(), QStringLiteral("md5"));
    QCOMPARE(ring.json.value(QStringLiteral("virtual_nodes")).toInt(), 100);
    const QJsonArray ringNodes = ring.json.value(QStringLiteral("nodes")).toArray();
    QCOMPARE(ringNodes.size(), 2);
    double shares = 0;
    for (int i = 0; i < 2; ++i) {
        const QJsonObject node = ringNodes[i].toObject();
        QCOMPARE(node.value(QStringLiteral("name")).toString(), names[i]);
        QCOMPARE(node.value(QStringLiteral("kind")).toString(), QStringLiteral("redis"));
        QCOMPARE(node.value(QStringLiteral("address")).toString(), names[i]);
        QCOMPARE(node.value(QStringLiteral("state")).toString(), QStringLiteral("up"));
        QCOMPARE(node.value(QStringLiteral("virtual_nodes")).toInt(), 100);
        QCOMPARE(node.value(QStringLiteral("polls")).toInt(), 0);
        const double share = node.value(QStringLiteral("share")).toDouble();
        QVERIFY2(qAbs(share - ringShare(names, names[i])) < 1e-9,
                 qPrintable(QStringLiteral("share of %1: %2, expected %3")
                                .arg(names[i])
                                .arg(share)
                                .arg(ringShare(names, names[i]))));
        shares += share;
    }
    QVERIFY(qAbs(shares - 1.0) < 1e-9);

    QList<HttpRequest> creates;
    QStringList ids;
    for (int i = 0; i < 200; ++i) {
        ids.append(QStringLiteral("ring-%1").arg(i, 3, 10, QChar(u'0')));
        creates.append(
            {"POST", Api + QStringLiteral("/polls"),
             compact(pollBody(ids.constLast(), {QStringLiteral("yes"), QStringLiteral("no")}))});
    }
    const QList<HttpResponse> created = http.sendAll(creates, 4);
    QMap<QString, QSet<QByteArray>> idsByShard;
    for (int i = 0; i < 200; ++i) {
        VERIFY_STATUS(created[i], 201);
        const QString shard = created[i].json.value(QStringLiteral("shard")).toString();
        QCOMPARE(shard, ringOwner(names, ids[i]));
        idsByShard[shard].insert(ids[i].toUtf8());
    }
    // With 100 points each, both nodes own a fair part of 200 polls.
    QVERIFY2(idsByShard[names[0]].size() >= 50 && idsByShard[names[1]].size() >= 50,
             qPrintable(QStringLiteral("%1 / %2")
                            .arg(idsByShard[names[0]].size())
                            .arg(idsByShard[names[1]].size())));

    QList<HttpRequest> gets;
    for (const QString &id : std::as_const(ids))
        gets.append({"GET", Api + QStringLiteral("/polls/") + id});
    const QList<HttpResponse> fetched = http.sendAll(gets, 4);
    for (int i = 0; i < 200; ++i) {
        VERIFY_STATUS(fetched[i], 200);
        QCOMPARE(fetched[i].json.value(QStringLiteral("shard")).toString(),
                 ringOwner(names, ids[i]));
    }

    const HttpResponse ringAfter = http.get(Api + QStringLiteral("/ring"));
    VERIFY_STATUS(ringAfter, 200);
    const QJsonObject stats = http.get(Api + QStringLiteral("/stats")).json;
    for (int i = 0; i < 2; ++i) {
        const QJsonObject node =
            ringAfter.json.value(QStringLiteral("nodes")).toArray()[i].toObject();
        QCOMPARE(node.value(QStringLiteral("polls")).toInt(), int(idsByShard[names[i]].size()));
        QCOMPARE(shardOf(stats, names[i]).value(QStringLiteral("polls")).toInt(),
                 int(idsByShard[names[i]].size()));
    }
    QCOMPARE(stats.value(QStringLiteral("polls")).toInt(), 200);

    // Redis agrees: each poll's metadata on its owner only, and each node's index.
    RedisNode *nodes[] = {&a, &b};
    for (int i = 0; i < 200; ++i) {
        const int owner = names.indexOf(ringOwner(names, ids[i]));
        const QByteArray meta = "poll:" + ids[i].toUtf8() + ":meta";
        QVERIFY2(nodes[owner]->exists(meta), qPrintable(ids[i]));
        QVERIFY2(!nodes[1 - owner]->exists(meta), qPrintable(ids[i]));
    }
    QCOMPARE(a.smembers("polls"), idsByShard[names[0]]);
    QCOMPARE(b.smembers("polls"), idsByShard[names[1]]);

    const QMap<QByteArray, QByteArray> meta =
        nodes[names.indexOf(ringOwner(names, ids[7]))]->hgetall("poll:" + ids[7].toUtf8() +
                                                                ":meta");
    QCOMPARE(meta.value("id"), ids[7].toUtf8());
    QCOMPARE(meta.value("question"), QByteArray("Question ring-007?"));
    QCOMPARE(meta.value("theme"), QByteArray("general"));
    QCOMPARE(meta.value("options"), QByteArray(R"(["yes","no"])"));
    QCOMPARE(meta.value("status"), QByteArray("open"));
    QCOMPARE(meta.value("one_vote_per_voter"), QByteArray("0"));
    QVERIFY(meta.contains("created_at"));

    QCOMPARE(tally.stop(), 0);
}

// After a flush, HGETALL poll:<id> on the owning node is exactly what the API says.
void TestRedisShards::flushedCountsEqualResults()
{
    RedisNode a, b;
    CHECKED(startNodes({&a, &b}));
    TallyProcess tally(redisArgs({&a, &b}) +
                       QStringList{QStringLiteral("--batch-interval"), QStringLiteral("0.2")});
    QVERIFY2(tally.start(), qPrintable(tally.diagnostics()));
    HttpClient http(tally.url());
    const QStringList names = {a.shardName(), b.shardName()};
    RedisNode *nodes[] = {&a, &b};

    // Three polls on each node, one with four options; some options get no vote.
    QStringList ids = idsOn(names, names[0], QStringLiteral("flush"), 3) +
                      idsOn(names, names[1], QStringLiteral("flush"), 3);
    QHash<QString, int> optionCount;
    for (int p = 0; p < ids.size(); ++p) {
        QStringList options = {QStringLiteral("red"), QStringLiteral("green"),
                               QStringLiteral("blue")};
        if (p == 1)
            options.append(QStringLiteral("grey"));
        optionCount[ids[p]] = int(options.size());
        CHECKED(createPoll(http, ids[p], options, ringOwner(names, ids[p])));
    }
    QList<Vote> votes;
    for (int round = 0; round < 7; ++round)
        for (int p = 0; p < ids.size(); ++p)
            for (int o = 0; o < optionCount[ids[p]]; ++o)
                if (round < (p * 3 + o * 2) % 7)
                    votes.append({ids[p], QString(QChar(u'A' + o))});
    PollVotes acknowledged;
    CHECKED(castVotes(http, votes, acknowledged));

    QJsonObject stats;
    CHECKED(waitFlushed(http, &stats));
    QCOMPARE(statValue(stats, QStringLiteral("votes"), QStringLiteral("accepted")),
             qint64(votes.size()));
    QCOMPARE(statValue(stats, QStringLiteral("votes"), QStringLiteral("flushed")),
             qint64(votes.size()));

    QHash<QString, qint64> perShard;
    for (const QString &id : std::as_const(ids)) {
        const int owner = names.indexOf(ringOwner(names, id));
        perShard[names[owner]] += total(acknowledged[id]);
        // Nothing read this poll yet: the counts come from its node.
        const HttpResponse first = http.get(Api + QStringLiteral("/results/") + id);
        CHECKED(verifyResults(first, acknowledged[id], optionCount[id]));
        QCOMPARE(first.json.value(QStringLiteral("served_via")).toString(),
                 QStringLiteral("redis:") + names[owner]);
        CHECKED(verifyStored(*nodes[owner], *nodes[1 - owner], id, acknowledged[id]));
        const HttpResponse second = http.get(Api + QStringLiteral("/results/") + id);
        CHECKED(verifyResults(second, acknowledged[id], optionCount[id]));
        QCOMPARE(second.json.value(QStringLiteral("served_via")).toString(),
                 QStringLiteral("app_cache"));
    }
    for (int i = 0; i < 2; ++i) {
        QCOMPARE(shardOf(stats, names[i]).value(QStringLiteral("votes")).toInteger(),
                 perShard[names[i]]);
        // The instance's last batch sequence is stored next to the counts.
        const RedisValue sequence =
            nodes[i]->command({"GET", "tally:flushed:" + tally.instanceId().toUtf8()});
        QVERIFY2(sequence.type == RedisValue::Type::String && sequence.text.toULongLong() >= 1,
                 qPrintable(sequence.describe()));
    }
    QCOMPARE(tally.stop(), 0);
}

// A node is SIGKILLed while a client keeps voting, then restarted with its AOF:
// every vote answered 202 is in Redis exactly once.
void TestRedisShards::killedNodeLosesNoAcknowledgedVote()
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
    VERIFY_STATUS(http.waitFor(QStringLiteral("/ready"), [](const HttpResponse &r) { return r.status == 200; }, 10000),
                  200);
    qInfo("%lld votes acknowledged, %lld flush attempts failed on the way",
          voter.acknowledgedTotal(),
          statValue(stats, QStringLiteral("flush"), QStringLiteral("failures")));
    QCOMPARE(tally.stop(), 0);
}

// The breaker's states are visible: a dead node's shard goes down, then open;
// once the node is back, up again.
void TestRedisShards::breakerStatesShowInStats()
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
    VERIFY_STATUS(http.waitFor(QStringLiteral("/ready"), [](const HttpResponse &r) { return r.status == 200; }, 10000),
                  200);
    QCOMPARE(tally.stop(), 0);
}

// A frozen node (SIGSTOP) answers nothing; with a 300 ms command timeout the server
// keeps serving, reads fall back to stale counts, and after SIGCONT every vote is
// stored exactly once.
void TestRedisShards::frozenNodeDoesNotHangTheServer()
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

// Two instances on the same nodes see each other's polls and, once both flushed,
// serve the same totals.
void TestRedisShards::twoInstancesShareTheNodes()
{
    RedisNode a, b;
    CHECKED(startNodes({&a, &b}));
    const QStringList common =
        redisArgs({&a, &b}) +
        QStringList{QStringLiteral("--batch-interval"),  QStringLiteral("0.2"),
                    QStringLiteral("--cache-ttl"),       QStringLiteral("0.2"),
                    QStringLiteral("--catalog-refresh"), QStringLiteral("0.2")};
    TallyProcess first(common +
                       QStringList{QStringLiteral("--instance-id"), QStringLiteral("inst-a")});
    TallyProcess second(common +
                        QStringList{QStringLiteral("--instance-id"), QStringLiteral("inst-b")});
    QVERIFY2(first.start(), qPrintable(first.diagnostics()));
    QVERIFY2(second.start(), qPrintable(second.diagnostics()));
    QVERIFY(first.dataDir() != second.dataDir());
    HttpClient one(first.url());
    HttpClient two(second.url());
    const QStringList names = {a.shardName(), b.shardName()};
    RedisNode *nodes[] = {&a, &b};

    const QStringList ids = idsOn(names, names[0], QStringLiteral("shared"), 2) +
                            idsOn(names, names[1], QStringLiteral("shared"), 2);
    for (const QString &id : ids)
        CHECKED(createPoll(one, id, {QStringLiteral("left"), QStringLiteral("right")},
                           ringOwner(names, id)));
    for (const QString &id : ids) {
        const HttpResponse seen = two.waitFor(
            Api + QStringLiteral("/polls/") + id,
            [](const HttpResponse &r) { return r.status == 200; }, 5000);
        VERIFY_STATUS(seen, 200);
        QCOMPARE(seen.json.value(QStringLiteral("shard")).toString(), ringOwner(names, id));
        QCOMPARE(seen.json.value(QStringLiteral("question")).toString(),
                 QStringLiteral("Question %1?").arg(id));
    }
    // The second instance cannot create the same id again.
    VERIFY_STATUS(two.postJson(Api + QStringLiteral("/polls"),
                               pollBody(ids[0], {QStringLiteral("u"), QStringLiteral("v")})),
                  409);

    PollVotes acknowledged;
    QList<Vote> votesOne, votesTwo;
    for (int i = 0; i < 40; ++i) {
        votesOne.append({ids[i % 4], QStringLiteral("A")});
        votesTwo.append({ids[(i * 3) % 4], i % 3 == 0 ? QStringLiteral("A") : QStringLiteral("B")});
    }
    CHECKED(castVotes(one, votesOne, acknowledged));
    CHECKED(castVotes(two, votesTwo, acknowledged));
    CHECKED(waitFlushed(one));
    CHECKED(waitFlushed(two));

    for (const QString &id : ids) {
        const QByteArray expected = expectedResults(acknowledged[id], 2);
        for (HttpClient *client : {&one, &two}) {
            const HttpResponse read = client->waitFor(
                Api + QStringLiteral("/results/") + id,
                [&](const HttpResponse &r) {
                    return compact(r.json.value(QStringLiteral("results")).toObject()) == expected;
                },
                5000);
            CHECKED(verifyResults(read, acknowledged[id], 2));
        }
        const int owner = names.indexOf(ringOwner(names, id));
        CHECKED(verifyStored(*nodes[owner], *nodes[1 - owner], id, acknowledged[id]));
    }
    // Each instance keeps its own flush sequence.
    for (RedisNode *node : nodes) {
        QVERIFY(node->exists("tally:flushed:inst-a"));
        QVERIFY(node->exists("tally:flushed:inst-b"));
    }

    // Closing and deleting on one instance reach the other.
    VERIFY_STATUS(one.post(Api + QStringLiteral("/polls/") + ids[2] + QStringLiteral("/close")),
                  200);
    const HttpResponse closed = two.waitFor(
        Api + QStringLiteral("/polls/") + ids[2],
        [](const HttpResponse &r) {
            return r.json.value(QStringLiteral("status")).toString() == u"closed";
        },
        5000);
    QCOMPARE(closed.json.value(QStringLiteral("status")).toString(), QStringLiteral("closed"));
    const HttpResponse refused = two.postJson(Api + QStringLiteral("/vote/") + ids[2],
                                              {{QStringLiteral("option_id"), QStringLiteral("A")}});
    VERIFY_STATUS(refused, 409);
    QCOMPARE(refused.errorCode(), QStringLiteral("poll_closed"));

    VERIFY_STATUS(one.del(Api + QStringLiteral("/polls/") + ids[3]), 204);
    const HttpResponse gone = two.waitFor(
        Api + QStringLiteral("/polls/") + ids[3],
        [](const HttpResponse &r) { return r.status == 404; }, 5000);
    VERIFY_STATUS(gone, 404);
    QVERIFY(!nodes[names.indexOf(ringOwner(names, ids[3]))]->exists("poll:" + ids[3].toUtf8()));

    QCOMPARE(second.stop(), 0);
    QCOMPARE(first.stop(), 0);
}

QTEST_GUILESS_MAIN(TestRedisShards)
#include "tst_redis_shards.moc"
