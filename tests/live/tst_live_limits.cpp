// The limits of the WebSocket endpoint (server/live/livesession.h): the 16 KiB frame and
// message bound, a client that stops reading, and the plain-HTTP answer of /api/v1/ws.
#include "livetestkit.h"
#include "tallyprocess.h"

#include <QElapsedTimer>
#include <QWebSocket>

#include <memory>

using namespace LiveKit;

namespace {
constexpr int MaxIncomingBytes = 16 * 1024; // LiveSession::MaxIncomingBytes
constexpr int TooMuchData = 1009;           // QWebSocketProtocol::CloseCodeTooMuchData
} // namespace

class TestLiveLimits : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void plainGetIsUpgradeRequired();
    void messageAtTheLimitIsAccepted();
    void frameOverTheLimitCloses();
    void fragmentedMessageOverTheLimitCloses();
    void clientThatStopsReadingIsClosed();

private:
    void open(WsClient &ws);
    qint64 websocketClients();
    // Waits until /api/v1/stats reports `count` WebSocket clients.
    void waitForClients(qint64 count, int timeoutMs = 5000);
    static QByteArray pingOfSize(int bytes, const QString &tag);

    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<HttpClient> m_http;
};

void TestLiveLimits::initTestCase()
{
    m_server = std::make_unique<TallyProcess>(QStringList{str("--live-interval"), str("100")});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_http = std::make_unique<HttpClient>(m_server->url());
}

void TestLiveLimits::cleanupTestCase()
{
    if (m_server)
        QCOMPARE(m_server->stop(), 0);
}

void TestLiveLimits::open(WsClient &ws)
{
    QVERIFY2(ws.open(WsClient::wsUrl(m_server->url())), qPrintable(ws.errorString()));
}

qint64 TestLiveLimits::websocketClients()
{
    return m_http->get(str("/api/v1/stats")).json.value("websocket_clients").toInteger(-1);
}

void TestLiveLimits::waitForClients(qint64 count, int timeoutMs)
{
    const HttpResponse stats = m_http->waitFor(
        str("/api/v1/stats"),
        [count](const HttpResponse &r) {
            return r.json.value("websocket_clients").toInteger(-1) == count;
        },
        timeoutMs);
    QVERIFY2(stats.json.value("websocket_clients").toInteger(-1) == count,
             qPrintable(str("websocket_clients is %1, expected %2")
                            .arg(stats.json.value("websocket_clients").toInteger(-1))
                            .arg(count)));
}

// {"type":"ping","ref":"<tag>xxxx…"} of exactly `bytes` bytes.
QByteArray TestLiveLimits::pingOfSize(int bytes, const QString &tag)
{
    const QByteArray head = "{\"type\":\"ping\",\"ref\":\"" + tag.toUtf8();
    const QByteArray tail = "\"}";
    return head + QByteArray(bytes - head.size() - tail.size(), 'x') + tail;
}

void TestLiveLimits::plainGetIsUpgradeRequired()
{
    const HttpResponse plain = m_http->get(str("/api/v1/ws"));
    VERIFY_STATUS(plain, 426);
    QCOMPARE(plain.errorCode(), str("upgrade_required"));
    QCOMPARE(plain.header("Upgrade").toLower(), QByteArray("websocket"));
    // The endpoint still upgrades real WebSocket requests afterwards.
    WsClient ws;
    CHECKED(open(ws));
    QVERIFY(ws.sync());
}

void TestLiveLimits::messageAtTheLimitIsAccepted()
{
    WsClient ws;
    CHECKED(open(ws));
    const QByteArray ping = pingOfSize(MaxIncomingBytes, str("limit-"));
    QCOMPARE(ping.size(), MaxIncomingBytes);
    ws.sendText(QString::fromUtf8(ping));
    const std::optional<QJsonObject> pong = ws.nextOfType(str("pong"));
    QVERIFY2(
        pong,
        qPrintable(str("no pong; close code %1 (%2)").arg(ws.closeCode()).arg(ws.closeReason())));
    QVERIFY(pong->value("ref").toString().startsWith(str("limit-xxx")));
    QCOMPARE(pong->value("ref").toString().size(), MaxIncomingBytes - 24);
    QVERIFY(ws.isConnected());
}

void TestLiveLimits::frameOverTheLimitCloses()
{
    CHECKED(waitForClients(0));
    WsClient ws;
    CHECKED(open(ws));
    CHECKED(waitForClients(1));
    // One frame (Qt sends messages under 512 KiB as a single frame), one byte too many.
    ws.sendText(QString::fromUtf8(pingOfSize(MaxIncomingBytes + 1, str("over-"))));
    // Qt's frame reader refuses it and closes with 1009 (message too big) and its own
    // reason; the server never sees the message, so no error message comes first.
    QVERIFY2(ws.waitForDisconnected(5000), "the server kept the connection open");
    QCOMPARE(ws.closeCode(), TooMuchData);
    QCOMPARE(ws.closeReason(), str("Maximum framesize exceeded."));
    QCOMPARE(ws.unreadCount(), 0);
    CHECKED(waitForClients(0));
}

void TestLiveLimits::fragmentedMessageOverTheLimitCloses()
{
    CHECKED(waitForClients(0));
    WsClient ws;
    CHECKED(open(ws));
    // Frames of 4 KiB each are fine; the message they add up to is not.
    ws.socket()->setOutgoingFrameSize(4096);
    ws.sendText(QString::fromUtf8(pingOfSize(MaxIncomingBytes + 4096, str("frag-"))));
    QVERIFY2(ws.waitForDisconnected(5000), "the server kept the connection open");
    QCOMPARE(ws.closeCode(), TooMuchData);
    QCOMPARE(ws.closeReason(), str("Received message is too big."));
    QCOMPARE(ws.unreadCount(), 0);
    CHECKED(waitForClients(0));

    // A fragmented message under the limit is put back together and answered.
    WsClient ok;
    CHECKED(open(ok));
    ok.socket()->setOutgoingFrameSize(4096);
    ok.sendText(QString::fromUtf8(pingOfSize(MaxIncomingBytes, str("pieces-"))));
    const std::optional<QJsonObject> pong = ok.nextOfType(str("pong"));
    QVERIFY(pong);
    QVERIFY(pong->value("ref").toString().startsWith(str("pieces-")));
}

void TestLiveLimits::clientThatStopsReadingIsClosed()
{
    CHECKED(waitForClients(0));
    const HttpResponse created =
        m_http->postJson(str("/api/v1/polls"), pollBody(str("busy"), {str("A"), str("B")}));
    VERIFY_STATUS(created, 201);

    // A well-behaved client that must not be affected.
    WsClient healthy;
    CHECKED(open(healthy));
    healthy.send(subscribePoll(str("busy")));
    QVERIFY(healthy.next(resultsFor(str("busy"))));

    // The bad client: a 4 KiB receive buffer, and it never reads after the handshake.
    RawWsClient raw;
    QVERIFY2(raw.open(m_server->port(), "/api/v1/ws", 4096), qPrintable(raw.errorString()));
    QCOMPARE(raw.sendText(R"({"type":"subscribe","channel":"stats"})"), RawWsClient::Sent::Ok);
    QCOMPARE(raw.sendText(R"({"type":"subscribe","poll_id":"busy"})"), RawWsClient::Sent::Ok);
    CHECKED(waitForClients(2));

    // Snapshots and stats are coalesced for a lagging client (only the latest is kept),
    // so they alone never reach the hard bound. Answers are not: ask for large pongs
    // until the server's unsent bytes pass 1 MiB (plus what the kernel buffers) and it
    // gives up on the client.
    const QByteArray bigPing = pingOfSize(15000, str("slow-"));
    QElapsedTimer elapsed;
    elapsed.start();
    int sent = 0;
    bool dropped = false;
    while (!dropped && elapsed.elapsed() < 30000) {
        for (int i = 0; i < 20; ++i) {
            if (raw.sendText(bigPing, 1000) != RawWsClient::Sent::Ok)
                break;
            ++sent;
        }
        // Keep votes coming so that the subscribed poll is busy too.
        m_http->post(str("/api/v1/vote/busy"), voteBody(str("A")));
        dropped = websocketClients() == 1;
    }
    qInfo("slow client dropped: %s after %d pings of %lld bytes (%lld ms)", dropped ? "yes" : "no",
          sent, qint64(bigPing.size()), elapsed.elapsed());
    QVERIFY2(dropped, qPrintable(str("a client that never reads was still connected after %1 ms "
                                     "and %2 unanswered pings of %3 bytes")
                                     .arg(elapsed.elapsed())
                                     .arg(sent)
                                     .arg(bigPing.size())));
    // It took more than the hard bound of unsent data to get there.
    QVERIFY2(qint64(sent) * bigPing.size() > 1024 * 1024, qPrintable(QString::number(sent)));

    // The healthy client saw nothing of it.
    QVERIFY(healthy.sync());
    QVERIFY(healthy.isConnected());
    const HttpResponse results = m_http->get(str("/api/v1/results/busy"));
    VERIFY_STATUS(results, 200);
    QVERIFY(healthy.next(resultsWithTotal(str("busy"), results.json.value("total").toInteger())));
}

QTEST_GUILESS_MAIN(TestLiveLimits)
#include "tst_live_limits.moc"
