// Request-head checks, made before Qt buffers anything: a declared body over
// --max-body gets 413 at once (the body is never sent), a head over --max-header 431,
// a chunked body 411, a "//" target 404; each answer closes the connection and the
// server keeps serving. A request that merely names "Upgrade: websocket" is checked
// like any other; a real WebSocket is not reaped by the HTTP idle timeout.
#include "protkit.h"
#include "wsclient.h"

#include <QElapsedTimer>

using namespace prot;

namespace {

struct Refusal {
    int status;
    QString code;
    QString message;
};

} // namespace

class TestHeads : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void refusedAtTheHead_data();
    void refusedAtTheHead();
    void limitsAreInclusive();
    void upgradeHeaderIsNoLoophole();
    void webSocketOutlivesHttpIdleTimeout();
    void stillServing();

private:
    RawResponse refuse(const QByteArray &head, qint64 *elapsedMs, RawSocket::Closed *closed);

    std::unique_ptr<TallyProcess> m_tally;
    std::unique_ptr<HttpClient> m_http;
    int m_accepted = 0;
};

void TestHeads::initTestCase()
{
    m_tally = std::make_unique<TallyProcess>(
        QStringList{"--workers", "2", "--idle-timeout", "1", "--durability", "async"});
    PROT_START(*m_tally);
    m_http = std::make_unique<HttpClient>(m_tally->url());
    PROT_STATUS(m_http->postJson(Polls, pollBody(QStringLiteral("p"))), 201);
}

void TestHeads::cleanupTestCase()
{
    m_http.reset();
    if (m_tally)
        QCOMPARE(m_tally->stop(), 0);
}

RawResponse TestHeads::refuse(const QByteArray &head, qint64 *elapsedMs, RawSocket::Closed *closed)
{
    RawSocket socket;
    if (!socket.connectTo(m_tally->port())) {
        RawResponse failed;
        failed.error = socket.errorString();
        return failed;
    }
    QElapsedTimer timer;
    timer.start();
    const RawResponse response = socket.request(head, 5000);
    *elapsedMs = timer.elapsed();
    *closed = socket.waitClosed(3000);
    return response;
}

void TestHeads::refusedAtTheHead_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("code");
    QTest::addColumn<QString>("message");

    const QByteArray vote = "POST /api/v1/vote/p HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Content-Type: application/json\r\n";
    const QString tooLarge = QStringLiteral("The request body exceeds 16384 bytes.");
    QTest::newRow("Content-Length 100000000, no body sent")
        << vote + "Content-Length: 100000000\r\n\r\n"
        << 413 << "body_too_large" << tooLarge;
    QTest::newRow("lower-case name") << vote + "content-length: 100000000\r\n\r\n"
                                     << 413 << "body_too_large" << tooLarge;
    QTest::newRow("odd spacing") << vote + "Content-Length :   100000000  \r\n\r\n"
                                 << 413 << "body_too_large" << tooLarge;
    QTest::newRow("one byte over") << vote + "Content-Length: 16385\r\n\r\n"
                                   << 413 << "body_too_large" << tooLarge;
    QTest::newRow("on a read route")
        << QByteArray(
               "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100000000\r\n\r\n")
        << 413 << "body_too_large" << tooLarge;
    QTest::newRow("on an unknown route")
        << QByteArray(
               "PUT /nowhere HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 99999999\r\n\r\n")
        << 413 << "body_too_large" << tooLarge;

    const QString headTooLarge = QStringLiteral("The request head exceeds 16384 bytes.");
    QTest::newRow("20 KiB header")
        << "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: " + QByteArray(20 * 1024, 'a') +
               "\r\n\r\n"
        << 431 << "headers_too_large" << headTooLarge;
    QByteArray manyHeaders = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n";
    for (int i = 0; i < 1000; ++i)
        manyHeaders += "X-H" + QByteArray::number(i) + ": value-value\r\n";
    QTest::newRow("1000 small headers") << manyHeaders + "\r\n"
                                        << 431 << "headers_too_large" << headTooLarge;
    QTest::newRow("20 KiB target") << "GET /api/v1/polls/" + QByteArray(20 * 1024, 'x') +
                                          " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"
                                   << 431 << "headers_too_large" << headTooLarge;

    const QString lengthRequired = QStringLiteral("Send request bodies with a Content-Length.");
    QTest::newRow("chunked") << vote + "Transfer-Encoding: chunked\r\n\r\n"
                             << 411 << "length_required" << lengthRequired;
    QTest::newRow("chunked, other case") << vote + "transfer-encoding: gzip, Chunked\r\n\r\n"
                                         << 411 << "length_required" << lengthRequired;
    QTest::newRow("chunked with a first chunk")
        << vote + "Transfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n"
        << 411 << "length_required" << lengthRequired;

    QTest::newRow("//x") << QByteArray("GET //x HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n") << 404
                         << "not_found" << QStringLiteral("There is no resource at //x.");
    QTest::newRow("//health") << QByteArray("GET //health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                              << 404 << "not_found"
                              << QStringLiteral("There is no resource at //health.");
    QTest::newRow("vote through //")
        << RawSocket::httpRequest("POST", "//api/v1/vote/p", voteBody("A")) << 404 << "not_found"
        << QStringLiteral("There is no resource at //api/v1/vote/p.");
}

void TestHeads::refusedAtTheHead()
{
    QFETCH(QByteArray, head);
    QFETCH(int, status);
    QFETCH(QString, code);
    QFETCH(QString, message);
    qint64 elapsed = 0;
    RawSocket::Closed closed = RawSocket::Closed::Timeout;
    const RawResponse response = refuse(head, &elapsed, &closed);
    PROT_STATUS(response, status);
    QCOMPARE(response.json, errorJson(code, message));
    QCOMPARE(response.header("Connection"), QByteArray("close"));
    QCOMPARE(response.header("Content-Type"), QByteArray("application/json"));
    // At once: the server does not wait for a body or for more of the head.
    QVERIFY2(elapsed < 1000, qPrintable(QString::number(elapsed)));
    QCOMPARE(closed, RawSocket::Closed::Eof);
}

void TestHeads::limitsAreInclusive()
{
    // A body of exactly --max-body bytes (valid JSON padded with spaces) is taken.
    QByteArray body = voteBody("A");
    body += QByteArray(16384 - body.size(), ' ');
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    PROT_STATUS(socket.request(RawSocket::httpRequest("POST", "/api/v1/vote/p", body)), 202);
    ++m_accepted;
    // A head just under --max-header is served, on the same kept-alive connection.
    const QByteArray bigHeader = "X-Big: " + QByteArray(15 * 1024, 'b') + "\r\n";
    PROT_STATUS(socket.request(RawSocket::httpRequest("GET", "/health", {}, bigHeader)), 200);
    PROT_STATUS(
        socket.request(RawSocket::httpRequest("POST", "/api/v1/vote/p", voteBody("B"), bigHeader)),
        202);
    ++m_accepted;
}

void TestHeads::upgradeHeaderIsNoLoophole()
{
    // Naming "Upgrade: websocket" does not switch the checks off.
    qint64 elapsed = 0;
    RawSocket::Closed closed = RawSocket::Closed::Timeout;
    const RawResponse big =
        refuse("POST /api/v1/vote/p HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Connection: Upgrade\r\nContent-Type: application/json\r\nContent-Length: "
               "100000000\r\n\r\n",
               &elapsed, &closed);
    PROT_STATUS(big, 413);
    QCOMPARE(closed, RawSocket::Closed::Eof);
    const RawResponse chunked =
        refuse("POST /api/v1/vote/p HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n"
               "Transfer-Encoding: chunked\r\n\r\n",
               &elapsed, &closed);
    PROT_STATUS(chunked, 411);
    const RawResponse slashes =
        refuse("GET //api/v1/ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\n\r\n",
               &elapsed, &closed);
    PROT_STATUS(slashes, 404);

    // An ordinary request with the header stays an ordinary, reapable connection
    // (--idle-timeout 1 here).
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    PROT_STATUS(
        socket.request(RawSocket::httpRequest("GET", "/health", {}, "Upgrade: websocket\r\n")),
        200);
    QElapsedTimer timer;
    timer.start();
    QCOMPARE(socket.waitClosed(4000), RawSocket::Closed::Eof);
    QVERIFY2(timer.elapsed() >= 800, qPrintable(QString::number(timer.elapsed())));
}

void TestHeads::webSocketOutlivesHttpIdleTimeout()
{
    WsClient ws;
    QVERIFY2(ws.open(WsClient::wsUrl(m_tally->url())), qPrintable(ws.errorString()));
    QTest::qWait(1600); // past --idle-timeout 1
    QVERIFY(ws.isConnected());
    QVERIFY(ws.sync());
    ws.close();
}

void TestHeads::stillServing()
{
    PROT_STATUS(m_http->get(QStringLiteral("/health")), 200);
    PROT_STATUS(m_http->post(Vote + QStringLiteral("p"), voteBody("A")), 202);
    ++m_accepted;
    // Nothing refused above was counted, the "//" vote included.
    const HttpResponse results = m_http->get(Results + QStringLiteral("p"));
    PROT_STATUS(results, 200);
    QCOMPARE(total(results.json), m_accepted);
    const HttpResponse stats = m_http->get(Stats);
    QCOMPARE(statValue(stats.json, "connections", "refused"), 0);
    QCOMPARE(statValue(stats.json, "votes", "accepted"), m_accepted);
}

QTEST_GUILESS_MAIN(TestHeads)
#include "tst_prot_heads.moc"
