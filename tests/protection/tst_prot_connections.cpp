// Connection limits: per client and overall (503 too_many_connections, then close),
// idle keep-alive connections reaped after --idle-timeout (stats reaped_idle, the
// client sees EOF), and normal clients still served while 1000 idle connections or
// 200 slowloris connections are open. All traffic stays on loopback; the crowds come
// from other loopback addresses (127.0.0.2, 127.0.0.3) than the normal client.
#include "protkit.h"

#include <QElapsedTimer>

#include <atomic>
#include <thread>

using namespace prot;

namespace {

const QByteArray Health = RawSocket::httpRequest("GET", "/health");

QJsonObject tooMany()
{
    return errorJson(QStringLiteral("too_many_connections"),
                     QStringLiteral("Too many open connections; retry shortly."));
}

// GET /stats on a fresh connection that is closed right after the answer.
QJsonObject statsOf(const TallyProcess &tally)
{
    RawSocket socket;
    if (!socket.connectTo(tally.port()))
        return {};
    return socket.request(RawSocket::httpRequest("GET", "/api/v1/stats")).json;
}

// Waits until `done` holds for the stats (fresh connection each time) or time is up.
QJsonObject waitForStats(const TallyProcess &tally,
                         const std::function<bool(const QJsonObject &)> &done, int timeoutMs)
{
    QElapsedTimer timer;
    timer.start();
    for (;;) {
        const QJsonObject stats = statsOf(tally);
        if (done(stats) || timer.elapsed() > timeoutMs)
            return stats;
        QTest::qWait(20);
    }
}

} // namespace

class TestConnections : public QObject {
    Q_OBJECT

private slots:
    void perClientLimit();
    void overallLimit();
    void idleConnectionsAreReaped();
    void servedBesideThousandIdleConnections();
    void servedBesideSlowloris();
};

void TestConnections::perClientLimit()
{
    TallyProcess tally({"--max-connections-per-client", "10", "--workers", "1"});
    PROT_START(tally);
    std::vector<RawSocket> held(10);
    for (RawSocket &socket : held) {
        QVERIFY2(socket.connectTo(tally.port()), qPrintable(socket.errorString()));
        PROT_STATUS(socket.request(Health), 200); // admitted and kept alive
    }

    RawSocket eleventh;
    QVERIFY2(eleventh.connectTo(tally.port()), qPrintable(eleventh.errorString()));
    // Answered without a request, then closed.
    const RawResponse refused = eleventh.readResponse(3000);
    PROT_STATUS(refused, 503);
    QCOMPARE(refused.json, tooMany());
    QCOMPARE(refused.header("Retry-After"), QByteArray("1"));
    QCOMPARE(refused.header("Connection"), QByteArray("close"));
    QCOMPARE(refused.header("Content-Type"), QByteArray("application/json"));
    QCOMPARE(eleventh.waitClosed(3000), RawSocket::Closed::Eof);

    // Another address has its own allowance.
    RawSocket other;
    QVERIFY2(other.connectTo(tally.port(), "127.0.0.2"), qPrintable(other.errorString()));
    PROT_STATUS(other.request(Health), 200);

    // The held connections still work; stats over one of them.
    const RawResponse stats = held[0].request(RawSocket::httpRequest("GET", "/api/v1/stats"));
    PROT_STATUS(stats, 200);
    QCOMPARE(statValue(stats.json, "connections", "open"), 11);
    QCOMPARE(statValue(stats.json, "connections", "refused"), 1);
    QCOMPARE(statValue(stats.json, "connections", "reaped_idle"), 0);

    // Closing one frees its place at once.
    held.pop_back();
    QElapsedTimer timer;
    timer.start();
    int refusedMeanwhile = 0;
    for (;;) {
        RawSocket again;
        QVERIFY(again.connectTo(tally.port()));
        const RawResponse answer = again.request(Health, 3000);
        if (answer.status == 200)
            break;
        PROT_STATUS(answer, 503);
        ++refusedMeanwhile;
        QVERIFY2(timer.elapsed() < 3000, "the closed connection's place was not freed");
        QTest::qWait(10);
    }
    qInfo("a freed place was reused after %lld ms (%d refusals meanwhile)", timer.elapsed(),
          refusedMeanwhile);
    QCOMPARE(tally.stop(), 0);
}

void TestConnections::overallLimit()
{
    TallyProcess tally({"--max-connections", "5", "--workers", "1"});
    PROT_START(tally);
    std::vector<RawSocket> held(5);
    for (size_t i = 0; i < held.size(); ++i) {
        const QByteArray source = "127.0.0." + QByteArray::number(int(i) + 2);
        QVERIFY2(held[i].connectTo(tally.port(), source.constData()),
                 qPrintable(held[i].errorString()));
        PROT_STATUS(held[i].request(Health), 200);
    }
    RawSocket sixth;
    QVERIFY(sixth.connectTo(tally.port(), "127.0.0.20"));
    const RawResponse refused = sixth.readResponse(3000);
    PROT_STATUS(refused, 503);
    QCOMPARE(refused.json, tooMany());
    QCOMPARE(sixth.waitClosed(3000), RawSocket::Closed::Eof);
    const RawResponse stats = held[0].request(RawSocket::httpRequest("GET", "/api/v1/stats"));
    QCOMPARE(statValue(stats.json, "connections", "open"), 5);
    QCOMPARE(statValue(stats.json, "connections", "refused"), 1);
    QCOMPARE(tally.stop(), 0);
}

void TestConnections::idleConnectionsAreReaped()
{
    TallyProcess tally({"--idle-timeout", "0.5", "--workers", "2"});
    PROT_START(tally);

    // Connections that never send anything.
    QString error;
    std::vector<RawSocket> idle = RawSocket::connectMany(5, tally.port(), nullptr, 5000, &error);
    QVERIFY2(!idle.empty(), qPrintable(error));
    QElapsedTimer timer;
    timer.start();
    qint64 first = -1;
    qint64 last = -1;
    for (RawSocket &socket : idle) {
        QCOMPARE(socket.waitClosed(3000), RawSocket::Closed::Eof);
        const qint64 at = timer.elapsed();
        first = first < 0 ? at : first;
        last = at;
    }
    qInfo("5 silent connections closed %lld..%lld ms after connecting", first, last);
    QVERIFY2(first >= 400, qPrintable(QString::number(first)));
    QVERIFY2(last <= 1500, qPrintable(QString::number(last)));

    // A kept-alive connection is reaped once idle after its answer.
    RawSocket served;
    QVERIFY(served.connectTo(tally.port()));
    PROT_STATUS(served.request(Health), 200);
    timer.restart();
    QCOMPARE(served.waitClosed(3000), RawSocket::Closed::Eof);
    const qint64 afterAnswer = timer.elapsed();
    qInfo("a kept-alive connection closed %lld ms after its answer", afterAnswer);
    QVERIFY2(afterAnswer >= 400 && afterAnswer <= 1500, qPrintable(QString::number(afterAnswer)));

    // A connection in use is not idle: 8 requests 200 ms apart, over three times the
    // idle timeout in all.
    RawSocket busy;
    QVERIFY(busy.connectTo(tally.port()));
    for (int i = 0; i < 8; ++i) {
        PROT_STATUS(busy.request(Health), 200);
        QTest::qWait(200);
    }
    QCOMPARE(busy.waitClosed(3000), RawSocket::Closed::Eof);

    const QJsonObject stats = waitForStats(
        tally, [](const QJsonObject &s) { return statValue(s, "connections", "open") == 1; }, 3000);
    QCOMPARE(statValue(stats, "connections", "reaped_idle"), 7);
    QCOMPARE(statValue(stats, "connections", "open"), 1); // this request's own connection
    QCOMPARE(statValue(stats, "connections", "refused"), 0);
    QCOMPARE(tally.stop(), 0);
}

void TestConnections::servedBesideThousandIdleConnections()
{
    TallyProcess tally({"--max-connections-per-client", "2000", "--workers", "2"});
    PROT_START(tally);
    HttpClient client(tally.url(), 5000);
    PROT_STATUS(client.postJson(Polls, pollBody(QStringLiteral("crowd"))), 201);

    QElapsedTimer timer;
    timer.start();
    QString error;
    std::vector<RawSocket> crowd =
        RawSocket::connectMany(1000, tally.port(), "127.0.0.2", 15000, &error);
    QVERIFY2(crowd.size() == 1000, qPrintable(error));
    // Open: the crowd, the client's kept-alive connection and this request's own.
    const QJsonObject stats = waitForStats(
        tally, [](const QJsonObject &s) { return statValue(s, "connections", "open") >= 1002; },
        10000);
    QCOMPARE(statValue(stats, "connections", "open"), 1002);
    QCOMPARE(statValue(stats, "connections", "refused"), 0);
    qInfo("1000 idle connections from 127.0.0.2 open and admitted after %lld ms", timer.elapsed());

    // The normal client from 127.0.0.1.
    qint64 slowest = 0;
    for (int i = 0; i < 20; ++i) {
        timer.restart();
        PROT_STATUS(client.get(QStringLiteral("/health")), 200);
        PROT_STATUS(client.post(Vote + QStringLiteral("crowd"), voteBody("A")), 202);
        slowest = std::max(slowest, timer.elapsed());
    }
    qInfo("beside 1000 idle connections: slowest /health + vote pair %lld ms", slowest);
    QVERIFY2(slowest < 1000, qPrintable(QString::number(slowest)));
    QCOMPARE(total(client.get(Results + QStringLiteral("crowd")).json), 20);

    // A fresh connection (new accept) is served as quickly.
    RawSocket fresh;
    timer.restart();
    QVERIFY(fresh.connectTo(tally.port()));
    PROT_STATUS(fresh.request(Health, 2000), 200);
    qInfo("fresh connection + /health beside the crowd: %lld ms", timer.elapsed());
    fresh.close();

    crowd.clear();
    const QJsonObject after = waitForStats(
        tally, [](const QJsonObject &s) { return statValue(s, "connections", "open") <= 2; },
        10000);
    // Left: this request's connection and the client's kept-alive one.
    QVERIFY2(statValue(after, "connections", "open") <= 2,
             qPrintable(QString::number(statValue(after, "connections", "open"))));
    QCOMPARE(tally.stop(), 0);
}

void TestConnections::servedBesideSlowloris()
{
    TallyProcess tally({"--max-connections-per-client", "2000", "--workers", "2"});
    PROT_START(tally);
    HttpClient client(tally.url(), 5000);
    PROT_STATUS(client.postJson(Polls, pollBody(QStringLiteral("slow"))), 201);

    QString error;
    std::vector<RawSocket> slow =
        RawSocket::connectMany(200, tally.port(), "127.0.0.3", 10000, &error);
    QVERIFY2(slow.size() == 200, qPrintable(error));
    for (RawSocket &socket : slow)
        QVERIFY(socket.send("POST /api/v1/vote/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: "));
    // One more byte of the head on every connection every 50 ms, never the end.
    std::atomic<bool> stop = false;
    std::atomic<int> ticks = 0;
    std::thread trickle([&] {
        while (!stop) {
            for (RawSocket &socket : slow)
                socket.send("a", 100);
            ++ticks;
            std::this_thread::sleep_for(std::chrono::milliseconds(50));
        }
    });

    QElapsedTimer timer;
    qint64 slowest = 0;
    QElapsedTimer overall;
    overall.start();
    int pairs = 0;
    while (overall.elapsed() < 2000) {
        timer.restart();
        const HttpResponse health = client.get(QStringLiteral("/health"));
        const HttpResponse vote = client.post(Vote + QStringLiteral("slow"), voteBody("B"));
        slowest = std::max(slowest, timer.elapsed());
        if (health.status != 200 || vote.status != 202) {
            stop = true;
            trickle.join();
            QFAIL(qPrintable(health.describe() + u'\n' + vote.describe()));
        }
        ++pairs;
    }
    stop = true;
    trickle.join();
    qInfo("beside 200 slowloris connections (%d trickle rounds): %d /health + vote pairs, "
          "slowest %lld ms",
          ticks.load(), pairs, slowest);
    QVERIFY2(slowest < 1000, qPrintable(QString::number(slowest)));
    QCOMPARE(total(client.get(Results + QStringLiteral("slow")).json), pairs);

    // None of the partial requests was answered or counted.
    for (RawSocket &socket : slow)
        QCOMPARE(socket.waitClosed(0), RawSocket::Closed::Timeout);
    QCOMPARE(statValue(statsOf(tally), "connections", "open"), 200 + 2);
    QCOMPARE(tally.stop(), 0);
}

QTEST_GUILESS_MAIN(TestConnections)
#include "tst_prot_connections.moc"
