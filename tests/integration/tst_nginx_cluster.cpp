// Two Tally instances sharing two Redis nodes behind a real nginx (round robin, keep-alive
// upstreams, WebSocket upgrade): votes cast through nginx over REST and WebSocket reach
// live subscribers connected directly to each instance, exactly; and the Pub/Sub
// connection that carries them comes back after a Redis node restarts.
#include "httpclient.h"
#include "livetestkit.h"
#include "nginxprocess.h"
#include "redisnode.h"
#include "tallyprocess.h"
#include "wsclient.h"

#include <QElapsedTimer>

#include <memory>

using namespace LiveKit;

namespace {

const char AdminToken[] = "nginx-cluster-admin-token";

// The http block of an nginx in front of the instances listening on `upstreams`: round
// robin (so that both instances get a share of the REST votes), keep-alive upstream
// connections and the WebSocket upgrade.
QString clusterConfig(quint16 port, const QList<quint16> &upstreams)
{
    QString servers;
    for (quint16 upstream : upstreams)
        servers += str("        server 127.0.0.1:%1 max_fails=0;\n").arg(upstream);
    return str(R"(    map $http_upgrade $connection_upgrade {
        default upgrade;
        '' '';
    }
    upstream tally {
%1        keepalive 16;
    }
    server {
        listen 127.0.0.1:%2;
        proxy_http_version 1.1;
        proxy_set_header Host $host;
        proxy_set_header X-Real-IP $remote_addr;
        proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
        location = /api/v1/ws {
            proxy_pass http://tally;
            proxy_set_header Upgrade $http_upgrade;
            proxy_set_header Connection $connection_upgrade;
            proxy_read_timeout 120s;
            proxy_buffering off;
        }
        location / {
            proxy_pass http://tally;
            proxy_set_header Connection "";
        }
    }
)")
        .arg(servers)
        .arg(port);
}

} // namespace

class TestNginxCluster : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void votesThroughNginxReachSubscribersOnEveryInstance();
    void pubSubComesBackAfterRedisRestart();

private:
    void subscribe(WsClient &ws, TallyProcess &instance, const QString &pollId);
    void waitForPoll(TallyProcess &instance, const QString &pollId);
    void waitForLog(TallyProcess &instance, const QString &text, int timeoutMs);
    static qint64 acceptedVotes(TallyProcess &instance);

    RedisNode m_nodes[2];
    std::unique_ptr<TallyProcess> m_instances[2];
    std::unique_ptr<NginxProcess> m_nginx;
};

void TestNginxCluster::initTestCase()
{
    if (NginxProcess::binary().isEmpty())
        QSKIP("nginx is not installed");
    for (RedisNode &node : m_nodes)
        QVERIFY2(node.start(), qPrintable(node.diagnostics()));
    const QString redis = m_nodes[0].url() + u',' + m_nodes[1].url();
    const char *names[] = {"nginx-a", "nginx-b"};
    for (int i = 0; i < 2; ++i) {
        // A long cache TTL: an instance learns the other's votes from Pub/Sub only,
        // never by re-reading Redis, so these tests see the Pub/Sub path.
        m_instances[i] = std::make_unique<TallyProcess>(QStringList{
            str("--redis-nodes"), redis, str("--instance-id"), str(names[i]),
            str("--live-interval"), str("100"), str("--cache-ttl"), str("120"),
            str("--catalog-refresh"), str("0.5"), str("--admin-token"), str(AdminToken)});
        QVERIFY2(m_instances[i]->start(), qPrintable(m_instances[i]->diagnostics()));
    }
    m_nginx = std::make_unique<NginxProcess>();
    QVERIFY2(m_nginx->start(
                 clusterConfig(m_nginx->port(), {m_instances[0]->port(), m_instances[1]->port()})),
             qPrintable(m_nginx->errorString()));
}

void TestNginxCluster::cleanupTestCase()
{
    if (m_nginx)
        m_nginx->stop();
    for (auto &instance : m_instances)
        if (instance)
            QCOMPARE(instance->stop(), 0);
    for (RedisNode &node : m_nodes)
        node.shutdown();
}

void TestNginxCluster::waitForPoll(TallyProcess &instance, const QString &pollId)
{
    HttpClient http(instance.url());
    const HttpResponse seen = http.waitFor(
        str("/api/v1/polls/") + pollId, [](const HttpResponse &r) { return r.status == 200; },
        5000);
    VERIFY_STATUS(seen, 200);
}

void TestNginxCluster::subscribe(WsClient &ws, TallyProcess &instance, const QString &pollId)
{
    QVERIFY2(ws.open(WsClient::wsUrl(instance.url())), qPrintable(ws.errorString()));
    ws.send(subscribePoll(pollId));
    const std::optional<QJsonObject> snapshot = ws.next(resultsFor(pollId));
    QVERIFY2(snapshot,
             qPrintable(str("no snapshot of %1 from %2").arg(pollId, instance.instanceId())));
    QCOMPARE(snapshot->value("total").toInteger(), 0);
}

void TestNginxCluster::waitForLog(TallyProcess &instance, const QString &text, int timeoutMs)
{
    QElapsedTimer elapsed;
    elapsed.start();
    WsClient idle; // only for its event-loop wait
    const bool seen =
        idle.waitUntil([&] { return instance.stderrText().contains(text); }, timeoutMs);
    QVERIFY2(seen, qPrintable(str("%1 did not log \"%2\" within %3 ms:\n%4")
                                  .arg(instance.instanceId(), text)
                                  .arg(timeoutMs)
                                  .arg(instance.stderrText().right(3000))));
}

qint64 TestNginxCluster::acceptedVotes(TallyProcess &instance)
{
    HttpClient http(instance.url());
    return http.get(str("/api/v1/stats"))
        .json.value("votes")
        .toObject()
        .value("accepted")
        .toInteger(-1);
}

void TestNginxCluster::votesThroughNginxReachSubscribersOnEveryInstance()
{
    const QString poll = str("cluster");
    HttpClient viaNginx(m_nginx->url());
    // Through a proxy, administration needs the admin token.
    VERIFY_STATUS(viaNginx.postJson(str("/api/v1/polls"),
                                    pollBody(poll, {str("Red"), str("Green"), str("Blue")}),
                                    {{"Authorization", QByteArray("Bearer ") + AdminToken}}),
                  201);
    for (auto &instance : m_instances)
        CHECKED(waitForPoll(*instance, poll));
    const qint64 acceptedBefore = acceptedVotes(*m_instances[0]) + acceptedVotes(*m_instances[1]);

    // One live subscriber directly on each instance.
    WsClient subscribers[2];
    for (int i = 0; i < 2; ++i)
        CHECKED(subscribe(subscribers[i], *m_instances[i], poll));

    // REST votes through nginx over several connections; count every 202.
    QList<int> expected{0, 0, 0};
    QList<HttpRequest> requests;
    for (int i = 0; i < 240; ++i)
        requests.append(HttpRequest{"POST", str("/api/v1/vote/") + poll,
                                    voteBody(QString(QChar(u'A' + (i * 7) % 3)))});
    const QList<HttpResponse> answers = viaNginx.sendAll(requests, 4);
    for (int i = 0; i < answers.size(); ++i) {
        VERIFY_STATUS(answers[i], 202);
        ++expected[(i * 7) % 3];
    }

    // WebSocket votes through nginx, on three connections; count every ack.
    WsClient voters[3];
    for (WsClient &voter : voters)
        QVERIFY2(voter.open(WsClient::wsUrl(m_nginx->url())), qPrintable(voter.errorString()));
    {
        // Both instances now hold live connections: the two subscribers and the voters
        // that nginx handed to each.
        HttpClient a(m_instances[0]->url()), b(m_instances[1]->url());
        const qint64 clientsA =
            a.get(str("/api/v1/stats")).json.value("websocket_clients").toInteger();
        const qint64 clientsB =
            b.get(str("/api/v1/stats")).json.value("websocket_clients").toInteger();
        QCOMPARE(clientsA + clientsB, 5);
        QVERIFY2(clientsA >= 2 && clientsB >= 2,
                 qPrintable(str("%1 / %2").arg(clientsA).arg(clientsB)));
    }
    constexpr int WsVotesEach = 40;
    for (int v = 0; v < 3; ++v)
        for (int i = 0; i < WsVotesEach; ++i)
            voters[v].send(vote(poll, QString(QChar(u'A' + (v + i) % 3)), v * 1000 + i));
    for (int v = 0; v < 3; ++v) {
        for (int i = 0; i < WsVotesEach; ++i) {
            const int ref = v * 1000 + i;
            const std::optional<QJsonObject> answer = voters[v].next(
                [ref](const QJsonObject &m) { return m.value(str("ref")).toInt(-1) == ref; });
            QVERIFY2(answer && answer->value("type").toString() == u"ack",
                     qPrintable(describe(answer)));
            ++expected[(v + i) % 3];
        }
    }
    const int total = expected[0] + expected[1] + expected[2];
    QCOMPARE(total, 240 + 3 * WsVotesEach);

    // nginx spread the work: each instance accepted some of the votes, all of them together.
    const qint64 acceptedA = acceptedVotes(*m_instances[0]);
    const qint64 acceptedB = acceptedVotes(*m_instances[1]);
    QVERIFY2(acceptedA > 0 && acceptedB > 0,
             qPrintable(str("accepted: %1 / %2").arg(acceptedA).arg(acceptedB)));
    QCOMPARE(acceptedA + acceptedB - acceptedBefore, total);

    // Both subscribers converge to exactly the acknowledged votes.
    QElapsedTimer converging;
    converging.start();
    for (int i = 0; i < 2; ++i) {
        const std::optional<QJsonObject> last =
            subscribers[i].next(resultsWithTotal(poll, total), 10000);
        QVERIFY2(last, qPrintable(str("subscriber on %1 did not reach %2 votes; last: %3")
                                      .arg(m_instances[i]->instanceId())
                                      .arg(total)
                                      .arg(describe(subscribers[i].received().value(
                                          subscribers[i].received().size() - 1)))));
        QCOMPARE(last->value("results").toObject(), countsJson(expected));
    }
    qInfo("both subscribers showed all %d votes %lld ms after the last ack", total,
          converging.elapsed());
    // Never more than that on the way, and nothing else after it.
    for (WsClient &subscriber : subscribers) {
        QVERIFY(subscriber.sync());
        QJsonObject lastResults;
        for (const QJsonObject &m : subscriber.received()) {
            if (!resultsFor(poll)(m))
                continue;
            QVERIFY2(m.value("total").toInteger() <= total, qPrintable(describe(m)));
            lastResults = m;
        }
        QCOMPARE(lastResults.value("total").toInteger(), total);
    }

    // Every instance answers the same exact counts, and so does nginx.
    for (const QUrl &base : {m_instances[0]->url(), m_instances[1]->url(), m_nginx->url()}) {
        HttpClient http(base);
        const HttpResponse results = http.get(str("/api/v1/results/") + poll);
        VERIFY_STATUS(results, 200);
        QCOMPARE(results.json.value("results").toObject(), countsJson(expected));
        QCOMPARE(results.json.value("total").toInteger(), total);
    }
}

void TestNginxCluster::pubSubComesBackAfterRedisRestart()
{
    TallyProcess &a = *m_instances[0];
    TallyProcess &b = *m_instances[1];
    const QString poll = str("reconnect");
    HttpClient httpA(a.url());
    const HttpResponse created =
        httpA.postJson(str("/api/v1/polls"), pollBody(poll, {str("Up"), str("Down")}),
                       {{"Authorization", QByteArray("Bearer ") + AdminToken}});
    VERIFY_STATUS(created, 201);
    // Votes of a poll are announced on the node that owns it: restart that one.
    const QString shard = created.json.value("shard").toString();
    RedisNode *owner = nullptr;
    for (RedisNode &node : m_nodes)
        if (node.shardName() == shard)
            owner = &node;
    QVERIFY2(owner, qPrintable(str("poll on unknown shard %1").arg(shard)));
    CHECKED(waitForPoll(b, poll));

    WsClient subscriber;
    CHECKED(subscribe(subscriber, b, poll));
    VERIFY_STATUS(httpA.post(str("/api/v1/vote/") + poll, voteBody(str("A"))), 202);
    const std::optional<QJsonObject> first = subscriber.next(resultsWithTotal(poll, 1), 3000);
    QVERIFY2(first, qPrintable(str("the first vote did not reach the other instance; last: %1")
                                   .arg(describe(subscriber.received().value(
                                       subscriber.received().size() - 1)))));
    QCOMPARE(first->value("results").toObject(), countsJson({1, 0}));

    const QString address = str("127.0.0.1:%1").arg(owner->port());
    owner->kill();
    CHECKED(waitForLog(b, str("Pub/Sub: lost %1").arg(address), 5000));
    QVERIFY2(owner->restart(), qPrintable(owner->diagnostics()));
    CHECKED(waitForLog(b, str("Pub/Sub: subscribed again on %1").arg(address), 15000));
    CHECKED(waitForLog(a, str("Pub/Sub: subscribed again on %1").arg(address), 15000));
    const HttpResponse ready = httpA.waitFor(
        str("/ready"), [](const HttpResponse &r) { return r.status == 200; }, 15000);
    VERIFY_STATUS(ready, 200);

    // A vote on A shows on B's subscriber through the new subscription (B's cache TTL
    // is 120 s, so it cannot come from re-reading Redis).
    QElapsedTimer elapsed;
    elapsed.start();
    VERIFY_STATUS(httpA.post(str("/api/v1/vote/") + poll, voteBody(str("B"))), 202);
    const std::optional<QJsonObject> seen = subscriber.next(resultsWithTotal(poll, 2), 3000);
    QVERIFY2(seen,
             qPrintable(str("the vote after the restart did not reach the other instance; last: %1")
                            .arg(describe(
                                subscriber.received().value(subscriber.received().size() - 1)))));
    QCOMPARE(seen->value("results").toObject(), countsJson({1, 1}));
    qInfo("vote on A seen by B's subscriber after %lld ms (after the Redis restart)",
          elapsed.elapsed());
    HttpClient httpB(b.url());
    const HttpResponse results = httpB.get(str("/api/v1/results/") + poll);
    VERIFY_STATUS(results, 200);
    QCOMPARE(results.json.value("results").toObject(), countsJson({1, 1}));
}

QTEST_GUILESS_MAIN(TestNginxCluster)
#include "tst_nginx_cluster.moc"
