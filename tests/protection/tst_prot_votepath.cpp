// One vote path, whatever the transport: WebSocket votes spend the same per-client vote
// budget as REST votes; a bulk request spends one token per vote and never gets more
// votes accepted than the budget holds; a vote refused after its checks passed (here:
// overloaded) leaves its voter free to vote again.
#include "livetestkit.h"
#include "protkit.h"
#include "wsclient.h"

#include <QDir>
#include <QTemporaryDir>

using namespace prot;

namespace {

QJsonObject wsVote(const QString &pollId, const QString &option, int ref, const QString &voter = {})
{
    QJsonObject message{{QStringLiteral("type"), QStringLiteral("vote")},
                        {QStringLiteral("poll_id"), pollId},
                        {QStringLiteral("option_id"), option},
                        {QStringLiteral("ref"), ref}};
    if (!voter.isEmpty())
        message.insert(QStringLiteral("voter_id"), voter);
    return message;
}

QByteArray bulkBody(const QString &pollId, int votes)
{
    QJsonArray items;
    for (int i = 0; i < votes; ++i)
        items.append(QJsonObject{{QStringLiteral("poll_id"), pollId},
                                 {QStringLiteral("option_id"), QStringLiteral("A")}});
    return compact({{QStringLiteral("votes"), items}});
}

const QString Bulk = QStringLiteral("/api/v1/votes");

} // namespace

class TestVotePath : public QObject {
    Q_OBJECT

private slots:
    void webSocketVotesSpendTheVoteBudget();
    void webSocketClientBehindProxyHasItsOwnBudget();
    void bulkSpendsOneTokenPerVote();
    void overloadedVoteLeavesTheVoterFree();
};

void TestVotePath::webSocketVotesSpendTheVoteBudget()
{
    // One vote per second, bursts of two.
    TallyProcess tally({"--rate-limit-loopback", "--rate-votes", "1", "--durability", "async"});
    PROT_START(tally);
    HttpClient http(tally.url());
    PROT_STATUS(http.postJson(Polls, pollBody(QStringLiteral("ws"))), 201);

    WsClient ws;
    QVERIFY2(ws.open(WsClient::wsUrl(tally.url())), qPrintable(ws.errorString()));
    constexpr int Votes = 300;
    for (int ref = 1; ref <= Votes; ++ref)
        ws.send(wsVote(QStringLiteral("ws"), QStringLiteral("A"), ref));
    int acks = 0;
    int limited = 0;
    for (int answer = 0; answer < Votes; ++answer) {
        const std::optional<QJsonObject> message = ws.next(
            [](const QJsonObject &m) {
                return m.value("type").toString() == u"ack" ||
                       m.value("type").toString() == u"error";
            },
            10000);
        QVERIFY2(message, qPrintable(QStringLiteral("%1 answers of %2").arg(answer).arg(Votes)));
        if (message->value("type").toString() == u"ack") {
            ++acks;
            continue;
        }
        QCOMPARE(message->value("code").toString(), QStringLiteral("rate_limited"));
        QCOMPARE(message->value("message").toString(),
                 QStringLiteral("Too many requests from 127.0.0.1; retry in 1 s."));
        QCOMPARE(message->value("retry_after").toInt(), 1);
        ++limited;
    }
    QCOMPARE(acks, 2);
    QCOMPARE(limited, Votes - 2);

    // The REST vote of the same client finds the same budget spent.
    const HttpResponse rest = http.post(Vote + QStringLiteral("ws"), voteBody("A"));
    PROT_STATUS(rest, 429);
    QCOMPARE(rest.header("Retry-After"), QByteArray("1"));
    const HttpResponse results = http.get(Results + QStringLiteral("ws"));
    PROT_STATUS(results, 200);
    QCOMPARE(total(results.json), 2);
    const HttpResponse stats = http.get(Stats);
    QCOMPARE(statValue(stats.json, "rate_limited", "votes"), Votes - 2 + 1);
    QCOMPARE(statValue(stats.json, "votes", "accepted"), 2);
    QCOMPARE(statValue(stats.json, "votes", "rejected"), 0);
    QCOMPARE(tally.stop(), 0);
}

void TestVotePath::webSocketClientBehindProxyHasItsOwnBudget()
{
    // Defaults: loopback is exempt, and loopback is a trusted proxy, so a WebSocket
    // forwarded for 198.51.100.1 spends that client's budget (bursts of two).
    TallyProcess tally({"--rate-votes", "1", "--durability", "async"});
    PROT_START(tally);
    HttpClient http(tally.url());
    PROT_STATUS(http.postJson(Polls, pollBody(QStringLiteral("fwd"))), 201);
    QNetworkRequest handshake(WsClient::wsUrl(tally.url()));
    handshake.setRawHeader("X-Forwarded-For", "198.51.100.1");
    WsClient ws;
    QVERIFY2(ws.open(handshake), qPrintable(ws.errorString()));
    for (int ref = 1; ref <= 3; ++ref)
        ws.send(wsVote(QStringLiteral("fwd"), QStringLiteral("A"), ref));
    for (int ref = 1; ref <= 2; ++ref) {
        const std::optional<QJsonObject> ack = ws.nextOfType(QStringLiteral("ack"));
        QVERIFY(ack);
        QCOMPARE(ack->value("ref").toInt(), ref);
    }
    const std::optional<QJsonObject> refused = ws.nextOfType(QStringLiteral("error"));
    QVERIFY(refused);
    QCOMPARE(refused->value("ref").toInt(), 3);
    QCOMPARE(refused->value("message").toString(),
             QStringLiteral("Too many requests from 198.51.100.1; retry in 1 s."));
    // Its REST votes share that budget; the proxy's own address is still exempt.
    PROT_STATUS(http.post(Vote + QStringLiteral("fwd"), voteBody("A"),
                          {{"X-Forwarded-For", "198.51.100.1"}}),
                429);
    PROT_STATUS(http.post(Vote + QStringLiteral("fwd"), voteBody("A")), 202);
    QCOMPARE(total(http.get(Results + QStringLiteral("fwd")).json), 3);
    QCOMPARE(tally.stop(), 0);
}

void TestVotePath::bulkSpendsOneTokenPerVote()
{
    TallyProcess tally({"--rate-limit-loopback", "--rate-votes", "1", "--durability", "async"});
    PROT_START(tally);
    HttpClient http(tally.url());
    PROT_STATUS(http.postJson(Polls, pollBody(QStringLiteral("bulk"))), 201);

    // The burst holds two tokens: two of the 400 votes are counted, the rest refused
    // one by one, and the answer says when to send them again.
    const HttpResponse first = http.post(Bulk, bulkBody(QStringLiteral("bulk"), 400));
    PROT_STATUS(first, 202);
    QCOMPARE(first.json.value("accepted").toInt(), 2);
    QCOMPARE(first.json.value("rejected").toInt(), 398);
    QCOMPARE(first.header("Retry-After"), QByteArray("1"));
    const QJsonArray items = first.json.value("results").toArray();
    QCOMPARE(items.size(), 400);
    QCOMPARE(items.at(1).toObject().value("status").toString(), QStringLiteral("accepted"));
    for (qsizetype i = 2; i < items.size(); ++i) {
        const QJsonObject item = items.at(i).toObject();
        QCOMPARE(item.value("status").toString(), QStringLiteral("rejected"));
        QCOMPARE(item.value("error").toObject().value("code").toString(),
                 QStringLiteral("rate_limited"));
    }

    // No token left: the whole request is refused.
    const HttpResponse second = http.post(Bulk, bulkBody(QStringLiteral("bulk"), 400));
    PROT_STATUS(second, 429);
    QCOMPARE(second.errorCode(), QStringLiteral("rate_limited"));
    QCOMPARE(second.header("Retry-After"), QByteArray("1"));

    const HttpResponse results = http.get(Results + QStringLiteral("bulk"));
    PROT_STATUS(results, 200);
    QCOMPARE(total(results.json), 2);
    const HttpResponse stats = http.get(Stats);
    QCOMPARE(statValue(stats.json, "rate_limited", "votes"), 398 + 400);
    QCOMPARE(statValue(stats.json, "votes", "rejected"), 0);
    QCOMPARE(tally.stop(), 0);
}

void TestVotePath::overloadedVoteLeavesTheVoterFree()
{
    QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/tally-prot-voters-XXXXXX"));
    QVERIFY(dir.isValid());
    {
        // 1000 votes held in memory (no flush for an hour) fill the pending bound.
        TallyProcess tally(
            {"--max-pending-votes", "1000", "--batch-interval", "3600", "--durability", "async"},
            dir.path());
        PROT_START(tally);
        HttpClient http(tally.url());
        PROT_STATUS(http.postJson(Polls, pollBody(QStringLiteral("free"))), 201);
        PROT_STATUS(http.postJson(Polls, oneVotePerVoter(pollBody(QStringLiteral("once")))), 201);
        for (int part = 0; part < 4; ++part) {
            const HttpResponse filled = http.post(Bulk, bulkBody(QStringLiteral("free"), 250));
            PROT_STATUS(filled, 202);
            QCOMPARE(filled.json.value("accepted").toInt(), 250);
        }

        for (int attempt = 0; attempt < 2; ++attempt) {
            const HttpResponse refused =
                http.post(Vote + QStringLiteral("once"), voteBody("A", QStringLiteral("v")));
            PROT_STATUS(refused, 503);
            QCOMPARE(refused.errorCode(), QStringLiteral("overloaded"));
            QCOMPARE(refused.header("Retry-After"), QByteArray("1"));
        }
        // The same over the WebSocket.
        WsClient ws;
        QVERIFY2(ws.open(WsClient::wsUrl(tally.url())), qPrintable(ws.errorString()));
        ws.send(wsVote(QStringLiteral("once"), QStringLiteral("B"), 1, QStringLiteral("w")));
        const std::optional<QJsonObject> answer = ws.nextOfType(QStringLiteral("error"));
        QVERIFY(answer);
        QCOMPARE(answer->value("code").toString(), QStringLiteral("overloaded"));
        QCOMPARE(tally.stop(), 0); // flushes the 1000 votes
    }
    // Room again: both voters vote once, and only once.
    TallyProcess tally({"--durability", "async"}, dir.path());
    PROT_START(tally);
    HttpClient http(tally.url());
    PROT_STATUS(http.post(Vote + QStringLiteral("once"), voteBody("A", QStringLiteral("v"))), 202);
    PROT_STATUS(http.post(Vote + QStringLiteral("once"), voteBody("B", QStringLiteral("w"))), 202);
    const HttpResponse again =
        http.post(Vote + QStringLiteral("once"), voteBody("A", QStringLiteral("v")));
    PROT_STATUS(again, 409);
    QCOMPARE(again.errorCode(), QStringLiteral("duplicate_voter"));
    const HttpResponse results = http.get(Results + QStringLiteral("once"));
    QCOMPARE(total(results.json), 2);
    QCOMPARE(total(http.get(Results + QStringLiteral("free")).json), 1000);
    QCOMPARE(tally.stop(), 0);
}

QTEST_GUILESS_MAIN(TestVotePath)
#include "tst_prot_votepath.moc"
