// End-to-end tests of voting: single votes, exact results before and after flushes,
// every error answer, and many workers under many connections (bulk votes:
// tst_e2e_bulk).
#include "httpclient.h"
#include "tallyprocess.h"
#include "testkit.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <memory>

using namespace TestKit;

namespace {

const QString Results = QStringLiteral("/api/v1/results/");
const QString Vote = QStringLiteral("/api/v1/vote/");
const QString Stats = QStringLiteral("/api/v1/stats");

// One vote request per entry: `counts[i]` votes for option i, interleaved.
QList<HttpRequest> voteRequests(const QString &pollId, const QList<int> &counts)
{
    QList<HttpRequest> requests;
    QList<int> left = counts;
    bool more = true;
    while (more) {
        more = false;
        for (int i = 0; i < left.size(); ++i) {
            if (left[i] == 0)
                continue;
            --left[i];
            more = true;
            requests.append(HttpRequest{"POST", Vote + pollId, voteBody(QString(QChar(u'A' + i)))});
        }
    }
    return requests;
}

} // namespace

class TestE2eVotes : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void voteIsAccepted();
    void jsonMediaTypesAreAccepted();
    void resultsAreExactBeforeFlush();
    void bodyLimitIsInclusive();
    void errorsAreAnsweredAndCountNothing_data();
    void errorsAreAnsweredAndCountNothing();
    void declaredOversizedBodyIsRefusedEarly();
    void serverIsHealthyAfterErrors();
    void resultsAreExactAfterFlush();
    void manyWorkersManyConnections();

private:
    HttpResponse createPoll(HttpClient &client, const QString &id, int options)
    {
        return client.postJson(QStringLiteral("/api/v1/polls"), pollBody(id, options));
    }
    QString shardOf(HttpClient &client, const QString &id)
    {
        return client.get(QStringLiteral("/api/v1/polls/") + id).json.value("shard").toString();
    }

    // Nothing is flushed on this server during the test (batch interval 60 s) and
    // a result read stays cached for 60 s.
    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<HttpClient> m_client;
};

void TestE2eVotes::initTestCase()
{
    m_server = std::make_unique<TallyProcess>(QStringList{
        QStringLiteral("--workers"), QStringLiteral("2"), QStringLiteral("--batch-interval"),
        QStringLiteral("60"), QStringLiteral("--cache-ttl"), QStringLiteral("60")});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_client = std::make_unique<HttpClient>(m_server->url());

    // The polls the error cases aim at: "errs" holds exactly A=2, B=0 throughout,
    // "errs-closed" and "odd" hold no votes.
    VERIFY_STATUS(createPoll(*m_client, QStringLiteral("errs"), 2), 201);
    VERIFY_STATUS(createPoll(*m_client, QStringLiteral("errs-closed"), 2), 201);
    VERIFY_STATUS(createPoll(*m_client, QStringLiteral("odd"), 2), 201);
    VERIFY_STATUS(m_client->post(QStringLiteral("/api/v1/polls/errs-closed/close")), 200);
    VERIFY_STATUS(m_client->post(Vote + QStringLiteral("errs"), voteBody("A")), 202);
    VERIFY_STATUS(m_client->post(Vote + QStringLiteral("errs"), voteBody("A")), 202);
}

void TestE2eVotes::cleanupTestCase()
{
    if (m_server && m_server->isRunning()) {
        m_client.reset();
        QCOMPARE(m_server->stop(), 0);
    }
}

void TestE2eVotes::voteIsAccepted()
{
    VERIFY_STATUS(createPoll(*m_client, QStringLiteral("v"), 3), 201);
    const HttpResponse accepted = m_client->post(Vote + QStringLiteral("v"), voteBody("B"));
    VERIFY_STATUS(accepted, 202);
    QVERIFY(accepted.header("Content-Type").startsWith("application/json"));
    QCOMPARE(accepted.json, QJsonObject({{"status", "accepted"},
                                         {"message", "Vote accepted"},
                                         {"poll_id", "v"},
                                         {"option_id", "B"}}));

    // A voter id is accepted and not echoed.
    const HttpResponse withVoter = m_client->post(
        Vote + QStringLiteral("v"), QByteArray(R"({"option_id":"C","voter_id":"alice"})"));
    VERIFY_STATUS(withVoter, 202);
    QCOMPARE(withVoter.json, QJsonObject({{"status", "accepted"},
                                          {"message", "Vote accepted"},
                                          {"poll_id", "v"},
                                          {"option_id", "C"}}));
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("v")), "v", QList<int>({0, 1, 1}), "");
}

void TestE2eVotes::jsonMediaTypesAreAccepted()
{
    VERIFY_STATUS(createPoll(*m_client, QStringLiteral("types"), 2), 201);
    for (const QByteArray &type :
         {QByteArray("application/json; charset=utf-8"), QByteArray("Application/JSON"),
          QByteArray("application/vnd.tally+json")}) {
        const HttpResponse response =
            m_client->post(Vote + QStringLiteral("types"), voteBody("A"), {{"Content-Type", type}});
        QVERIFY2(response.status == 202, qPrintable(type + '\n' + response.describe()));
    }
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("types")), "types", QList<int>({3, 0}),
                   "");
}

void TestE2eVotes::resultsAreExactBeforeFlush()
{
    VERIFY_STATUS(createPoll(*m_client, QStringLiteral("exact"), 3), 201);
    const QString shard = shardOf(*m_client, QStringLiteral("exact"));
    QVERIFY(!shard.isEmpty());

    // The first read goes to the owning shard, the next ones hit the cache.
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("exact")), "exact", QList<int>({0, 0, 0}),
                   QStringLiteral("embedded:") + shard);
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("exact")), "exact", QList<int>({0, 0, 0}),
                   "app_cache");

    // Votes sit in the buffers (nothing flushes) and are counted at once.
    const QList<HttpResponse> votes =
        m_client->sendAll(voteRequests(QStringLiteral("exact"), {3, 0, 2}), 2);
    for (const HttpResponse &vote : votes)
        VERIFY_STATUS(vote, 202);
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("exact")), "exact", QList<int>({3, 0, 2}),
                   "app_cache");
    VERIFY_STATUS(m_client->post(Vote + QStringLiteral("exact"), voteBody("B")), 202);
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("exact")), "exact", QList<int>({3, 1, 2}),
                   "app_cache");

    const HttpResponse stats = m_client->get(Stats);
    VERIFY_STATUS(stats, 200);
    QCOMPARE(statValue(stats, "votes", "flushed"), 0);
    QCOMPARE(statValue(stats, "flush", "count"), 0);
    QCOMPARE(statValue(stats, "buffer", "depth"), statValue(stats, "votes", "accepted"));
    QVERIFY(statValue(stats, "cache", "hits") >= 3);
}

void TestE2eVotes::bodyLimitIsInclusive()
{
    VERIFY_STATUS(createPoll(*m_client, QStringLiteral("limit"), 2), 201);
    // {"option_id":"A","pad":"xxx..."} padded to exactly the 16 KiB limit.
    const QByteArray head = R"({"option_id":"A","pad":")";
    const QByteArray atLimit = head + QByteArray(16384 - head.size() - 2, 'x') + "\"}";
    QCOMPARE(atLimit.size(), 16384);
    VERIFY_STATUS(m_client->post(Vote + QStringLiteral("limit"), atLimit), 202);

    const QByteArray overLimit = head + QByteArray(16385 - head.size() - 2, 'x') + "\"}";
    QCOMPARE(overLimit.size(), 16385);
    const HttpResponse tooLarge = m_client->post(Vote + QStringLiteral("limit"), overLimit);
    VERIFY_STATUS(tooLarge, 413);
    QCOMPARE(tooLarge.errorCode(), QStringLiteral("body_too_large"));
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("limit")), "limit", QList<int>({1, 0}),
                   "");
}

void TestE2eVotes::errorsAreAnsweredAndCountNothing_data()
{
    QTest::addColumn<bool>("raw"); // sent byte for byte, without Qt's help
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QByteArray>("target");
    QTest::addColumn<QByteArray>("contentType"); // empty: no Content-Type header at all
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");       // 0: any 4xx
    QTest::addColumn<QString>("code");     // empty: any code
    QTest::addColumn<QByteArray>("allow"); // expected Allow header of a 405

    const QByteArray json = "application/json";
    const QByteArray vote = voteBody("A");
    const QByteArray seventy(70, 'p');
    const QByteArray tooLarge = R"({"option_id":"A","pad":")" + QByteArray(16400, 'x') + "\"}";

    auto row = [](const char *name) -> QTestData & { return QTest::newRow(name); };
    row("unknown poll") << false << QByteArray("POST") << QByteArray("/api/v1/vote/nope") << json
                        << vote << 404 << "poll_not_found" << QByteArray();
    row("closed poll") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs-closed")
                       << json << vote << 409 << "poll_closed" << QByteArray();
    row("unknown option") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs") << json
                          << voteBody("Z") << 422 << "unknown_option" << QByteArray();
    row("option C of a two-option poll")
        << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs") << json << voteBody("C")
        << 422 << "unknown_option" << QByteArray();
    row("lower-case option") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs")
                             << json << voteBody("a") << 422 << "unknown_option" << QByteArray();
    row("two-letter option") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs")
                             << json << voteBody("AB") << 422 << "unknown_option" << QByteArray();
    row("empty option") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs") << json
                        << voteBody("") << 422 << "unknown_option" << QByteArray();
    row("malformed JSON") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs") << json
                          << QByteArray(R"({"option_id":)") << 400 << "malformed_json"
                          << QByteArray();
    row("empty body") << true << QByteArray("POST") << QByteArray("/api/v1/vote/errs") << json
                      << QByteArray() << 400 << "malformed_json" << QByteArray();
    row("JSON array") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs") << json
                      << QByteArray(R"(["A"])") << 400 << "malformed_json" << QByteArray();
    row("JSON string") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs") << json
                       << QByteArray(R"("A")") << 400 << "malformed_json" << QByteArray();
    row("missing option_id") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs")
                             << json << QByteArray(R"({"option":"A"})") << 422 << "missing_field"
                             << QByteArray();
    row("null option_id") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs") << json
                          << QByteArray(R"({"option_id":null})") << 422 << "missing_field"
                          << QByteArray();
    row("option_id number") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs")
                            << json << QByteArray(R"({"option_id":1})") << 422 << "invalid_field"
                            << QByteArray();
    row("option_id array") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs") << json
                           << QByteArray(R"({"option_id":["A"]})") << 422 << "invalid_field"
                           << QByteArray();
    row("voter_id number") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs") << json
                           << QByteArray(R"({"option_id":"A","voter_id":5})") << 422
                           << "invalid_field" << QByteArray();
    row("voter_id too long") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs")
                             << json
                             << (R"({"option_id":"A","voter_id":")" + QByteArray(129, 'v') + "\"}")
                             << 422 << "invalid_voter_id" << QByteArray();
    row("no Content-Type") << true << QByteArray("POST") << QByteArray("/api/v1/vote/errs")
                           << QByteArray() << vote << 415 << "unsupported_media_type"
                           << QByteArray();
    row("text/plain") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs")
                      << QByteArray("text/plain") << vote << 415 << "unsupported_media_type"
                      << QByteArray();
    row("form encoded") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs")
                        << QByteArray("application/x-www-form-urlencoded")
                        << QByteArray("option_id=A") << 415 << "unsupported_media_type"
                        << QByteArray();
    row("body over 16 KiB") << false << QByteArray("POST") << QByteArray("/api/v1/vote/errs")
                            << json << tooLarge << 413 << "body_too_large" << QByteArray();
    row("PUT on vote") << false << QByteArray("PUT") << QByteArray("/api/v1/vote/errs") << json
                       << vote << 405 << "method_not_allowed" << QByteArray("POST");
    row("GET on vote") << false << QByteArray("GET") << QByteArray("/api/v1/vote/errs")
                       << QByteArray() << QByteArray() << 405 << "method_not_allowed"
                       << QByteArray("POST");
    row("DELETE on bulk") << false << QByteArray("DELETE") << QByteArray("/api/v1/votes")
                          << QByteArray() << QByteArray() << 405 << "method_not_allowed"
                          << QByteArray("POST");
    row("POST on results") << false << QByteArray("POST") << QByteArray("/api/v1/results/errs")
                           << json << vote << 405 << "method_not_allowed"
                           << QByteArray("GET, HEAD");
    row("PATCH on poll") << false << QByteArray("PATCH") << QByteArray("/api/v1/polls/errs") << json
                         << QByteArray("{}") << 405 << "method_not_allowed"
                         << QByteArray("GET, HEAD, DELETE");
    row("unknown route") << false << QByteArray("GET") << QByteArray("/api/v1/nothing")
                         << QByteArray() << QByteArray() << 404 << "not_found" << QByteArray();
    row("unknown API version") << false << QByteArray("POST") << QByteArray("/api/v2/vote/errs")
                               << json << vote << 404 << "not_found" << QByteArray();
    row("vote without poll id") << false << QByteArray("POST") << QByteArray("/api/v1/vote") << json
                                << vote << 404 << "not_found" << QByteArray();
    row("70-char poll id on vote") << false << QByteArray("POST") << "/api/v1/vote/" + seventy
                                   << json << vote << 404 << "poll_not_found" << QByteArray();
    row("70-char poll id on results")
        << false << QByteArray("GET") << "/api/v1/results/" + seventy << QByteArray()
        << QByteArray() << 404 << "poll_not_found" << QByteArray();
    // Odd request targets, byte for byte, aimed at the poll "odd": any 4xx with a JSON
    // error, and no vote counted.
    row("trailing slash, no id") << true << QByteArray("POST") << QByteArray("/api/v1/vote/")
                                 << json << vote << 0 << QString() << QByteArray();
    row("encoded dot-dot in results")
        << true << QByteArray("GET") << QByteArray("/api/v1/results/..%2F..") << QByteArray()
        << QByteArray() << 0 << QString() << QByteArray();
    row("encoded dot-dot before id")
        << true << QByteArray("POST") << QByteArray("/api/v1/vote/..%2Fodd") << json << vote << 0
        << QString() << QByteArray();
    row("dot-dot segment") << true << QByteArray("POST") << QByteArray("/api/v1/vote/x/../odd")
                           << json << vote << 0 << QString() << QByteArray();
    row("encoded slash in id") << true << QByteArray("POST") << QByteArray("/api/v1/vote/odd%2F")
                               << json << vote << 0 << QString() << QByteArray();
    row("encoded slashes as separators")
        << true << QByteArray("POST") << QByteArray("/api/v1%2Fvote%2Fodd") << json << vote << 0
        << QString() << QByteArray();
    row("double slash inside") << true << QByteArray("POST") << QByteArray("/api/v1//vote/odd")
                               << json << vote << 0 << QString() << QByteArray();
    row("double slash leading") << true << QByteArray("POST") << QByteArray("//api/v1/vote/odd")
                                << json << vote << 0 << QString() << QByteArray();
    row("double slash before the API path")
        << true << QByteArray("POST") << QByteArray("//evil/api/v1/vote/odd") << json << vote << 0
        << QString() << QByteArray();
    row("NUL in id") << true << QByteArray("POST") << QByteArray("/api/v1/vote/odd%00") << json
                     << vote << 0 << QString() << QByteArray();
    row("non-ASCII id") << true << QByteArray("POST") << QByteArray("/api/v1/vote/%C3%A9") << json
                        << vote << 0 << QString() << QByteArray();
    row("stray percent") << true << QByteArray("POST") << QByteArray("/api/v1/vote/%zz") << json
                         << vote << 0 << QString() << QByteArray();
}

void TestE2eVotes::errorsAreAnsweredAndCountNothing()
{
    QFETCH(bool, raw);
    QFETCH(QByteArray, method);
    QFETCH(QByteArray, target);
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, code);
    QFETCH(QByteArray, allow);

    const qint64 acceptedBefore = statValue(m_client->get(Stats), "votes", "accepted");
    QVERIFY(acceptedBefore > 0);
    // Compared with what it was before this row, so one failing row does not fail the next.
    const QJsonObject oddBefore = m_client->get(Results + QStringLiteral("odd")).json;
    QVERIFY(oddBefore.contains("results"));

    HttpHeaders headers;
    if (!contentType.isEmpty())
        headers.insert("Content-Type", contentType);
    const HttpResponse response =
        raw ? m_client->raw(method, target, body, headers)
            : m_client->send(method, QString::fromLatin1(target), body, headers);
    if (status == 0)
        QVERIFY2(response.status >= 400 && response.status < 500, qPrintable(response.describe()));
    else
        VERIFY_STATUS(response, status);
    QVERIFY2(response.header("Content-Type").startsWith("application/json"),
             qPrintable(response.describe()));
    QVERIFY2(response.jsonObject && response.json.value("error").isObject(),
             qPrintable(response.describe()));
    const QJsonObject error = response.json.value("error").toObject();
    QVERIFY2(!error.value("code").toString().isEmpty(), qPrintable(response.describe()));
    QVERIFY2(!error.value("message").toString().isEmpty(), qPrintable(response.describe()));
    if (!code.isEmpty())
        QCOMPARE(error.value("code").toString(), code);
    if (!allow.isEmpty())
        QCOMPARE(response.header("Allow"), allow);

    // Nothing was counted anywhere.
    QCOMPARE(statValue(m_client->get(Stats), "votes", "accepted"), acceptedBefore);
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("errs")), "errs", QList<int>({2, 0}), "");
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("errs-closed")), "errs-closed",
                   QList<int>({0, 0}), "");
    const HttpResponse odd = m_client->get(Results + QStringLiteral("odd"));
    QCOMPARE(odd.json.value("results"), oddBefore.value("results"));
    QCOMPARE(odd.json.value("total"), oddBefore.value("total"));
}

void TestE2eVotes::declaredOversizedBodyIsRefusedEarly()
{
    // A client that announces 100 MB must get its 413 from the headers alone, without
    // the server first waiting for (and buffering) the whole body.
    HttpClient quick(m_server->url(), 3000);
    const HttpResponse response =
        quick.raw("POST /api/v1/vote/errs HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                  "Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n" +
                  voteBody("A"));
    VERIFY_STATUS(response, 413);
    QCOMPARE(response.errorCode(), QStringLiteral("body_too_large"));
}

void TestE2eVotes::serverIsHealthyAfterErrors()
{
    const HttpResponse health = m_client->get(QStringLiteral("/health"));
    VERIFY_STATUS(health, 200);
    QCOMPARE(health.json, QJsonObject({{"status", "healthy"}}));
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("errs")), "errs", QList<int>({2, 0}), "");
    // Still voting normally.
    VERIFY_STATUS(m_client->post(Vote + QStringLiteral("errs"), voteBody("B")), 202);
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("errs")), "errs", QList<int>({2, 1}), "");
}

void TestE2eVotes::resultsAreExactAfterFlush()
{
    // Flushes every 50 ms; no cache, so every read goes to the shard.
    TallyProcess server({QStringLiteral("--batch-interval"), QStringLiteral("0.05"),
                         QStringLiteral("--cache-ttl"), QStringLiteral("0")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient client(server.url());
    VERIFY_STATUS(createPoll(client, QStringLiteral("flushed"), 4), 201);
    const QString shard = shardOf(client, QStringLiteral("flushed"));
    const QString via = QStringLiteral("embedded:") + shard;

    for (const HttpResponse &vote :
         client.sendAll(voteRequests(QStringLiteral("flushed"), {10, 20, 7, 0}), 2))
        VERIFY_STATUS(vote, 202);
    // Exact whatever the flush has reached by now.
    VERIFY_RESULTS(client.get(Results + QStringLiteral("flushed")), "flushed",
                   QList<int>({10, 20, 7, 0}), via);

    const HttpResponse stats = client.waitFor(
        Stats, [](const HttpResponse &r) { return statValue(r, "votes", "flushed") == 37; });
    QCOMPARE(statValue(stats, "votes", "flushed"), 37);
    QCOMPARE(statValue(stats, "votes", "accepted"), 37);
    QCOMPARE(statValue(stats, "buffer", "depth"), 0);
    QCOMPARE(statValue(stats, "buffer", "in_flight"), 0);
    QCOMPARE(statValue(stats, "flush", "failures"), 0);
    QVERIFY(statValue(stats, "flush", "count") >= 1);
    for (const QJsonValue &entry : stats.json.value("shards").toArray()) {
        const QJsonObject object = entry.toObject();
        QCOMPARE(object.value("votes").toInteger(),
                 object.value("name").toString() == shard ? 37 : 0);
        QCOMPARE(object.value("polls").toInt(), object.value("name").toString() == shard ? 1 : 0);
    }
    VERIFY_RESULTS(client.get(Results + QStringLiteral("flushed")), "flushed",
                   QList<int>({10, 20, 7, 0}), via);

    // More votes: exact at once, and again once stored.
    for (const HttpResponse &vote :
         client.sendAll(voteRequests(QStringLiteral("flushed"), {0, 0, 1, 2})))
        VERIFY_STATUS(vote, 202);
    VERIFY_RESULTS(client.get(Results + QStringLiteral("flushed")), "flushed",
                   QList<int>({10, 20, 8, 2}), via);
    QCOMPARE(statValue(client.waitFor(Stats,
                                      [](const HttpResponse &r) {
                                          return statValue(r, "votes", "flushed") == 40;
                                      }),
                       "votes", "flushed"),
             40);
    VERIFY_RESULTS(client.get(Results + QStringLiteral("flushed")), "flushed",
                   QList<int>({10, 20, 8, 2}), via);
    QCOMPARE(server.stop(), 0);
}

void TestE2eVotes::manyWorkersManyConnections()
{
    TallyProcess server({QStringLiteral("--workers"), QStringLiteral("4"),
                         QStringLiteral("--batch-interval"), QStringLiteral("0.05"),
                         QStringLiteral("--cache-ttl"), QStringLiteral("0.2")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient client(server.url(), 20000);
    VERIFY_STATUS(createPoll(client, QStringLiteral("storm"), 5), 201);
    QCOMPARE(client.get(Stats).json.value("workers").toInt(), 4);

    // 2000 votes in 8 waves of 250, each wave over up to 24 connections while
    // flushes run; after every wave the results are exact.
    const QList<int> wave{100, 60, 50, 30, 10};
    QList<int> expected{0, 0, 0, 0, 0};
    for (int round = 1; round <= 8; ++round) {
        const QList<HttpResponse> votes =
            client.sendAll(voteRequests(QStringLiteral("storm"), wave), 4);
        QCOMPARE(votes.size(), 250);
        for (const HttpResponse &vote : votes)
            VERIFY_STATUS(vote, 202);
        for (int i = 0; i < expected.size(); ++i)
            expected[i] += wave[i];
        VERIFY_RESULTS(client.get(Results + QStringLiteral("storm")), "storm", expected, "");
    }
    QCOMPARE(expected, QList<int>({800, 480, 400, 240, 80}));

    const HttpResponse stats = client.waitFor(
        Stats, [](const HttpResponse &r) { return statValue(r, "votes", "flushed") == 2000; });
    QCOMPARE(statValue(stats, "votes", "flushed"), 2000);
    QCOMPARE(statValue(stats, "votes", "accepted"), 2000);
    QCOMPARE(statValue(stats, "buffer", "depth"), 0);
    QCOMPARE(statValue(stats, "buffer", "in_flight"), 0);
    VERIFY_RESULTS(client.get(Results + QStringLiteral("storm")), "storm", expected, "");
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(TestE2eVotes)
#include "tst_e2e_votes.moc"
