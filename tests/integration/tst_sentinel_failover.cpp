// Failover of Sentinel-monitored shards with real processes: per group one master, one
// replica and three sentinels on free loopback ports. Votes keep flowing while the
// master is SIGKILLed after it applied batches its (cut off) replica never received;
// the sentinels promote the replica, Tally follows, sends the lost batches again and
// every acknowledged vote is counted exactly once on the new master. The old master
// rejoining as a replica changes nothing. The same with two groups as two shards.
#include "httpclient.h"
#include "redisnode.h"
#include "shardtestkit.h"
#include "tallyprocess.h"
#include "voter.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QScopeGuard>
#include <QTest>
#include <memory>

namespace {

const QString Polls = Api + QStringLiteral("/polls");

// Sentinels notice a dead master within 400 ms; a failed failover is retried soon.
constexpr int DownAfterMs = 400;
constexpr int FailoverTimeoutMs = 2000;

// Polls `condition` every 50 ms until it holds or `timeoutMs` passes.
bool waitFor(const std::function<bool()> &condition, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!condition()) {
        if (deadline.hasExpired())
            return false;
        QTest::qWait(50);
    }
    return true;
}

QByteArray roleOf(RedisNode &node)
{
    const RedisValue role = node.command({"ROLE"});
    return role.elements.isEmpty() ? QByteArray() : role.elements[0].text;
}

bool linkUp(RedisNode &replica)
{
    return replica.command({"INFO", "replication"}).text.contains("master_link_status:up");
}

// One master, one replica, three sentinels.
class SentinelGroup {
public:
    explicit SentinelGroup(const QString &name) : m_name(name) {}

    QString name() const { return m_name; }
    RedisNode &master() { return m_master; }
    RedisNode &replica() { return m_replica; }

    bool start(QString *error)
    {
        if (!m_master.start() || !m_replica.start()) {
            *error = m_master.diagnostics() + m_replica.diagnostics();
            return false;
        }
        // Full synchronisations start at once (not after Redis' default 5 s delay), here
        // and when the old master rejoins.
        for (RedisNode *node : {&m_master, &m_replica})
            node->command({"CONFIG", "SET", "repl-diskless-sync-delay", "0"});
        m_replica.command({"REPLICAOF", "127.0.0.1", QByteArray::number(m_master.port())});
        if (!waitFor([this] { return linkUp(m_replica); }, 10000)) {
            *error = QStringLiteral("the replica did not connect to its master");
            return false;
        }
        for (auto &sentinel : m_sentinels) {
            sentinel = std::make_unique<RedisNode>();
            sentinel->monitor(m_name, m_master.port(), 2, DownAfterMs, FailoverTimeoutMs);
            if (!sentinel->start()) {
                *error = sentinel->diagnostics();
                return false;
            }
            // Sentinel's own periods (hello every 2 s, a returning old master left as it
            // is for 4 of them), shortened so the test takes seconds.
            const RedisValue tuned = sentinel->command(
                {"SENTINEL", "DEBUG", "info-period", "250", "publish-period", "250"});
            if (tuned.isError()) {
                *error = QStringLiteral("SENTINEL DEBUG: %1").arg(tuned.describe());
                return false;
            }
        }
        // A failover needs the sentinels to know the replica and each other.
        const bool known = waitFor(
            [this] {
                for (auto &sentinel : m_sentinels)
                    if (sentinel->command({"SENTINEL", "replicas", m_name.toUtf8()})
                                .elements.size() != 1 ||
                        sentinel->command({"SENTINEL", "sentinels", m_name.toUtf8()})
                                .elements.size() != 2)
                        return false;
                return true;
            },
            20000);
        if (!known)
            *error = QStringLiteral("the sentinels did not discover the replica and each other");
        return known;
    }

    // name=sentinel://a,b,c/name
    QString spec() const
    {
        QStringList addresses;
        for (const auto &sentinel : m_sentinels)
            addresses.append(QStringLiteral("127.0.0.1:%1").arg(sentinel->port()));
        return QStringLiteral("%1=sentinel://%2/%1").arg(m_name, addresses.join(u','));
    }

private:
    QString m_name;
    RedisNode m_master;
    RedisNode m_replica;
    std::unique_ptr<RedisNode> m_sentinels[3];
};

// Tally on the given shards, keeping batches until one replica has them, with short
// timeouts so that a failover is noticed within the test's time.
QStringList failoverArguments(const QString &nodes)
{
    return {QStringLiteral("--redis-nodes"),           nodes,
            QStringLiteral("--redis-min-replicas"),    QStringLiteral("1"),
            QStringLiteral("--redis-replica-timeout"), QStringLiteral("300"),
            QStringLiteral("--redis-connect-timeout"), QStringLiteral("300"),
            QStringLiteral("--redis-command-timeout"), QStringLiteral("1000"),
            QStringLiteral("--breaker-reset"),         QStringLiteral("0.5"),
            QStringLiteral("--batch-interval"),        QStringLiteral("0.05")};
}

QJsonObject statsOf(HttpClient &http)
{
    return http.get(Api + QStringLiteral("/stats")).json;
}

qint64 flushedSequence(RedisNode &node, const QString &instance)
{
    return node.command({"GET", "tally:flushed:" + instance.toUtf8()}).text.toLongLong();
}

qint64 metric(HttpClient &http, const QByteArray &name)
{
    for (const QByteArray &line : http.get(QStringLiteral("/metrics")).body.split('\n'))
        if (line.startsWith(name + ' '))
            return line.mid(name.size() + 1).toLongLong();
    return -1;
}

// Nothing buffered, in flight or queued, every shard up (batches may still await replicas).
bool settled(HttpClient &http)
{
    const QJsonObject stats = statsOf(http);
    if (statValue(stats, QStringLiteral("buffer"), QStringLiteral("depth")) != 0 ||
        statValue(stats, QStringLiteral("buffer"), QStringLiteral("in_flight")) != 0)
        return false;
    for (const QJsonValue &shard : stats.value(QStringLiteral("shards")).toArray())
        if (shard.toObject().value(QStringLiteral("state")).toString() != u"up" ||
            shard.toObject().value(QStringLiteral("queued_batches")).toInteger() != 0)
            return false;
    return true;
}

} // namespace

class TestSentinelFailover : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void failoverKeepsEveryAcknowledgedVote();
    void twoGroupsAsTwoShards();
    void pollNeverReplicatedSurvivesFailover();

private:
    void runFailover(const QList<SentinelGroup *> &groups);
};

void TestSentinelFailover::failoverKeepsEveryAcknowledgedVote()
{
    SentinelGroup group(QStringLiteral("g1"));
    runFailover({&group});
}

void TestSentinelFailover::twoGroupsAsTwoShards()
{
    SentinelGroup first(QStringLiteral("g1"));
    SentinelGroup second(QStringLiteral("g2"));
    runFailover({&first, &second});
}

void TestSentinelFailover::pollNeverReplicatedSurvivesFailover()
{
    // A poll created after its master's replica lost the link exists only on that master:
    // when it dies the promoted replica lacks the poll's record (its counts come back with
    // the batches sent again). Tally writes the record back before those batches, and
    // keeps serving the poll instead of taking it for deleted.
    SentinelGroup group(QStringLiteral("g1"));
    QString error;
    QVERIFY2(group.start(&error), qPrintable(error));
    TallyProcess tally(failoverArguments(group.spec()) +
                       QStringList{QStringLiteral("--catalog-refresh"), QStringLiteral("0.1")});
    QVERIFY2(tally.start(), qPrintable(tally.diagnostics()));
    const auto reportOnFailure = qScopeGuard([&] {
        if (QTest::currentTestFailed())
            qWarning().noquote() << tally.stderrText();
    });
    HttpClient http(tally.url());
    QTRY_VERIFY_WITH_TIMEOUT(http.get(QStringLiteral("/ready")).status == 200, 15000);

    QVERIFY(!group.master().command({"CONFIG", "SET", "requirepass", "cut-off"}).isError());
    QVERIFY(!group.master().command({"CLIENT", "KILL", "TYPE", "replica"}).isError());
    QVERIFY(waitFor([&] { return !linkUp(group.replica()); }, 5000));

    const QString id = QStringLiteral("unreplicated");
    VERIFY_STATUS(http.postJson(Polls, pollBody(id, {QStringLiteral("Red"), QStringLiteral("Green"),
                                                     QStringLiteral("Blue")})),
                  201);
    QList<HttpRequest> votes;
    Counts cast;
    for (int i = 0; i < 12; ++i) {
        const QString option = i < 7 ? QStringLiteral("A") : QStringLiteral("B");
        votes.append(voteRequest({id, option}));
        ++cast[option];
    }
    for (const HttpResponse &response : http.sendAll(votes))
        VERIFY_STATUS(response, 202);
    const QByteArray countsKey = "poll:" + id.toUtf8();
    QTRY_COMPARE_WITH_TIMEOUT(describeHash(group.master().hgetall(countsKey)),
                              describeHash(expectedHash(cast)), 10000);
    QVERIFY(!group.replica().exists(countsKey + ":meta"));

    QVERIFY(!group.master().command({"CLIENT", "PAUSE", "10000", "WRITE"}).isError());
    group.master().kill();
    QVERIFY(waitFor([&] { return roleOf(group.replica()) == "master"; }, 30000));
    QTRY_COMPARE_WITH_TIMEOUT(
        shardOf(statsOf(http), group.name()).value(QStringLiteral("failovers")).toInt(), 1, 30000);

    // The new master holds the poll's record, lists it, and has every vote once.
    QTRY_VERIFY_WITH_TIMEOUT(group.replica().smembers("polls").contains(id.toUtf8()), 10000);
    const QMap<QByteArray, QByteArray> meta = group.replica().hgetall(countsKey + ":meta");
    QCOMPARE(meta.value("id"), id.toUtf8());
    QCOMPARE(meta.value("options"), QByteArray(R"(["Red","Green","Blue"])"));
    QCOMPARE(meta.value("status"), QByteArray("open"));
    QTRY_COMPARE_WITH_TIMEOUT(describeHash(group.replica().hgetall(countsKey)),
                              describeHash(expectedHash(cast)), 10000);

    // Catalog refreshes (every 100 ms) keep the poll: it takes votes and answers results.
    const QString resultsPath = Api + QStringLiteral("/results/") + id;
    for (int round = 0; round < 3; ++round) {
        const QList<HttpResponse> voted = http.sendAll({voteRequest({id, QStringLiteral("C")})});
        VERIFY_STATUS(voted.constFirst(), 202);
        ++cast[QStringLiteral("C")];
        const HttpResponse results = http.get(resultsPath);
        VERIFY_STATUS(results, 200);
        QCOMPARE(results.json.value(QStringLiteral("total")).toInteger(), total(cast));
        QTRY_COMPARE_WITH_TIMEOUT(describeHash(group.replica().hgetall(countsKey)),
                                  describeHash(expectedHash(cast)), 10000);
    }
    QCOMPARE(tally.stop(), 0);
}

void TestSentinelFailover::runFailover(const QList<SentinelGroup *> &groups)
{
    QStringList specs;
    QStringList names;
    for (SentinelGroup *group : groups) {
        QString error;
        QVERIFY2(group->start(&error), qPrintable(error));
        specs.append(group->spec());
        names.append(group->name());
    }
    TallyProcess tally(failoverArguments(specs.join(u',')) +
                       QStringList{QStringLiteral("--workers"), QStringLiteral("2"),
                                   QStringLiteral("--admin-token"), QStringLiteral("tok")});
    QVERIFY2(tally.start(), qPrintable(tally.diagnostics()));
    HttpClient http(tally.url());
    http.setDefaultHeader("Authorization", "Bearer tok"); // stats show masters to an admin
    QTRY_VERIFY_WITH_TIMEOUT(http.get(QStringLiteral("/ready")).status == 200, 15000);

    // One poll on each group's shard, as the ring places them.
    QList<Vote> pattern;
    QMap<QString, QString> pollOf; // group -> poll id
    for (const QString &name : names) {
        const QString id = idsOn(names, name, QStringLiteral("p"), 1).constFirst();
        const HttpResponse created = http.postJson(
            Polls,
            pollBody(id, {QStringLiteral("Red"), QStringLiteral("Green"), QStringLiteral("Blue")}));
        VERIFY_STATUS(created, 201);
        QCOMPARE(created.json.value(QStringLiteral("shard")).toString(), name);
        pollOf.insert(name, id);
        for (const QString &option :
             {QStringLiteral("A"), QStringLiteral("B"), QStringLiteral("C")})
            pattern.append({id, option});
    }

    Voter voter(tally.url(), pattern, 10);
    voter.start();
    QVERIFY(voter.waitRounds(5));

    // The replicas lose their link and cannot make it again (the master now wants a
    // password for new connections; established ones, Tally's included, stay): their
    // masters go on applying batches the replicas never get.
    QMap<QString, qint64> before;
    for (SentinelGroup *group : groups) {
        before.insert(group->name(), flushedSequence(group->master(), tally.instanceId()));
        QVERIFY(!group->master().command({"CONFIG", "SET", "requirepass", "cut-off"}).isError());
        QVERIFY(!group->master().command({"CLIENT", "KILL", "TYPE", "replica"}).isError());
    }
    for (SentinelGroup *group : groups)
        QVERIFY2(waitFor(
                     [&] {
                         return flushedSequence(group->master(), tally.instanceId()) >=
                                before.value(group->name()) + 3;
                     },
                     10000),
                 "the master applied no batches while its replica was cut off");
    QMap<QString, qint64> lastOnOldMaster;
    for (SentinelGroup *group : groups) {
        // Writes stop first, so the last batch the master holds is known when it dies.
        QVERIFY(!group->master().command({"CLIENT", "PAUSE", "10000", "WRITE"}).isError());
        lastOnOldMaster.insert(group->name(), flushedSequence(group->master(), tally.instanceId()));
        group->master().kill();
    }
    QElapsedTimer outage;
    outage.start();
    const qint64 acknowledgedBefore = voter.acknowledgedTotal();

    // The sentinels promote the replicas; Tally follows, sends the lost batches again
    // and writes new ones. Measured for bench/RESULTS.md (not asserted): how long until
    // every new master holds more than its old master had, and how many acknowledged
    // votes waited in memory meanwhile.
    qint64 mostPending = 0;
    // What a failure message needs: the shards as Tally reports them, each new master's
    // role and sequence, and Tally's log (QVERIFY2 cuts its message short).
    const auto report = [&] {
        qWarning().noquote() << "shards:"
                             << QJsonDocument(
                                    statsOf(http).value(QStringLiteral("shards")).toArray())
                                    .toJson(QJsonDocument::Compact);
        for (SentinelGroup *group : groups)
            qWarning().noquote() << group->name() << "replica ROLE" << roleOf(group->replica())
                                 << "flushed"
                                 << flushedSequence(group->replica(), tally.instanceId())
                                 << "old master had" << lastOnOldMaster.value(group->name());
        qWarning().noquote() << tally.stderrText();
    };
    const auto reportOnFailure = qScopeGuard([&] {
        if (QTest::currentTestFailed())
            report();
    });
    const bool recovered = waitFor(
        [&] {
            const QJsonObject stats = statsOf(http);
            mostPending = std::max(
                mostPending,
                statValue(stats, QStringLiteral("buffer"), QStringLiteral("depth")) +
                    statValue(stats, QStringLiteral("buffer"), QStringLiteral("in_flight")));
            for (SentinelGroup *group : groups)
                if (flushedSequence(group->replica(), tally.instanceId()) <=
                    lastOnOldMaster.value(group->name()))
                    return false;
            return true;
        },
        30000);
    QVERIFY2(recovered, "writes did not recover on every new master");
    qInfo("FAILOVER %d group(s): writes recovered %lld ms after SIGKILL of the master(s); %lld "
          "vote(s) acknowledged meanwhile, at most %lld waiting in memory at once",
          int(groups.size()), outage.elapsed(), voter.acknowledgedTotal() - acknowledgedBefore,
          mostPending);
    const QJsonObject afterFailover = statsOf(http);
    for (const QString &name : names) {
        QCOMPARE(shardOf(afterFailover, name).value(QStringLiteral("failovers")).toInt(), 1);
        QCOMPARE(shardOf(afterFailover, name).value(QStringLiteral("state")).toString(),
                 QStringLiteral("up"));
    }
    // (The sentinels close every client connection of a node they promote: ask again.)
    for (SentinelGroup *group : groups)
        QVERIFY(waitFor([&] { return roleOf(group->replica()) == "master"; }, 5000));
    QVERIFY(voter.waitRounds(5));
    voter.finish();
    QVERIFY2(voter.unexpected().isEmpty(), qPrintable(voter.unexpected().join(u'\n')));
    QCOMPARE(voter.overloaded(), 0);
    QTRY_VERIFY_WITH_TIMEOUT(settled(http), 15000);

    const PollVotes acknowledged = voter.acknowledged();
    const auto verifyCounts = [&](bool throughOldMasters) {
        for (SentinelGroup *group : groups) {
            const QString id = pollOf.value(group->name());
            QCOMPARE(describeHash(group->replica().hgetall("poll:" + id.toUtf8())),
                     describeHash(expectedHash(acknowledged.value(id))));
            if (throughOldMasters)
                QCOMPARE(describeHash(group->master().hgetall("poll:" + id.toUtf8())),
                         describeHash(expectedHash(acknowledged.value(id))));
            const HttpResponse results = http.get(Api + QStringLiteral("/results/") + id);
            VERIFY_STATUS(results, 200);
            QCOMPARE(results.json.value(QStringLiteral("total")).toInteger(),
                     total(acknowledged.value(id)));
        }
    };
    verifyCounts(false);
    if (QTest::currentTestFailed())
        return;
    // The batches the old masters applied and never replicated were sent again.
    const qint64 replayed = metric(http, "tally_batches_replayed_total");
    QVERIFY2(replayed >= groups.size(),
             qPrintable(QString::number(replayed) + u'\n' + tally.stderrText()));

    // The old masters come back with batches their successors sent again: the sentinels
    // make them replicas, they resynchronise, and nothing changes.
    for (SentinelGroup *group : groups)
        QVERIFY2(group->master().restart(), qPrintable(group->master().diagnostics()));
    for (SentinelGroup *group : groups)
        QVERIFY2(
            waitFor([&] { return roleOf(group->master()) == "slave" && linkUp(group->master()); },
                    30000),
            "the old master did not rejoin as a replica");
    // With a replica again, the kept batches are confirmed and their journal epochs go.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const QJsonObject stats = statsOf(http);
            for (const QString &name : names)
                if (shardOf(stats, name).value(QStringLiteral("awaiting_replicas")).toInt(-1) !=
                        0 ||
                    shardOf(stats, name).value(QStringLiteral("replica_count")).toInt() != 1)
                    return false;
            return fullyFlushed(stats);
        }(),
        15000);
    verifyCounts(true);
    // Every view names the new master, its one replica (the old master) and one failover.
    const QJsonObject ready = http.get(QStringLiteral("/ready")).json;
    QCOMPARE(ready.value(QStringLiteral("shards")).toArray().size(), groups.size());
    for (const QJsonValue &shard : ready.value(QStringLiteral("shards")).toArray()) {
        QCOMPARE(shard.toObject().value(QStringLiteral("failovers")).toInt(), 1);
        QCOMPARE(shard.toObject().value(QStringLiteral("replicas")).toInt(), 1);
    }
    const QJsonObject stats = statsOf(http);
    for (SentinelGroup *group : groups) {
        const QJsonObject shard = shardOf(stats, group->name());
        QCOMPARE(shard.value(QStringLiteral("master")).toString(),
                 QStringLiteral("127.0.0.1:%1").arg(group->replica().port()));
        QCOMPARE(shard.value(QStringLiteral("replicas")).toArray(),
                 QJsonArray{QStringLiteral("127.0.0.1:%1").arg(group->master().port())});
        QCOMPARE(shard.value(QStringLiteral("monitor")).toString(), group->spec().section(u'=', 1));
        const QByteArray label = "{shard=\"" + group->name().toUtf8() + "\"}";
        QCOMPARE(metric(http, "tally_shard_failovers_total" + label), 1);
        QCOMPARE(metric(http, "tally_shard_replicas" + label), 1);
        QCOMPARE(metric(http, "tally_shard_up" + label), 1);
    }
    QCOMPARE(tally.stop(), 0);
}

QTEST_GUILESS_MAIN(TestSentinelFailover)
#include "tst_sentinel_failover.moc"
