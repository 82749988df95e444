// Rate limits end to end: a burst of votes gets exactly the burst accepted and then
// 429 with Retry-After and the JSON error; votes, reads and admin calls have separate
// budgets; the budget is one per client however many workers serve it; a trusted
// loopback proxy's X-Forwarded-For gives each forwarded client a budget of its own.
//
// Bursts go out over many plain sockets at once (connected first, then one request
// each), so every limiter decision falls within a few milliseconds and no token can
// refill in between: the counts are exact.
#include "protkit.h"

#include <QElapsedTimer>

using namespace prot;

namespace {

struct Burst {
    int accepted = 0;
    int limited = 0;
    QList<RawResponse> refusals;
    QStringList unexpected;
    qint64 elapsedMs = 0;
};

Burst sendBurst(quint16 port, int connections, const QByteArray &request, QString *error)
{
    Burst burst;
    std::vector<RawSocket> sockets =
        RawSocket::connectMany(connections, port, nullptr, 5000, error);
    if (sockets.empty())
        return burst;
    QElapsedTimer timer;
    timer.start();
    for (RawSocket &socket : sockets)
        if (!socket.send(request))
            burst.unexpected.append(socket.errorString());
    for (RawSocket &socket : sockets) {
        const RawResponse response = socket.readResponse(10000);
        if (response.status == 202)
            ++burst.accepted;
        else if (response.status == 429) {
            ++burst.limited;
            burst.refusals.append(response);
        } else
            burst.unexpected.append(response.describe());
    }
    burst.elapsedMs = timer.elapsed();
    return burst;
}

QString voteError(const QString &client, int seconds)
{
    return QStringLiteral("Too many requests from %1; retry in %2 s.").arg(client).arg(seconds);
}

HttpHeaders forwardedFor(const QByteArray &chain)
{
    return {{"X-Forwarded-For", chain}};
}

} // namespace

class TestRates : public QObject {
    Q_OBJECT

private slots:
    void voteBurstThenRetryAfter();
    void budgetsAreSeparate();
    void workersShareOneBudget();
    void forwardedClientsHaveOwnBudgets();
    void untrustedPeerCannotForward();
};

void TestRates::voteBurstThenRetryAfter()
{
    // 10 votes/s, bursts of 20; one worker.
    TallyProcess tally(
        {"--rate-limit-loopback", "--rate-votes", "10", "--workers", "1", "--durability", "async"});
    PROT_START(tally);
    HttpClient client(tally.url());
    PROT_STATUS(client.postJson(Polls, pollBody(QStringLiteral("burst"))), 201);

    QString error;
    const QByteArray vote = RawSocket::httpRequest("POST", "/api/v1/vote/burst", voteBody("A"));
    const Burst burst = sendBurst(tally.port(), 30, vote, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(burst.unexpected.isEmpty(), qPrintable(burst.unexpected.join(u'\n')));
    qInfo("30 votes at once: %d accepted, %d limited, %lld ms", burst.accepted, burst.limited,
          burst.elapsedMs);
    QCOMPARE(burst.accepted, 20);
    QCOMPARE(burst.limited, 10);
    for (const RawResponse &refusal : burst.refusals) {
        QCOMPARE(refusal.header("Retry-After"), QByteArray("1"));
        QCOMPARE(refusal.header("Content-Type"), QByteArray("application/json"));
        QCOMPARE(refusal.json, errorJson(QStringLiteral("rate_limited"),
                                         voteError(QStringLiteral("127.0.0.1"), 1)));
    }

    // Only accepted votes count.
    const HttpResponse results = client.get(Results + QStringLiteral("burst"));
    PROT_STATUS(results, 200);
    QCOMPARE(total(results.json), 20);
    const HttpResponse stats = client.get(Stats);
    PROT_STATUS(stats, 200);
    QCOMPARE(statValue(stats.json, "rate_limited", "votes"), 10);
    QCOMPARE(statValue(stats.json, "rate_limited", "reads"), 0);
    QCOMPARE(statValue(stats.json, "rate_limited", "admin"), 0);
    // 127.0.0.1 has a bucket in each budget it used: votes, reads, admin.
    QCOMPARE(statValue(stats.json, "rate_limited", "tracked_clients"), 3);

    // The bucket refills at 10/s: a vote is accepted again within ~100 ms.
    QElapsedTimer refill;
    refill.start();
    int refusedMeanwhile = 0;
    for (;;) {
        const HttpResponse again = client.post(Vote + QStringLiteral("burst"), voteBody("B"));
        if (again.status == 202)
            break;
        PROT_STATUS(again, 429);
        ++refusedMeanwhile;
        QVERIFY2(refill.elapsed() < 2000, "no token came back within 2 s");
        QTest::qWait(5);
    }
    qInfo("next vote accepted %lld ms after the burst's refusals (%d more refused)",
          refill.elapsed(), refusedMeanwhile);
    QVERIFY(refill.elapsed() <= 200);
    QCOMPARE(total(client.get(Results + QStringLiteral("burst")).json), 21);
    QCOMPARE(tally.stop(), 0);
}

void TestRates::budgetsAreSeparate()
{
    // Bursts: votes 2 (1/s), reads 3 (1.5/s), admin 1 (0.5/s). Each budget is spent
    // within a few requests, far quicker than its next token (667 ms or more).
    TallyProcess tally({"--rate-limit-loopback", "--rate-votes", "1", "--rate-reads", "1.5",
                        "--rate-admin", "0.5", "--durability", "async"});
    PROT_START(tally);
    HttpClient client(tally.url());

    PROT_STATUS(client.postJson(Polls, pollBody(QStringLiteral("sep"))), 201);
    const HttpResponse secondPoll = client.postJson(Polls, pollBody(QStringLiteral("sep2")));
    PROT_STATUS(secondPoll, 429);
    QCOMPARE(secondPoll.header("Retry-After"), QByteArray("2"));
    QCOMPARE(secondPoll.errorCode(), QStringLiteral("rate_limited"));

    for (int i = 0; i < 2; ++i)
        PROT_STATUS(client.post(Vote + QStringLiteral("sep"), voteBody("A")), 202);
    const HttpResponse thirdVote = client.post(Vote + QStringLiteral("sep"), voteBody("A"));
    PROT_STATUS(thirdVote, 429);
    QCOMPARE(thirdVote.header("Retry-After"), QByteArray("1"));

    // Reads still have their whole burst, whichever read route is used.
    PROT_STATUS(client.get(QStringLiteral("/api/v1/polls/sep")), 200);
    const HttpResponse results = client.get(Results + QStringLiteral("sep"));
    PROT_STATUS(results, 200);
    QCOMPARE(total(results.json), 2);
    PROT_STATUS(client.get(QStringLiteral("/api/v1/themes")), 200);
    const HttpResponse fourthRead = client.get(QStringLiteral("/api/v1/ring"));
    PROT_STATUS(fourthRead, 429);
    QCOMPARE(fourthRead.header("Retry-After"), QByteArray("1"));

    // Spending reads gave nothing back to the others.
    PROT_STATUS(client.post(QStringLiteral("/api/v1/polls/sep/close")), 429);
    PROT_STATUS(client.post(Vote + QStringLiteral("sep"), voteBody("A")), 429);

    // Stats through a forwarded client, which has a read budget of its own.
    const HttpResponse stats = client.get(Stats, forwardedFor("192.0.2.200"));
    PROT_STATUS(stats, 200);
    QCOMPARE(statValue(stats.json, "rate_limited", "votes"), 2);
    QCOMPARE(statValue(stats.json, "rate_limited", "reads"), 1);
    QCOMPARE(statValue(stats.json, "rate_limited", "admin"), 2);
    // 127.0.0.1 in all three budgets, 192.0.2.200 in reads.
    QCOMPARE(statValue(stats.json, "rate_limited", "tracked_clients"), 4);

    // Liveness, readiness and metrics are never limited.
    for (int i = 0; i < 10; ++i) {
        PROT_STATUS(client.get(QStringLiteral("/health")), 200);
        PROT_STATUS(client.get(QStringLiteral("/ready")), 200);
        PROT_STATUS(client.get(QStringLiteral("/metrics")), 200);
    }
    QCOMPARE(tally.stop(), 0);
}

void TestRates::workersShareOneBudget()
{
    // Four workers, 80 connections spread over them by the kernel: the client still
    // has one burst of 20, not 20 per worker.
    TallyProcess tally(
        {"--rate-limit-loopback", "--rate-votes", "10", "--workers", "4", "--durability", "async"});
    PROT_START(tally);
    HttpClient client(tally.url());
    PROT_STATUS(client.postJson(Polls, pollBody(QStringLiteral("shared"))), 201);

    QString error;
    const QByteArray vote = RawSocket::httpRequest("POST", "/api/v1/vote/shared", voteBody("B"));
    const Burst burst = sendBurst(tally.port(), 80, vote, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(burst.unexpected.isEmpty(), qPrintable(burst.unexpected.join(u'\n')));
    qInfo("80 votes over 80 connections, 4 workers: %d accepted, %d limited, %lld ms",
          burst.accepted, burst.limited, burst.elapsedMs);
    QCOMPARE(burst.accepted, 20);
    QCOMPARE(burst.limited, 60);

    const HttpResponse results = client.get(Results + QStringLiteral("shared"));
    PROT_STATUS(results, 200);
    QCOMPARE(total(results.json), 20);
    const HttpResponse stats = client.get(Stats);
    QCOMPARE(statValue(stats.json, "rate_limited", "votes"), 60);
    QCOMPARE(tally.stop(), 0);
}

void TestRates::forwardedClientsHaveOwnBudgets()
{
    // Default: loopback itself is exempt, forwarded clients are not. Bursts of 4.
    TallyProcess tally({"--rate-votes", "2", "--workers", "2", "--durability", "async"});
    PROT_START(tally);
    HttpClient client(tally.url());
    PROT_STATUS(client.postJson(Polls, pollBody(QStringLiteral("fwd"))), 201);
    const QString path = Vote + QStringLiteral("fwd");

    // The proxy's own address (a direct loopback client) is never limited.
    for (int i = 0; i < 12; ++i)
        PROT_STATUS(client.post(path, voteBody("A")), 202);

    int accepted = 12;
    for (const QByteArray &address : {QByteArray("198.51.100.1"), QByteArray("198.51.100.2")}) {
        for (int i = 0; i < 4; ++i)
            PROT_STATUS(client.post(path, voteBody("A"), forwardedFor(address)), 202);
        accepted += 4;
        const HttpResponse refused = client.post(path, voteBody("A"), forwardedFor(address));
        PROT_STATUS(refused, 429);
        QCOMPARE(refused.json, errorJson(QStringLiteral("rate_limited"),
                                         voteError(QString::fromLatin1(address), 1)));
        QCOMPARE(refused.header("Retry-After"), QByteArray("1"));
    }
    // A client-supplied left part changes nothing: the right-most untrusted hop counts.
    const HttpResponse spoofed =
        client.post(path, voteBody("A"), forwardedFor("203.0.113.9, 198.51.100.1"));
    PROT_STATUS(spoofed, 429);
    QCOMPARE(spoofed.json.value("error").toObject().value("message").toString(),
             voteError(QStringLiteral("198.51.100.1"), 1));
    // Claiming to be loopback does not buy the exemption either.
    PROT_STATUS(client.post(path, voteBody("A"), forwardedFor("127.0.0.1, 198.51.100.2")), 429);
    // X-Real-IP when there is no X-Forwarded-For.
    for (int i = 0; i < 4; ++i)
        PROT_STATUS(client.post(path, voteBody("A"), {{"X-Real-IP", "198.51.100.3"}}), 202);
    accepted += 4;
    PROT_STATUS(client.post(path, voteBody("A"), {{"X-Real-IP", "198.51.100.3"}}), 429);
    // The direct client is still served.
    PROT_STATUS(client.post(path, voteBody("A")), 202);
    ++accepted;

    const HttpResponse results = client.get(Results + QStringLiteral("fwd"));
    QCOMPARE(total(results.json), accepted);
    const HttpResponse stats = client.get(Stats);
    PROT_STATUS(stats, 200);
    QCOMPARE(statValue(stats.json, "rate_limited", "votes"), 5);
    QCOMPARE(statValue(stats.json, "rate_limited", "reads"), 0);
    // Three forwarded clients in the votes budget; loopback is never tracked.
    QCOMPARE(statValue(stats.json, "rate_limited", "tracked_clients"), 3);
    QCOMPARE(tally.stop(), 0);
}

void TestRates::untrustedPeerCannotForward()
{
    // Loopback is not a trusted proxy here: its X-Forwarded-For is ignored, so every
    // "forwarded" client shares the peer's budget of 4.
    TallyProcess tally({"--rate-limit-loopback", "--trusted-proxies", "192.0.2.1", "--rate-votes",
                        "2", "--durability", "async"});
    PROT_START(tally);
    HttpClient client(tally.url());
    PROT_STATUS(client.postJson(Polls, pollBody(QStringLiteral("direct"))), 201);
    const QString path = Vote + QStringLiteral("direct");
    for (const QByteArray &address : {QByteArray("198.51.100.1"), QByteArray("198.51.100.2")}) {
        PROT_STATUS(client.post(path, voteBody("A"), forwardedFor(address)), 202);
        PROT_STATUS(client.post(path, voteBody("A"), {{"X-Real-IP", address}}), 202);
    }
    const HttpResponse refused = client.post(path, voteBody("A"), forwardedFor("198.51.100.3"));
    PROT_STATUS(refused, 429);
    QCOMPARE(refused.json.value("error").toObject().value("message").toString(),
             voteError(QStringLiteral("127.0.0.1"), 1));
    QCOMPARE(tally.stop(), 0);
}

QTEST_GUILESS_MAIN(TestRates)
#include "tst_prot_rates.moc"
