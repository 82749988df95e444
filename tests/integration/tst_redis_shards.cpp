// Integration tests of the Redis shards: real redis-server processes (RedisNode) and the
// tally binary. Placement follows the ring, and counts land in Redis exactly once, also
// from a second instance (a node crash, a frozen node and the breaker's states:
// tst_redis_outages).
#include "httpclient.h"
#include "redisnode.h"
#include "shardtestkit.h"
#include "tallyprocess.h"
#include "voter.h"

using namespace ShardChecks;

#include <QElapsedTimer>
#include <QJsonArray>
#include <QScopeGuard>
#include <QTest>

class TestRedisShards : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void pollsAreSpreadAsTheRingSays();
    void flushedCountsEqualResults();
    void twoInstancesShareTheNodes();
};

// 200 polls land on the shard the ring names, and nowhere else.
void TestRedisShards::pollsAreSpreadAsTheRingSays()
{
    RedisNode a, b;
    CHECKED(startNodes({&a, &b}));
    // Node addresses are shown to admin callers only.
    TallyProcess tally(redisArgs({&a, &b}) +
                       QStringList{QStringLiteral("--admin-token"), QStringLiteral("ring-token")});
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
