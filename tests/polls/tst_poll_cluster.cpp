// Reset and timed close with two instances sharing two Redis nodes (Pub/Sub between
// them), and across a SIGKILL of the instance holding old votes in its buffer.
#include "httpclient.h"
#include "redisnode.h"
#include "shardtestkit.h"
#include "tallyprocess.h"
#include "tcpproxy.h"
#include "wsclient.h"

#include <QDateTime>
#include <QElapsedTimer>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTemporaryDir>
#include <QTest>
#include <csignal>
#include <memory>

namespace {

const QByteArray Token = QByteArrayLiteral("poll-cluster-token");
const HttpHeaders Admin{{QByteArrayLiteral("Authorization"), "Bearer " + Token}};

QByteArray single(const QString &option)
{
    return QJsonDocument(QJsonObject{{QStringLiteral("option_id"), option}})
        .toJson(QJsonDocument::Compact);
}

QJsonObject counts(int a, int b)
{
    return {{QStringLiteral("A"), a}, {QStringLiteral("B"), b}};
}

} // namespace

class TestPollCluster : public QObject {
    Q_OBJECT

private:
    std::unique_ptr<TallyProcess> startInstance(const QString &name, const QString &dataDir,
                                                const QStringList &extra = {});
    // Waits until `client` answers exactly `expected` for the poll's results.
    static bool resultsBecome(HttpClient &client, const QString &pollId,
                              const QJsonObject &expected, int timeoutMs = 10000);
    static QUrl wsUrl(const TallyProcess &tally);
    // Creates the poll (options x and y unless `body` says otherwise) through `creator` and
    // waits until `other` knows it.
    static bool createPollSeenByBoth(HttpClient &creator, HttpClient &other, const QString &id,
                                     QJsonObject body = {});
    // Votes as a client that honours 503 poll_resetting does: sends it again until it
    // is answered otherwise (a refused vote counts nowhere).
    static HttpResponse voteUntilAnswered(HttpClient &client, const QString &pollId,
                                          const QString &option);

    RedisNode m_first;
    RedisNode m_second;

private Q_SLOTS:
    void initTestCase();
    void resetOnEveryInstance();
    void resetWhileOtherInstanceIsKilled();
    void killedRunIsTakenOverByItsNextRun();
    void resetIsExactOnInstanceCutOffFromPubSub();
    void resetWaitsForEveryLiveInstance();
    void instanceCutOffFromShardFencesItself();
    void timedCloseOnEveryInstance();
};

void TestPollCluster::initTestCase()
{
    QVERIFY(m_first.start());
    QVERIFY(m_second.start());
}

std::unique_ptr<TallyProcess> TestPollCluster::startInstance(const QString &name,
                                                             const QString &dataDir,
                                                             const QStringList &extra)
{
    auto tally = std::make_unique<TallyProcess>(
        redisArgs({&m_first, &m_second}) +
            QStringList{QStringLiteral("--instance-id"), name, QStringLiteral("--admin-token"),
                        QString::fromLatin1(Token)} +
            extra,
        dataDir);
    if (!tally->start()) {
        qWarning("%s", qPrintable(tally->diagnostics()));
        return nullptr;
    }
    return tally;
}

bool TestPollCluster::resultsBecome(HttpClient &client, const QString &pollId,
                                    const QJsonObject &expected, int timeoutMs)
{
    const HttpResponse last = client.waitFor(
        Api + QStringLiteral("/results/") + pollId,
        [&](const HttpResponse &r) {
            return r.json.value(QStringLiteral("results")).toObject() == expected;
        },
        timeoutMs);
    if (last.json.value(QStringLiteral("results")).toObject() == expected)
        return true;
    qWarning("results of %s: %s", qPrintable(pollId), qPrintable(last.describe()));
    return false;
}

HttpResponse TestPollCluster::voteUntilAnswered(HttpClient &client, const QString &pollId,
                                                const QString &option)
{
    HttpResponse response;
    TestKit::waitFor(
        [&] {
            response = client.post(Api + QStringLiteral("/vote/") + pollId, single(option));
            return !(response.status == 503 && response.errorCode() == u"poll_resetting");
        },
        10000);
    return response;
}

bool TestPollCluster::createPollSeenByBoth(HttpClient &creator, HttpClient &other,
                                           const QString &id, QJsonObject body)
{
    if (body.isEmpty())
        body = pollBody(id, {QStringLiteral("x"), QStringLiteral("y")});
    const HttpResponse created = creator.postJson(Api + QStringLiteral("/polls"), body, Admin);
    if (created.status != 201) {
        qWarning("creating %s: %s", qPrintable(id), qPrintable(created.describe()));
        return false;
    }
    const HttpResponse seen = other.waitFor(Api + QStringLiteral("/polls/") + id,
                                            [](const HttpResponse &r) { return r.status == 200; });
    if (seen.status == 200)
        return true;
    qWarning("the other instance does not know %s: %s", qPrintable(id),
             qPrintable(seen.describe()));
    return false;
}

QUrl TestPollCluster::wsUrl(const TallyProcess &tally)
{
    return WsClient::wsUrl(tally.url());
}

void TestPollCluster::resetOnEveryInstance()
{
    QTemporaryDir dirA, dirB;
    const auto a = startInstance(QStringLiteral("reset-a"), dirA.path());
    // The second instance keeps its votes in its buffer for a minute: its old votes are
    // still there, unflushed, when the first one resets the poll.
    const auto b = startInstance(QStringLiteral("reset-b"), dirB.path(),
                                 {QStringLiteral("--batch-interval"), QStringLiteral("60")});
    QVERIFY(a && b);
    HttpClient clientA(a->url()), clientB(b->url());
    QVERIFY(createPollSeenByBoth(clientA, clientB, QStringLiteral("shared")));
    WsClient watcher;
    QVERIFY(watcher.open(wsUrl(*b)));
    watcher.send({{"type", "subscribe"}, {"poll_id", "shared"}});

    for (int i = 0; i < 4; ++i)
        VERIFY_STATUS(
            clientB.post(Api + QStringLiteral("/vote/shared"), single(QStringLiteral("A"))), 202);
    for (int i = 0; i < 3; ++i)
        VERIFY_STATUS(
            clientA.post(Api + QStringLiteral("/vote/shared"), single(QStringLiteral("B"))), 202);
    QVERIFY(resultsBecome(clientA, QStringLiteral("shared"), counts(4, 3)));
    QVERIFY(resultsBecome(clientB, QStringLiteral("shared"), counts(4, 3)));

    const HttpResponse reset = clientA.post(Api + QStringLiteral("/polls/shared/reset"), {}, Admin);
    VERIFY_STATUS(reset, 200);
    // The other instance hears of the reset (poll_updated) and from then on counts anew.
    QVERIFY(clientB
                .waitFor(Api + QStringLiteral("/polls/shared"),
                         [](const HttpResponse &r) { return r.json.value("resets").toInt() == 1; })
                .json.value("resets")
                .toInt() == 1);
    QVERIFY(watcher.next([](const QJsonObject &m) {
        return m.value("type").toString() == u"results" && m.value("total").toInt() == 0;
    }));
    QVERIFY(resultsBecome(clientA, QStringLiteral("shared"), counts(0, 0)));
    QVERIFY(resultsBecome(clientB, QStringLiteral("shared"), counts(0, 0)));

    for (int i = 0; i < 2; ++i)
        VERIFY_STATUS(
            clientB.post(Api + QStringLiteral("/vote/shared"), single(QStringLiteral("A"))), 202);
    VERIFY_STATUS(clientA.post(Api + QStringLiteral("/vote/shared"), single(QStringLiteral("B"))),
                  202);
    QVERIFY(resultsBecome(clientA, QStringLiteral("shared"), counts(2, 1)));
    QVERIFY(resultsBecome(clientB, QStringLiteral("shared"), counts(2, 1)));

    // The second instance flushes everything it holds, old votes included, as it stops
    // (exit code 0: nothing left): only the votes after the reset are stored.
    QCOMPARE(b->stop(), 0);
    QVERIFY(resultsBecome(clientA, QStringLiteral("shared"), counts(2, 1)));
    const auto again = startInstance(QStringLiteral("reset-b"), dirB.path());
    QVERIFY(again);
    HttpClient clientB2(again->url());
    QVERIFY(resultsBecome(clientB2, QStringLiteral("shared"), counts(2, 1)));
}

void TestPollCluster::resetWhileOtherInstanceIsKilled()
{
    QTemporaryDir dirA, dirB;
    const auto a = startInstance(QStringLiteral("kill-a"), dirA.path());
    const QStringList slow{QStringLiteral("--batch-interval"), QStringLiteral("60")};
    const auto b = startInstance(QStringLiteral("kill-b"), dirB.path(), slow);
    QVERIFY(a && b);
    HttpClient clientA(a->url()), clientB(b->url());
    QVERIFY(createPollSeenByBoth(clientA, clientB, QStringLiteral("crashy")));
    // Old votes on B: journaled, never flushed.
    for (int i = 0; i < 5; ++i)
        VERIFY_STATUS(
            clientB.post(Api + QStringLiteral("/vote/crashy"), single(QStringLiteral("A"))), 202);
    VERIFY_STATUS(clientA.post(Api + QStringLiteral("/polls/crashy/reset"), {}, Admin), 200);
    QVERIFY(clientB
                .waitFor(Api + QStringLiteral("/polls/crashy"),
                         [](const HttpResponse &r) { return r.json.value("resets").toInt() == 1; })
                .json.value("resets")
                .toInt() == 1);
    // New votes on B: journaled too.
    for (int i = 0; i < 2; ++i)
        VERIFY_STATUS(
            clientB.post(Api + QStringLiteral("/vote/crashy"), single(QStringLiteral("B"))), 202);
    b->kill();
    // Its journal is replayed at the next start: the old votes stay out.
    const auto again = startInstance(QStringLiteral("kill-b"), dirB.path());
    QVERIFY(again);
    HttpClient clientB2(again->url());
    QVERIFY(resultsBecome(clientB2, QStringLiteral("crashy"), counts(0, 2)));
    // A drops the killed run's unflushed votes (heard over Pub/Sub) when the new run's own
    // counts of the poll arrive; under load that may take a few heartbeats.
    QVERIFY(resultsBecome(clientA, QStringLiteral("crashy"), counts(0, 2), 20000));
}

// A run killed with votes only in its journal: the next run replays them and counts them
// as its own, and the other instance, which heard them from the killed run, must not count
// them twice. (Without the hand-over it would, until it forgot the killed run 10 s later.)
void TestPollCluster::killedRunIsTakenOverByItsNextRun()
{
    QTemporaryDir dirA, dirB;
    const auto a = startInstance(QStringLiteral("handover-a"), dirA.path());
    const QStringList slow{QStringLiteral("--batch-interval"), QStringLiteral("60")};
    auto b = startInstance(QStringLiteral("handover-b"), dirB.path(), slow);
    QVERIFY(a && b);
    HttpClient clientA(a->url()), clientB(b->url());
    QVERIFY(createPollSeenByBoth(clientA, clientB, QStringLiteral("handover")));
    for (int i = 0; i < 3; ++i)
        VERIFY_STATUS(
            clientB.post(Api + QStringLiteral("/vote/handover"), single(QStringLiteral("A"))), 202);
    // Journaled and acknowledged, not flushed: A knows them from B's Pub/Sub counts.
    QVERIFY(resultsBecome(clientA, QStringLiteral("handover"), counts(3, 0)));

    b->kill();
    const auto next = startInstance(QStringLiteral("handover-b"), dirB.path(), slow);
    QVERIFY(next);
    HttpClient clientNext(next->url());
    QVERIFY(resultsBecome(clientNext, QStringLiteral("handover"), counts(3, 0)));
    // The next run publishes the replayed votes within a live interval; A hears them from
    // it while it still remembers the killed run's.
    QElapsedTimer window;
    window.start();
    while (window.elapsed() < 3000) {
        const HttpResponse read = clientA.get(Api + QStringLiteral("/results/handover"));
        VERIFY_STATUS(read, 200);
        QCOMPARE(read.json.value(QStringLiteral("results")).toObject(), counts(3, 0));
        QTest::qWait(50);
    }
    QCOMPARE(next->stop(), 0);
    QVERIFY(resultsBecome(clientA, QStringLiteral("handover"), counts(3, 0)));
}

void TestPollCluster::resetIsExactOnInstanceCutOffFromPubSub()
{
    QTemporaryDir dirA, dirB;
    const auto a = startInstance(QStringLiteral("deaf-a"), dirA.path());
    // One worker whose buffer goes out every fifth vote: B's old votes wait in it.
    const auto b = startInstance(QStringLiteral("deaf-b"), dirB.path(),
                                 {QStringLiteral("--workers"), QStringLiteral("1"),
                                  QStringLiteral("--batch-interval"), QStringLiteral("60"),
                                  QStringLiteral("--batch-max-votes"), QStringLiteral("5")});
    QVERIFY(a && b);
    HttpClient clientA(a->url()), clientB(b->url());
    QVERIFY(createPollSeenByBoth(clientA, clientB, QStringLiteral("deaf")));
    for (int i = 0; i < 3; ++i)
        VERIFY_STATUS(clientB.post(Api + QStringLiteral("/vote/deaf"), single(QStringLiteral("A"))),
                      202);
    QVERIFY(resultsBecome(clientA, QStringLiteral("deaf"), counts(3, 0)));

    // Every Pub/Sub subscription is cut: the instances subscribe again after a backoff,
    // and whatever is published meanwhile never reaches them.
    for (RedisNode *node : {&m_first, &m_second}) {
        const RedisValue killed = node->command({"CLIENT", "KILL", "TYPE", "pubsub"});
        QVERIFY2(!killed.isError() && killed.integer >= 2, qPrintable(killed.describe()));
    }
    const HttpResponse reset = clientA.post(Api + QStringLiteral("/polls/deaf/reset"), {}, Admin);
    VERIFY_STATUS(reset, 200);
    QCOMPARE(reset.json.value("resets").toInt(), 1);
    // Acknowledged by B after the reset's answer: every one counts. (The second one
    // fills B's buffer and sends it.)
    for (int i = 0; i < 5; ++i)
        VERIFY_STATUS(voteUntilAnswered(clientB, QStringLiteral("deaf"), QStringLiteral("B")), 202);
    QVERIFY(resultsBecome(clientB, QStringLiteral("deaf"), counts(0, 5)));
    QVERIFY(resultsBecome(clientA, QStringLiteral("deaf"), counts(0, 5)));
    QMap<QByteArray, QByteArray> stored = m_first.hgetall("poll:deaf");
    stored.insert(m_second.hgetall("poll:deaf"));
    QCOMPARE(stored, (QMap<QByteArray, QByteArray>{{"B", "5"}}));
    // B accounts for each vote it acknowledged: stored, or discarded by the reset.
    QVERIFY(TestKit::waitFor([&] {
        const HttpResponse stats = clientB.get(Api + QStringLiteral("/stats"));
        return statValue(stats, QStringLiteral("votes"), QStringLiteral("flushed")) == 5;
    }));
    const HttpResponse stats = clientB.get(Api + QStringLiteral("/stats"));
    QCOMPARE(statValue(stats, QStringLiteral("votes"), QStringLiteral("accepted")), 8);
    QCOMPARE(statValue(stats, QStringLiteral("votes"), QStringLiteral("discarded")), 3);
}

void TestPollCluster::resetWaitsForEveryLiveInstance()
{
    QTemporaryDir dirA, dirB, dirC;
    // The reset gives up well before a paused instance's lease runs out.
    const QStringList quick{QStringLiteral("--instance-lease"), QStringLiteral("4"),
                            QStringLiteral("--reset-timeout"), QStringLiteral("1")};
    const auto a = startInstance(QStringLiteral("live-a"), dirA.path(), quick);
    const auto b = startInstance(QStringLiteral("live-b"), dirB.path(), quick);
    QVERIFY(a && b);
    HttpClient clientA(a->url()), clientB(b->url());
    QVERIFY(createPollSeenByBoth(clientA, clientB, QStringLiteral("live")));
    VERIFY_STATUS(clientB.post(Api + QStringLiteral("/vote/live"), single(QStringLiteral("A"))),
                  202);
    QVERIFY(resultsBecome(clientA, QStringLiteral("live"), counts(1, 0)));

    // B is up (its lease on the shards stands) but answers nothing: the reset cannot
    // know that B counts anew, so it fails, and changes nothing.
    QCOMPARE(::kill(pid_t(b->pid()), SIGSTOP), 0);
    const HttpResponse refused = clientA.post(Api + QStringLiteral("/polls/live/reset"), {}, Admin);
    QCOMPARE(::kill(pid_t(b->pid()), SIGCONT), 0);
    VERIFY_STATUS(refused, 503);
    QCOMPARE(refused.errorCode(), QStringLiteral("reset_incomplete"));
    QVERIFY2(refused.body.contains("live-b"), refused.body.constData());
    QVERIFY(!refused.header("retry-after").isEmpty());
    QCOMPARE(clientA.get(Api + QStringLiteral("/polls/live")).json.value("resets").toInt(), 0);
    QVERIFY(resultsBecome(clientB, QStringLiteral("live"), counts(1, 0)));
    // (Resumed, B may hold the poll's votes a moment: until it finds the reset withdrawn.)
    VERIFY_STATUS(voteUntilAnswered(clientB, QStringLiteral("live"), QStringLiteral("A")), 202);
    // Tried again with B answering: it counts anew at once.
    VERIFY_STATUS(clientA.post(Api + QStringLiteral("/polls/live/reset"), {}, Admin), 200);
    VERIFY_STATUS(voteUntilAnswered(clientB, QStringLiteral("live"), QStringLiteral("B")), 202);
    QVERIFY(resultsBecome(clientA, QStringLiteral("live"), counts(0, 1)));

    // A killed instance holds resets up only until its lease runs out; one that
    // starts reads the poll's generation as it loads the poll.
    b->kill();
    const HttpResponse afterKill =
        clientA.post(Api + QStringLiteral("/polls/live/reset"), {}, Admin);
    if (afterKill.status == 503)
        QCOMPARE(afterKill.errorCode(), QStringLiteral("reset_incomplete"));
    else
        VERIFY_STATUS(afterKill, 200);
    const HttpResponse done = clientA.waitFor(
        Api + QStringLiteral("/polls/live"),
        [&](const HttpResponse &r) {
            if (r.json.value("resets").toInt() == 3)
                return true;
            clientA.post(Api + QStringLiteral("/polls/live/reset"), {}, Admin);
            return false;
        },
        20000);
    QCOMPARE(done.json.value("resets").toInt(), 3);
    const auto c = startInstance(QStringLiteral("live-c"), dirC.path(), quick);
    QVERIFY(c);
    HttpClient clientC(c->url());
    VERIFY_STATUS(clientC.post(Api + QStringLiteral("/vote/live"), single(QStringLiteral("A"))),
                  202);
    QVERIFY(resultsBecome(clientA, QStringLiteral("live"), counts(1, 0)));
    QVERIFY(resultsBecome(clientC, QStringLiteral("live"), counts(1, 0)));
}

void TestPollCluster::instanceCutOffFromShardFencesItself()
{
    // B reaches the first node through a proxy that can cut it off; A reaches it directly.
    TcpProxy proxy(m_first.port());
    QVERIFY(proxy.listen());
    const QString second = QStringLiteral("two=") + m_second.url();
    const QStringList common{QStringLiteral("--admin-token"),    QString::fromLatin1(Token),
                             QStringLiteral("--instance-lease"), QStringLiteral("2"),
                             QStringLiteral("--reset-timeout"),  QStringLiteral("1")};
    TallyProcess a(QStringList{QStringLiteral("--redis-nodes"),
                               QStringLiteral("one=") + m_first.url() + u',' + second,
                               QStringLiteral("--instance-id"), QStringLiteral("fence-a")} +
                   common);
    TallyProcess b(QStringList{QStringLiteral("--redis-nodes"),
                               QStringLiteral("one=") + proxy.url() + u',' + second,
                               QStringLiteral("--instance-id"), QStringLiteral("fence-b")} +
                   common);
    QVERIFY2(a.start(), qPrintable(a.diagnostics()));
    QVERIFY2(b.start(), qPrintable(b.diagnostics()));
    HttpClient clientA(a.url()), clientB(b.url());
    const QString id = idsOn({QStringLiteral("one"), QStringLiteral("two")}, QStringLiteral("one"),
                             QStringLiteral("fence"), 1)
                           .constFirst();
    QVERIFY(createPollSeenByBoth(clientA, clientB, id));
    VERIFY_STATUS(clientB.post(Api + QStringLiteral("/vote/") + id, single(QStringLiteral("A"))),
                  202);

    // Cut off past its lease, B refuses the poll's votes rather than count them in a
    // generation that a reset elsewhere may leave meanwhile.
    proxy.setCut(true);
    HttpResponse refused;
    QVERIFY(TestKit::waitFor([&] {
        refused = clientB.post(Api + QStringLiteral("/vote/") + id, single(QStringLiteral("A")));
        return refused.status == 503;
    }));
    QCOMPARE(refused.errorCode(), QStringLiteral("shard_unavailable"));
    // Its lease runs out: A's reset goes ahead without it.
    HttpResponse reset;
    QVERIFY(TestKit::waitFor([&] {
        reset = clientA.post(Api + QStringLiteral("/polls/") + id + QStringLiteral("/reset"), {},
                             Admin);
        return reset.status != 503 || reset.errorCode() != u"reset_incomplete";
    }));
    VERIFY_STATUS(reset, 200);
    VERIFY_STATUS(clientB.post(Api + QStringLiteral("/vote/") + id, single(QStringLiteral("A"))),
                  503);

    // Back, B reads the poll's generation again before it takes votes: they count.
    proxy.setCut(false);
    HttpResponse counted;
    QVERIFY(TestKit::waitFor([&] {
        counted = clientB.post(Api + QStringLiteral("/vote/") + id, single(QStringLiteral("B")));
        return counted.status != 503;
    }));
    VERIFY_STATUS(counted, 202);
    VERIFY_STATUS(clientB.post(Api + QStringLiteral("/vote/") + id, single(QStringLiteral("B"))),
                  202);
    QVERIFY(resultsBecome(clientB, id, counts(0, 2)));
    QVERIFY(resultsBecome(clientA, id, counts(0, 2)));
}

void TestPollCluster::timedCloseOnEveryInstance()
{
    QTemporaryDir dirA, dirB;
    const auto a = startInstance(QStringLiteral("close-a"), dirA.path());
    const auto b = startInstance(QStringLiteral("close-b"), dirB.path());
    QVERIFY(a && b);
    HttpClient clientA(a->url()), clientB(b->url());
    WsClient watchA, watchB;
    QVERIFY(watchA.open(wsUrl(*a)));
    QVERIFY(watchB.open(wsUrl(*b)));
    for (WsClient *watcher : {&watchA, &watchB}) {
        watcher->send({{"type", "subscribe"}, {"channel", "polls"}});
        QVERIFY(watcher->sync());
    }
    QJsonObject body =
        pollBody(QStringLiteral("timed"), {QStringLiteral("x"), QStringLiteral("y")});
    body.insert(QStringLiteral("closes_at"),
                QDateTime::currentDateTimeUtc().addSecs(2).toString(Qt::ISODate));
    QVERIFY(createPollSeenByBoth(clientA, clientB, QStringLiteral("timed"), body));
    VERIFY_STATUS(clientB.post(Api + QStringLiteral("/vote/timed"), single(QStringLiteral("A"))),
                  202);
    for (WsClient *watcher : {&watchA, &watchB}) {
        const auto closed = watcher->next(
            [](const QJsonObject &m) {
                const QJsonObject poll = m.value("poll").toObject();
                return m.value("type").toString() == u"poll_updated" &&
                       poll.value("id").toString() == u"timed" &&
                       poll.value("status").toString() == u"closed";
            },
            10000);
        QVERIFY(closed);
    }
    for (HttpClient *client : {&clientA, &clientB}) {
        const HttpResponse refused =
            client->post(Api + QStringLiteral("/vote/timed"), single(QStringLiteral("B")));
        QVERIFY2(refused.status == 409 && refused.errorCode() == u"poll_closed",
                 qPrintable(refused.describe()));
        QVERIFY(resultsBecome(*client, QStringLiteral("timed"), counts(1, 0)));
    }
}

QTEST_GUILESS_MAIN(TestPollCluster)
#include "tst_poll_cluster.moc"
