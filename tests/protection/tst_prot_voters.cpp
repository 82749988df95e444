// One vote per voter: the voter id comes from the body (`voter_id`) or the X-Voter-Id
// header; a second vote is 409 duplicate_voter, a vote without one 422
// voter_id_required. The claim survives a restart, holds across workers, across two
// instances sharing Redis, and over the WebSocket; polls without the flag take
// repeated votes; bulk votes refuse such polls item by item.
#include "protkit.h"
#include "redisnode.h"
#include "wsclient.h"

#include <QDir>
#include <QElapsedTimer>
#include <QTemporaryDir>

using namespace prot;

namespace {

HttpHeaders voterHeader(const QByteArray &voter)
{
    return {{"X-Voter-Id", voter}};
}

QJsonObject duplicate(const QString &voter, const QString &poll)
{
    return errorJson(QStringLiteral("duplicate_voter"),
                     QStringLiteral("Voter '%1' has already voted in poll '%2'.").arg(voter, poll));
}

QJsonObject voterRequired(const QString &poll)
{
    return errorJson(QStringLiteral("voter_id_required"),
                     QStringLiteral("Poll '%1' allows one vote per voter: send 'voter_id' or an "
                                    "X-Voter-Id header.")
                         .arg(poll));
}

qint64 resultsTotal(HttpClient &client, const QString &poll)
{
    return total(client.get(Results + poll).json);
}

QJsonObject wsVote(const QString &poll, const QString &option, const QString &voter, int ref)
{
    QJsonObject message{{QStringLiteral("type"), QStringLiteral("vote")},
                        {QStringLiteral("poll_id"), poll},
                        {QStringLiteral("option_id"), option},
                        {QStringLiteral("ref"), ref}};
    if (!voter.isEmpty())
        message.insert(QStringLiteral("voter_id"), voter);
    return message;
}

std::optional<QJsonObject> answerTo(WsClient &ws, int ref)
{
    return ws.next([ref](const QJsonObject &m) { return m.value("ref").toInt(-1) == ref; });
}

} // namespace

class TestVoters : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void bodyAndHeader();
    void voterIdLimits();
    void pollsWithoutTheFlagTakeRepeats();
    void bulkRefusesVoterPolls();
    void webSocketVotes();
    void concurrentVotesAcrossWorkers();
    void survivesRestart();
    void twoInstancesOnRedis();

private:
    QTemporaryDir m_dir{QDir::tempPath() + QStringLiteral("/tally-prot-voters-XXXXXX")};
    std::unique_ptr<TallyProcess> m_tally;
    std::unique_ptr<HttpClient> m_http;
    qint64 m_onceTotal = 0; // votes accepted in poll "once" so far
};

void TestVoters::initTestCase()
{
    QVERIFY(m_dir.isValid());
    // Two workers; the data directory outlives the process for survivesRestart().
    m_tally = std::make_unique<TallyProcess>(QStringList{"--workers", "2"}, m_dir.path());
    PROT_START(*m_tally);
    m_http = std::make_unique<HttpClient>(m_tally->url());
    const HttpResponse created =
        m_http->postJson(Polls, oneVotePerVoter(pollBody(QStringLiteral("once"))));
    PROT_STATUS(created, 201);
    QCOMPARE(created.json.value("one_vote_per_voter").toBool(), true);
    PROT_STATUS(m_http->postJson(Polls, pollBody(QStringLiteral("free"))), 201);
}

void TestVoters::bodyAndHeader()
{
    HttpClient &http = *m_http;
    const QString path = Vote + QStringLiteral("once");
    // In the body.
    PROT_STATUS(http.post(path, voteBody("A", "alice")), 202);
    const HttpResponse again = http.post(path, voteBody("B", "alice"));
    PROT_STATUS(again, 409);
    QCOMPARE(again.json, duplicate("alice", "once"));
    // In the header, which names the same voters as the body.
    PROT_STATUS(http.post(path, voteBody("B"), voterHeader("bob")), 202);
    const HttpResponse headerAgain = http.post(path, voteBody("A"), voterHeader("bob"));
    PROT_STATUS(headerAgain, 409);
    QCOMPARE(headerAgain.json, duplicate("bob", "once"));
    PROT_STATUS(http.post(path, voteBody("A", "bob")), 409);
    PROT_STATUS(http.post(path, voteBody("A"), voterHeader("alice")), 409);
    // When both are given the body wins: "dave" has not voted after this.
    PROT_STATUS(http.post(path, voteBody("A", "carol"), voterHeader("dave")), 202);
    PROT_STATUS(http.post(path, voteBody("A"), voterHeader("carol")), 409);
    PROT_STATUS(http.post(path, voteBody("A"), voterHeader("dave")), 202);
    // Voter ids are compared exactly.
    PROT_STATUS(http.post(path, voteBody("A", "Alice")), 202);
    // Without any voter id.
    const HttpResponse anonymous = http.post(path, voteBody("A"));
    PROT_STATUS(anonymous, 422);
    QCOMPARE(anonymous.json, voterRequired("once"));
    PROT_STATUS(http.post(path, voteBody("A", "")), 422);

    m_onceTotal = 5;
    const HttpResponse results = http.get(Results + QStringLiteral("once"));
    PROT_STATUS(results, 200);
    QCOMPARE(total(results.json), m_onceTotal);
    QCOMPARE(results.json.value("results").toObject(), QJsonObject({{"A", 4}, {"B", 1}}));
}

void TestVoters::voterIdLimits()
{
    HttpClient &http = *m_http;
    const QString path = Vote + QStringLiteral("once");
    const QString longest(128, u'v');
    PROT_STATUS(http.post(path, voteBody("A", longest)), 202);
    PROT_STATUS(http.post(path, voteBody("A", longest)), 409);
    const HttpResponse tooLong = http.post(path, voteBody("A", longest + u'v'));
    PROT_STATUS(tooLong, 422);
    QCOMPARE(tooLong.errorCode(), QStringLiteral("invalid_voter_id"));
    // The header obeys the same limit: two voters whose ids share the first 128
    // characters are not the same voter.
    PROT_STATUS(http.post(path, voteBody("A"), voterHeader(longest.toLatin1())), 409);
    const HttpResponse headerTooLong =
        http.post(path, voteBody("A"), voterHeader((longest + u'w').toLatin1()));
    PROT_STATUS(headerTooLong, 422);
    QCOMPARE(headerTooLong.errorCode(), QStringLiteral("invalid_voter_id"));
    // Non-ASCII ids: 128 characters, not bytes.
    const QString accented(128, QChar(0x00E9));
    PROT_STATUS(http.post(path, voteBody("A"), voterHeader(accented.toUtf8())), 202);
    PROT_STATUS(http.post(path, voteBody("A", accented)), 409);
    m_onceTotal += 2;
    QCOMPARE(resultsTotal(http, QStringLiteral("once")), m_onceTotal);
}

void TestVoters::pollsWithoutTheFlagTakeRepeats()
{
    HttpClient &http = *m_http;
    const QString path = Vote + QStringLiteral("free");
    for (int i = 0; i < 3; ++i) {
        PROT_STATUS(http.post(path, voteBody("A", "alice")), 202);
        PROT_STATUS(http.post(path, voteBody("B"), voterHeader("alice")), 202);
        PROT_STATUS(http.post(path, voteBody("B")), 202);
    }
    QCOMPARE(resultsTotal(http, QStringLiteral("free")), 9);
}

void TestVoters::bulkRefusesVoterPolls()
{
    HttpClient &http = *m_http;
    const QJsonArray votes{
        QJsonObject{{"poll_id", "free"}, {"option_id", "A"}},
        QJsonObject{{"poll_id", "once"}, {"option_id", "A"}, {"voter_id", "bulky"}},
        QJsonObject{{"poll_id", "free"}, {"option_id", "B"}, {"voter_id", "bulky"}}};
    const HttpResponse bulk = http.postJson(QStringLiteral("/api/v1/votes"), {{"votes", votes}});
    PROT_STATUS(bulk, 202);
    QCOMPARE(bulk.json.value("accepted").toInt(), 2);
    QCOMPARE(bulk.json.value("rejected").toInt(), 1);
    const QJsonObject refused = bulk.json.value("results").toArray().at(1).toObject();
    QCOMPARE(refused.value("status").toString(), QStringLiteral("rejected"));
    QCOMPARE(refused.value("error").toObject().value("code").toString(),
             QStringLiteral("voter_check_required"));
    QCOMPARE(resultsTotal(http, QStringLiteral("once")), m_onceTotal);
    QCOMPARE(resultsTotal(http, QStringLiteral("free")), 11);
    // The refused bulk item claimed nothing: "bulky" can still vote once.
    PROT_STATUS(http.post(Vote + QStringLiteral("once"), voteBody("B", "bulky")), 202);
    ++m_onceTotal;
}

void TestVoters::webSocketVotes()
{
    WsClient ws;
    QVERIFY2(ws.open(WsClient::wsUrl(m_tally->url())), qPrintable(ws.errorString()));
    ws.send(wsVote(QStringLiteral("once"), QStringLiteral("A"), QStringLiteral("wendy"), 1));
    std::optional<QJsonObject> answer = answerTo(ws, 1);
    QVERIFY(answer);
    QCOMPARE(answer->value("type").toString(), QStringLiteral("ack"));
    ++m_onceTotal;

    ws.send(wsVote(QStringLiteral("once"), QStringLiteral("B"), QStringLiteral("wendy"), 2));
    answer = answerTo(ws, 2);
    QVERIFY(answer);
    QCOMPARE(answer->value("type").toString(), QStringLiteral("error"));
    QCOMPARE(answer->value("code").toString(), QStringLiteral("duplicate_voter"));

    ws.send(wsVote(QStringLiteral("once"), QStringLiteral("B"), QString(), 3));
    answer = answerTo(ws, 3);
    QVERIFY(answer);
    QCOMPARE(answer->value("code").toString(), QStringLiteral("voter_id_required"));

    // A voter who voted over REST is known on the WebSocket and the other way round.
    ws.send(wsVote(QStringLiteral("once"), QStringLiteral("B"), QStringLiteral("alice"), 4));
    answer = answerTo(ws, 4);
    QVERIFY(answer);
    QCOMPARE(answer->value("code").toString(), QStringLiteral("duplicate_voter"));
    PROT_STATUS(m_http->post(Vote + QStringLiteral("once"), voteBody("A", "wendy")), 409);
    // Repeats are fine on a poll without the flag.
    for (int ref = 5; ref < 8; ++ref) {
        ws.send(wsVote(QStringLiteral("free"), QStringLiteral("A"), QStringLiteral("wendy"), ref));
        answer = answerTo(ws, ref);
        QVERIFY(answer);
        QCOMPARE(answer->value("type").toString(), QStringLiteral("ack"));
    }
    ws.close();
    QCOMPARE(resultsTotal(*m_http, QStringLiteral("once")), m_onceTotal);
    QCOMPARE(resultsTotal(*m_http, QStringLiteral("free")), 14);
}

void TestVoters::concurrentVotesAcrossWorkers()
{
    // 24 connections (spread by the kernel over both workers) vote for the same voter
    // at the same moment: exactly one is accepted.
    QString error;
    std::vector<RawSocket> sockets =
        RawSocket::connectMany(24, m_tally->port(), nullptr, 5000, &error);
    QVERIFY2(!sockets.empty(), qPrintable(error));
    const QByteArray request =
        RawSocket::httpRequest("POST", "/api/v1/vote/once", voteBody("B", "zed"));
    for (RawSocket &socket : sockets)
        QVERIFY2(socket.send(request), qPrintable(socket.errorString()));
    int accepted = 0;
    int duplicates = 0;
    for (RawSocket &socket : sockets) {
        const RawResponse response = socket.readResponse(10000);
        if (response.status == 202)
            ++accepted;
        else if (response.status == 409 && response.errorCode() == u"duplicate_voter")
            ++duplicates;
        else
            QFAIL(qPrintable(response.describe()));
    }
    QCOMPARE(accepted, 1);
    QCOMPARE(duplicates, 23);
    ++m_onceTotal;
    QCOMPARE(resultsTotal(*m_http, QStringLiteral("once")), m_onceTotal);
}

void TestVoters::survivesRestart()
{
    m_http.reset();
    QCOMPARE(m_tally->stop(), 0);
    // Same data directory, a different number of workers.
    m_tally = std::make_unique<TallyProcess>(QStringList{"--workers", "1"}, m_dir.path());
    PROT_START(*m_tally);
    m_http = std::make_unique<HttpClient>(m_tally->url());
    HttpClient &http = *m_http;
    const QString path = Vote + QStringLiteral("once");
    QCOMPARE(resultsTotal(http, QStringLiteral("once")), m_onceTotal);
    const HttpResponse again = http.post(path, voteBody("A", "alice"));
    PROT_STATUS(again, 409);
    QCOMPARE(again.json, duplicate("alice", "once"));
    PROT_STATUS(http.post(path, voteBody("A"), voterHeader("bob")), 409);
    PROT_STATUS(http.post(path, voteBody("A", "zed")), 409);
    PROT_STATUS(http.post(path, voteBody("A", "wendy")), 409);
    PROT_STATUS(http.post(path, voteBody("A", "erin")), 202);
    ++m_onceTotal;
    QCOMPARE(resultsTotal(http, QStringLiteral("once")), m_onceTotal);

    // Killed without a flush: the claim and the vote are both kept (journal + shard).
    m_tally->kill();
    m_http.reset();
    m_tally = std::make_unique<TallyProcess>(QStringList{"--workers", "1"}, m_dir.path());
    PROT_START(*m_tally);
    m_http = std::make_unique<HttpClient>(m_tally->url());
    QCOMPARE(resultsTotal(*m_http, QStringLiteral("once")), m_onceTotal);
    PROT_STATUS(m_http->post(path, voteBody("B", "erin")), 409);
    QCOMPARE(m_tally->stop(), 0);
}

void TestVoters::twoInstancesOnRedis()
{
    RedisNode nodeA, nodeB;
    QVERIFY2(nodeA.start(), qPrintable(nodeA.diagnostics()));
    QVERIFY2(nodeB.start(), qPrintable(nodeB.diagnostics()));
    const QStringList common = {"--redis-nodes",     nodeA.url() + u',' + nodeB.url(),
                                "--batch-interval",  "0.1",
                                "--cache-ttl",       "0.1",
                                "--catalog-refresh", "0.2"};
    TallyProcess first(common + QStringList{"--instance-id", "prot-a"});
    TallyProcess second(common + QStringList{"--instance-id", "prot-b"});
    PROT_START(first);
    PROT_START(second);
    HttpClient one(first.url());
    HttpClient two(second.url());

    const HttpResponse created =
        one.postJson(Polls, oneVotePerVoter(pollBody(QStringLiteral("shared"))));
    PROT_STATUS(created, 201);
    const QString shard = created.json.value("shard").toString();
    RedisNode &owner = shard == nodeA.shardName() ? nodeA : nodeB;
    QVERIFY2(shard == owner.shardName(), qPrintable(shard));
    const HttpResponse seen = two.waitFor(
        QStringLiteral("/api/v1/polls/shared"),
        [](const HttpResponse &r) { return r.status == 200; }, 5000);
    PROT_STATUS(seen, 200);
    QCOMPARE(seen.json.value("one_vote_per_voter").toBool(), true);

    const QString path = Vote + QStringLiteral("shared");
    PROT_STATUS(one.post(path, voteBody("A", "alice")), 202);
    const HttpResponse elsewhere = two.post(path, voteBody("B", "alice"));
    PROT_STATUS(elsewhere, 409);
    QCOMPARE(elsewhere.json, duplicate("alice", "shared"));
    PROT_STATUS(two.post(path, voteBody("B"), voterHeader("bob")), 202);
    PROT_STATUS(one.post(path, voteBody("A"), voterHeader("bob")), 409);

    // The same voter, eight times on each instance over several connections: one vote.
    QList<HttpRequest> race;
    for (int i = 0; i < 8; ++i)
        race.append(HttpRequest{"POST", path, voteBody("B", "zoe")});
    const QList<HttpResponse> fromOne = one.sendAll(race, 2);
    const QList<HttpResponse> fromTwo = two.sendAll(race, 2);
    int accepted = 0;
    for (const HttpResponse &response : fromOne + fromTwo) {
        QVERIFY2(response.status == 202 || response.status == 409, qPrintable(response.describe()));
        accepted += response.status == 202;
    }
    QCOMPARE(accepted, 1);

    // Both instances, and the shard itself, count each voter once.
    for (HttpClient *client : {&one, &two}) {
        const HttpResponse results = client->waitFor(
            Results + QStringLiteral("shared"),
            [](const HttpResponse &r) { return total(r.json) == 3; }, 5000);
        QCOMPARE(total(results.json), 3);
    }
    QMap<QByteArray, QByteArray> expected;
    expected.insert("A", "1");
    expected.insert("B", "2");
    // Results include votes still on their way to the shard: wait for the flush to land.
    QTRY_COMPARE_WITH_TIMEOUT(owner.hgetall("poll:shared"), expected, 5000);
    QCOMPARE(owner.smembers("poll:shared:voters"), QSet<QByteArray>({"alice", "bob", "zoe"}));

    // Without the flag, the same voter votes on both instances as often as they like.
    PROT_STATUS(one.postJson(Polls, pollBody(QStringLiteral("open-shared"))), 201);
    PROT_STATUS(two.waitFor(
                    QStringLiteral("/api/v1/polls/open-shared"),
                    [](const HttpResponse &r) { return r.status == 200; }, 5000),
                200);
    for (int i = 0; i < 2; ++i) {
        PROT_STATUS(one.post(Vote + QStringLiteral("open-shared"), voteBody("A", "alice")), 202);
        PROT_STATUS(two.post(Vote + QStringLiteral("open-shared"), voteBody("A", "alice")), 202);
    }
    const HttpResponse openResults = two.waitFor(
        Results + QStringLiteral("open-shared"),
        [](const HttpResponse &r) { return total(r.json) == 4; }, 5000);
    QCOMPARE(total(openResults.json), 4);

    QCOMPARE(first.stop(), 0);
    QCOMPARE(second.stop(), 0);
}

QTEST_GUILESS_MAIN(TestVoters)
#include "tst_prot_voters.moc"
