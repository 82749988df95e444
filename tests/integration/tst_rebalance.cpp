// Moving polls between Redis shards (POST /api/v1/shards/rebalance, tally --rebalance):
// real redis-server processes and tally binaries. Polls created on two nodes move to a
// third under load from two instances, with a poll frozen by a mover that died and a
// SIGKILL of an instance right after a rebalance started: counts stay exact, and every
// poll ends on exactly one node, the one the ring names.
#include "httpclient.h"
#include "redisnode.h"
#include "shardtestkit.h"
#include "storage/movescripts.h"
#include "tallyprocess.h"
#include "voter.h"

#include <QJsonArray>
#include <QTemporaryDir>
#include <QTest>

namespace {

const QString Rebalance = Api + QStringLiteral("/shards/rebalance");

QStringList commonArgs(const QList<RedisNode *> &nodes)
{
    return redisArgs(nodes) +
           QStringList{QStringLiteral("--batch-interval"),  QStringLiteral("0.2"),
                       QStringLiteral("--cache-ttl"),       QStringLiteral("0.2"),
                       QStringLiteral("--catalog-refresh"), QStringLiteral("0.2")};
}

// Nothing waits anywhere: no buffered or unconfirmed vote, no queued batch, every shard up.
bool settled(const QJsonObject &stats)
{
    if (statValue(stats, QStringLiteral("buffer"), QStringLiteral("depth")) != 0 ||
        statValue(stats, QStringLiteral("buffer"), QStringLiteral("in_flight")) != 0)
        return false;
    const QJsonArray shards = stats.value(QStringLiteral("shards")).toArray();
    for (const QJsonValue &shard : shards)
        if (shard.toObject().value(QStringLiteral("queued_batches")).toInteger(-1) != 0 ||
            shard.toObject().value(QStringLiteral("state")).toString() != u"up")
            return false;
    return !shards.isEmpty();
}

QString letter(int index)
{
    return QString(QChar(u'A' + index));
}

QString rebalanceState(const QJsonObject &stats)
{
    return stats.value(QStringLiteral("rebalance"))
        .toObject()
        .value(QStringLiteral("state"))
        .toString();
}

} // namespace

class TestRebalance : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void twoToThreeNodesUnderLoadWithACrash();
    void commandLineModeMovesPolls();
    void resetMultipleChoicePollMovesWithItsGeneration();
    void badRequestsAreRefused();

private:
    static void waitExact(HttpClient &http, const QStringList &ids, const PollVotes &expected,
                          int optionCount, int timeoutMs = 10000);
    static void waitSettled(HttpClient &http);
    static void waitRebalanced(HttpClient &http);
    static void verifyPlacement(const QList<RedisNode *> &nodes, const QStringList &names,
                                const QString &id, const Counts &expected);
};

void TestRebalance::waitExact(HttpClient &http, const QStringList &ids, const PollVotes &expected,
                              int optionCount, int timeoutMs)
{
    for (const QString &id : ids) {
        const QByteArray want = expectedResults(expected.value(id), optionCount);
        const HttpResponse read = http.waitFor(
            Api + QStringLiteral("/results/") + id,
            [&](const HttpResponse &r) {
                return r.status == 200 &&
                       compact(r.json.value(QStringLiteral("results")).toObject()) == want;
            },
            timeoutMs);
        QVERIFY2(read.status == 200 &&
                     compact(read.json.value(QStringLiteral("results")).toObject()) == want,
                 qPrintable(QStringLiteral("poll %1 on %2: expected %3, last read %4")
                                .arg(id, http.base().toString(), QString::fromUtf8(want),
                                     read.describe())));
    }
}

void TestRebalance::waitSettled(HttpClient &http)
{
    const HttpResponse last = http.waitFor(
        Api + QStringLiteral("/stats"),
        [](const HttpResponse &r) { return r.status == 200 && settled(r.json); }, 20000, 50);
    QVERIFY2(settled(last.json), qPrintable(last.describe()));
}

void TestRebalance::waitRebalanced(HttpClient &http)
{
    const HttpResponse last = http.waitFor(
        Api + QStringLiteral("/stats"),
        [](const HttpResponse &r) {
            return r.status == 200 && rebalanceState(r.json) != u"running";
        },
        30000, 50);
    const QJsonObject progress = last.json.value(QStringLiteral("rebalance")).toObject();
    QVERIFY2(rebalanceState(last.json) == u"done", qPrintable(last.describe()));
    QCOMPARE(progress.value(QStringLiteral("polls_failed")).toInt(-1), 0);
    QCOMPARE(progress.value(QStringLiteral("polls_moved")).toInt(-1),
             progress.value(QStringLiteral("polls_to_move")).toInt(-2) -
                 progress.value(QStringLiteral("polls_deleted_meanwhile")).toInt());
}

void TestRebalance::verifyPlacement(const QList<RedisNode *> &nodes, const QStringList &names,
                                    const QString &id, const Counts &expected)
{
    const QString owner = ringOwner(names, id);
    const QByteArray countsKey = "poll:" + id.toUtf8();
    const QByteArray metaKey = countsKey + ":meta";
    for (qsizetype i = 0; i < nodes.size(); ++i) {
        RedisNode *node = nodes[i];
        const QMap<QByteArray, QByteArray> meta = node->hgetall(metaKey);
        const bool listed = node->smembers("polls").contains(id.toUtf8());
        if (names[i] == owner) {
            QVERIFY2(listed,
                     qPrintable(QStringLiteral("%1 is not listed on its owner %2").arg(id, owner)));
            const QByteArray state = meta.value("move_state");
            QVERIFY2(state.isEmpty() || state == "done",
                     qPrintable(QStringLiteral("%1 on %2: move_state %3")
                                    .arg(id, owner, QString::fromUtf8(state))));
            const QMap<QByteArray, QByteArray> stored = node->hgetall(countsKey);
            QVERIFY2(stored == expectedHash(expected),
                     qPrintable(QStringLiteral("HGETALL %1 on %2: %3, expected %4")
                                    .arg(QString::fromUtf8(countsKey), owner, describeHash(stored),
                                         describeHash(expectedHash(expected)))));
            QVERIFY(!node->smembers("tally:incoming").contains(id.toUtf8()));
        } else {
            // Nowhere else: at most the record of a finished move, naming the owner.
            QVERIFY2(!node->exists(countsKey),
                     qPrintable(QStringLiteral("%1 still has counts on %2").arg(id, names[i])));
            if (!meta.isEmpty()) {
                QCOMPARE(meta.value("move_state"), QByteArray("moved"));
                QCOMPARE(QString::fromUtf8(meta.value("moved_to")), owner);
            } else {
                QVERIFY(!listed);
            }
        }
    }
}

void TestRebalance::twoToThreeNodesUnderLoadWithACrash()
{
    RedisNode a, b, c;
    for (RedisNode *node : {&a, &b, &c})
        QVERIFY2(node->start(), qPrintable(node->diagnostics()));
    const QStringList two = {a.shardName(), b.shardName()};
    const QStringList three = {a.shardName(), b.shardName(), c.shardName()};
    QTemporaryDir xDir;
    QVERIFY(xDir.isValid());
    const QStringList xArgs = {QStringLiteral("--instance-id"), QStringLiteral("inst-x")};

    // 40 polls on two nodes, with some votes. The nodes' names follow their free ports, so
    // which polls the third node takes differs between runs: more polls are made when fewer
    // than 5 of the first 40 would move.
    QStringList ids;
    QStringList moving;
    for (int i = 0; ids.size() < 40 || (moving.size() < 5 && i < 200); ++i) {
        const QString id = QStringLiteral("reb-%1").arg(i);
        ids.append(id);
        if (ringOwner(two, id) != ringOwner(three, id))
            moving.append(id);
    }
    QVERIFY2(moving.size() >= 5, qPrintable(QString::number(moving.size())));
    PollVotes acknowledged;
    {
        TallyProcess before(commonArgs({&a, &b}) + xArgs, xDir.path());
        QVERIFY2(before.start(), qPrintable(before.diagnostics()));
        HttpClient http(before.url());
        QList<HttpRequest> votes;
        for (const QString &id : ids) {
            VERIFY_STATUS(http.postJson(Api + QStringLiteral("/polls"),
                                        pollBody(id, {QStringLiteral("x"), QStringLiteral("y"),
                                                      QStringLiteral("z")})),
                          201);
            for (int v = 0; v < 3; ++v) {
                votes.append(voteRequest({id, letter(v % 3)}));
                ++acknowledged[id][letter(v % 3)];
            }
        }
        for (const HttpResponse &response : http.sendAll(votes, 4))
            VERIFY_STATUS(response, 202);
        QCOMPARE(before.stop(), 0);
    }

    // Two instances on three nodes; the new node holds nothing yet.
    auto x = std::make_unique<TallyProcess>(commonArgs({&a, &b, &c}) + xArgs, xDir.path());
    TallyProcess y(commonArgs({&a, &b, &c}) +
                   QStringList{QStringLiteral("--instance-id"), QStringLiteral("inst-y")});
    QVERIFY2(x->start(), qPrintable(x->diagnostics()));
    QVERIFY2(y.start(), qPrintable(y.diagnostics()));
    HttpClient httpX(x->url());
    HttpClient httpY(y.url());
    CHECKED(waitExact(httpY, ids, acknowledged, 3));

    // The plan names exactly the polls whose ring owner changed.
    const HttpResponse plan = httpX.postJson(Rebalance, {{QStringLiteral("dry_run"), true}});
    VERIFY_STATUS(plan, 200);
    QCOMPARE(plan.json.value(QStringLiteral("polls_to_move")).toInt(), int(moving.size()));
    QCOMPARE(plan.json.value(QStringLiteral("to_shards")).toObject().value(c.shardName()).toInt(),
             int(moving.size()));

    QList<Vote> pattern;
    for (int i = 0; i < ids.size(); ++i)
        pattern.append({ids[i], letter(i % 3)});
    auto voterX = std::make_unique<Voter>(x->url(), pattern, 10);
    Voter voterY(y.url(), QList<Vote>(pattern.crbegin(), pattern.crend()), 10);
    voterX->start();
    voterY.start();
    QVERIFY(voterY.waitRounds(3));

    // A mover died right after freezing one poll: its votes wait in memory, reads stay
    // exact on both instances.
    const QString frozen = moving.first();
    RedisNode *frozenSource = ringOwner(two, frozen) == a.shardName() ? &a : &b;
    const RedisValue froze = frozenSource->command({"EVAL", MoveScripts::Freeze, "1",
                                                    "poll:" + frozen.toUtf8() + ":meta",
                                                    "dead-mover", c.shardName().toUtf8()});
    QVERIFY2(!froze.isError() && froze.elements.size() == 4 && froze.elements[0].text == "frozen",
             qPrintable(froze.describe()));
    QVERIFY(voterY.waitRounds(5));
    voterX->hold();
    voterY.hold();
    PollVotes expected = acknowledged;
    for (const PollVotes &more : {voterX->acknowledged(), voterY.acknowledged()})
        for (auto poll = more.cbegin(); poll != more.cend(); ++poll)
            for (auto option = poll->cbegin(); option != poll->cend(); ++option)
                expected[poll.key()][option.key()] += option.value();
    QVERIFY(expected.value(frozen) != acknowledged.value(frozen)); // it took votes meanwhile
    qInfo("Reads while %s is frozen", qPrintable(frozen));
    CHECKED(waitExact(httpX, ids, expected, 3));
    CHECKED(waitExact(httpY, ids, expected, 3));
    QVERIFY2(!frozenSource->hgetall("poll:" + frozen.toUtf8()).isEmpty(),
             "the frozen poll's counts stay");
    voterX->release();
    voterY.release();

    // Rebalance on x, and kill x before it can finish; y keeps taking votes.
    QVERIFY(voterY.waitRounds(3));
    const HttpResponse started = httpX.post(Rebalance);
    VERIFY_STATUS(started, 202);
    QCOMPARE(started.json.value(QStringLiteral("polls_to_move")).toInt(), int(moving.size()));
    voterX->hold();
    x->kill();
    const PollVotes ackX = voterX->acknowledged();
    voterX->finish();
    QVERIFY(voterY.waitRounds(5));

    // x comes back (its journal replays what it had not stored) and finishes what it
    // left; y runs a rebalance of its own meanwhile: both movers join the same moves.
    x = std::make_unique<TallyProcess>(commonArgs({&a, &b, &c}) + xArgs, xDir.path());
    QVERIFY2(x->start(), qPrintable(x->diagnostics()));
    HttpClient httpX2(x->url());
    const HttpResponse second = httpY.post(Rebalance);
    VERIFY_STATUS(second, 202);
    CHECKED(waitRebalanced(httpY));
    QVERIFY(voterY.waitRounds(5));
    voterY.finish();
    QVERIFY2(voterY.unexpected().isEmpty(), qPrintable(voterY.unexpected().join(u'\n')));
    const HttpResponse statsX = httpX2.waitFor(
        Api + QStringLiteral("/stats"),
        [](const HttpResponse &r) {
            return r.status == 200 && rebalanceState(r.json) != u"running";
        },
        30000);
    QVERIFY2(rebalanceState(statsX.json) != u"failed", qPrintable(statsX.describe()));

    expected = acknowledged;
    for (const PollVotes &more : {ackX, voterY.acknowledged()})
        for (auto poll = more.cbegin(); poll != more.cend(); ++poll)
            for (auto option = poll->cbegin(); option != poll->cend(); ++option)
                expected[poll.key()][option.key()] += option.value();
    qInfo("Reads after the rebalance; moving: %s", qPrintable(moving.join(u' ')));
    CHECKED(waitSettled(httpX2));
    CHECKED(waitSettled(httpY));
    CHECKED(waitExact(httpX2, ids, expected, 3));
    // y counted the killed run's unflushed votes from its Pub/Sub reports until that run
    // has been silent for 10 s; the restarted run has replayed them since.
    CHECKED(waitExact(httpY, ids, expected, 3, 25000));
    for (const QString &id : ids)
        CHECKED(verifyPlacement({&a, &b, &c}, three, id, expected.value(id)));
    // Both instances agree on where each poll lives: where the ring says.
    for (HttpClient *http : {&httpX2, &httpY})
        for (const QString &id : ids) {
            const HttpResponse poll = http->get(Api + QStringLiteral("/polls/") + id);
            VERIFY_STATUS(poll, 200);
            QCOMPARE(poll.json.value(QStringLiteral("shard")).toString(), ringOwner(three, id));
        }
    // Nothing is left to move.
    const HttpResponse after = httpY.postJson(Rebalance, {{QStringLiteral("dry_run"), true}});
    VERIFY_STATUS(after, 200);
    QCOMPARE(after.json.value(QStringLiteral("polls_to_move")).toInt(-1), 0);
    QCOMPARE(y.stop(), 0);
    QCOMPARE(x->stop(), 0);
}

void TestRebalance::commandLineModeMovesPolls()
{
    RedisNode a, b, c;
    for (RedisNode *node : {&a, &b, &c})
        QVERIFY2(node->start(), qPrintable(node->diagnostics()));
    const QStringList three = {a.shardName(), b.shardName(), c.shardName()};
    QStringList ids;
    for (int i = 0; i < 12; ++i)
        ids.append(QStringLiteral("cli-%1").arg(i));
    PollVotes acknowledged;
    {
        TallyProcess before(commonArgs({&a, &b}));
        QVERIFY2(before.start(), qPrintable(before.diagnostics()));
        HttpClient http(before.url());
        for (const QString &id : ids) {
            VERIFY_STATUS(http.postJson(Api + QStringLiteral("/polls"),
                                        pollBody(id, {QStringLiteral("p"), QStringLiteral("q")})),
                          201);
            VERIFY_STATUS(http.postJson(Api + QStringLiteral("/vote/") + id,
                                        {{QStringLiteral("option_id"), QStringLiteral("B")}}),
                          202);
            ++acknowledged[id][QStringLiteral("B")];
        }
        QCOMPARE(before.stop(), 0);
    }
    QTemporaryDir runDir;
    const TallyProcess::Result run = TallyProcess::run(
        commonArgs({&a, &b, &c}) +
            QStringList{QStringLiteral("--rebalance"), QStringLiteral("--data-dir"), runDir.path()},
        30000);
    QVERIFY2(run.finished && run.exitCode == 0, qPrintable(run.out + run.err));
    QVERIFY2(run.out.contains(QStringLiteral("Rebalance done")), qPrintable(run.out));
    for (const QString &id : ids)
        CHECKED(verifyPlacement({&a, &b, &c}, three, id, acknowledged.value(id)));

    TallyProcess after(commonArgs({&a, &b, &c}));
    QVERIFY2(after.start(), qPrintable(after.diagnostics()));
    HttpClient http(after.url());
    CHECKED(waitExact(http, ids, acknowledged, 2));
    QCOMPARE(after.stop(), 0);
}

void TestRebalance::resetMultipleChoicePollMovesWithItsGeneration()
{
    RedisNode a, b, c;
    for (RedisNode *node : {&a, &b, &c})
        QVERIFY2(node->start(), qPrintable(node->diagnostics()));
    const QStringList two = {a.shardName(), b.shardName()};
    const QStringList three = {a.shardName(), b.shardName(), c.shardName()};
    QString id;
    for (int i = 0; id.isEmpty() && i < 1000; ++i)
        if (const QString candidate = QStringLiteral("gen-%1").arg(i);
            ringOwner(two, candidate) != ringOwner(three, candidate))
            id = candidate;
    QVERIFY(!id.isEmpty());
    RedisNode *source = ringOwner(two, id) == a.shardName() ? &a : &b;
    const QByteArray countsKey = "poll:" + id.toUtf8();
    const QByteArray metaKey = countsKey + ":meta";
    const QString vote = Api + QStringLiteral("/vote/") + id;
    const auto choices = [](const QStringList &options) {
        return QJsonObject{{QStringLiteral("option_ids"), QJsonArray::fromStringList(options)}};
    };
    const auto settledCounts = [](HttpClient &http, RedisNode *node, const QByteArray &key,
                                  const QMap<QByteArray, QByteArray> &expected) {
        const HttpResponse last = http.waitFor(
            Api + QStringLiteral("/stats"),
            [&](const HttpResponse &r) {
                return r.status == 200 && settled(r.json) && node->hgetall(key) == expected;
            },
            10000, 50);
        QVERIFY2(node->hgetall(key) == expected,
                 qPrintable(QStringLiteral("HGETALL %1: %2, expected %3")
                                .arg(QString::fromUtf8(key), describeHash(node->hgetall(key)),
                                     describeHash(expected))));
    };

    {
        // A multiple-choice poll with votes before and after a reset, on two nodes.
        TallyProcess before(commonArgs({&a, &b}));
        QVERIFY2(before.start(), qPrintable(before.diagnostics()));
        HttpClient http(before.url());
        QJsonObject body =
            pollBody(id, {QStringLiteral("x"), QStringLiteral("y"), QStringLiteral("z")});
        body.insert(QStringLiteral("max_choices"), 2);
        VERIFY_STATUS(http.postJson(Api + QStringLiteral("/polls"), body), 201);
        for (int i = 0; i < 2; ++i)
            VERIFY_STATUS(http.postJson(vote, choices({QStringLiteral("A"), QStringLiteral("B")})),
                          202);
        CHECKED(settledCounts(http, source, countsKey, {{"A", "2"}, {"B", "2"}, {"voters", "2"}}));
        VERIFY_STATUS(http.post(Api + QStringLiteral("/polls/") + id + QStringLiteral("/reset")),
                      200);
        VERIFY_STATUS(http.postJson(vote, choices({QStringLiteral("B"), QStringLiteral("C")})),
                      202);
        VERIFY_STATUS(http.postJson(vote, {{QStringLiteral("option_id"), QStringLiteral("A")}}),
                      202);
        CHECKED(settledCounts(http, source, countsKey,
                              {{"A", "1"}, {"B", "1"}, {"C", "1"}, {"voters", "2"}}));
        QCOMPARE(before.stop(), 0);
    }

    TallyProcess after(commonArgs({&a, &b, &c}));
    QVERIFY2(after.start(), qPrintable(after.diagnostics()));
    HttpClient http(after.url());
    VERIFY_STATUS(http.post(Rebalance), 202);
    CHECKED(waitRebalanced(http));

    // The copy carries the generation and the voters slot; the source keeps only its record.
    QCOMPARE(c.hgetall(metaKey).value("resets"), QByteArray("1"));
    QCOMPARE(c.hgetall(metaKey).value("max_choices"), QByteArray("2"));
    const QMap<QByteArray, QByteArray> moved{{"A", "1"}, {"B", "1"}, {"C", "1"}, {"voters", "2"}};
    QVERIFY2(c.hgetall(countsKey) == moved, qPrintable(describeHash(c.hgetall(countsKey))));
    QVERIFY(!source->exists(countsKey));
    QCOMPARE(source->hgetall(metaKey).value("move_state"), QByteArray("moved"));

    // A batch of the generation before the reset, landing on the target late, counts nothing.
    const RedisValue stale =
        c.command({"EVAL", MoveScripts::ApplyBatch, "4", "tally:flushed:late-run", countsKey,
                   countsKey + ":applied", metaKey, "1", "A", "late/A", "5", "0"});
    QVERIFY2(!stale.isError(), qPrintable(stale.describe()));
    QVERIFY2(c.hgetall(countsKey) == moved, qPrintable(describeHash(c.hgetall(countsKey))));

    // Votes and a reset after the move go to the target.
    VERIFY_STATUS(http.postJson(vote, choices({QStringLiteral("A"), QStringLiteral("C")})), 202);
    CHECKED(
        settledCounts(http, &c, countsKey, {{"A", "2"}, {"B", "1"}, {"C", "2"}, {"voters", "3"}}));
    VERIFY_STATUS(http.post(Api + QStringLiteral("/polls/") + id + QStringLiteral("/reset")), 200);
    QCOMPARE(c.hgetall(metaKey).value("resets"), QByteArray("2"));
    QVERIFY(!c.exists(countsKey));
    QCOMPARE(source->hgetall(metaKey).value("move_state"), QByteArray("moved"));
    VERIFY_STATUS(http.postJson(vote, choices({QStringLiteral("B")})), 202);
    CHECKED(settledCounts(http, &c, countsKey, {{"B", "1"}, {"voters", "1"}}));
    QCOMPARE(after.stop(), 0);
}

void TestRebalance::badRequestsAreRefused()
{
    RedisNode a;
    QVERIFY2(a.start(), qPrintable(a.diagnostics()));
    TallyProcess redis(redisArgs({&a}) +
                       QStringList{QStringLiteral("--admin-token"), QStringLiteral("tok")});
    QVERIFY2(redis.start(), qPrintable(redis.diagnostics()));
    HttpClient http(redis.url());
    const HttpHeaders admin{{"Authorization", "Bearer tok"}};

    VERIFY_STATUS(http.post(Rebalance), 401);
    QCOMPARE(http.post(Rebalance).errorCode(), QStringLiteral("unauthorized"));
    VERIFY_STATUS(http.post(Rebalance, {}, {{"Authorization", "Bearer nope"}}), 403);
    const HttpResponse notJson = http.post(
        Rebalance, "dry_run", {{"Authorization", "Bearer tok"}, {"Content-Type", "text/plain"}});
    VERIFY_STATUS(notJson, 415);
    QCOMPARE(notJson.errorCode(), QStringLiteral("unsupported_media_type"));
    VERIFY_STATUS(http.post(Rebalance, "{\"dry_run\":", admin), 400);
    const HttpResponse wrongType = http.post(Rebalance, "{\"dry_run\":\"yes\"}", admin);
    VERIFY_STATUS(wrongType, 422);
    QCOMPARE(wrongType.errorCode(), QStringLiteral("invalid_field"));
    const HttpResponse unknown = http.post(Rebalance, "{\"shards\":[\"a\"]}", admin);
    VERIFY_STATUS(unknown, 422);
    QCOMPARE(unknown.errorCode(), QStringLiteral("invalid_field"));
    const HttpResponse wrongMethod = http.get(Rebalance, admin);
    VERIFY_STATUS(wrongMethod, 405);
    QCOMPARE(wrongMethod.header("Allow"), QByteArray("POST"));
    // One node, nothing to move: a run that ends at once.
    const HttpResponse empty = http.post(Rebalance, {}, admin);
    VERIFY_STATUS(empty, 202);
    QCOMPARE(empty.json.value(QStringLiteral("polls_to_move")).toInt(-1), 0);
    QCOMPARE(redis.stop(), 0);

    // Embedded shards live in one process: nothing to move, said clearly.
    TallyProcess embedded;
    QVERIFY2(embedded.start(), qPrintable(embedded.diagnostics()));
    HttpClient local(embedded.url());
    const HttpResponse unsupported = local.post(Rebalance);
    VERIFY_STATUS(unsupported, 409);
    QCOMPARE(unsupported.errorCode(), QStringLiteral("rebalance_unsupported"));
    const HttpResponse stats = local.get(Api + QStringLiteral("/stats"));
    QCOMPARE(rebalanceState(stats.json), QStringLiteral("idle"));
    QCOMPARE(embedded.stop(), 0);
}

QTEST_GUILESS_MAIN(TestRebalance)
#include "tst_rebalance.moc"
