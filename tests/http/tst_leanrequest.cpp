// LeanRequest: which framed requests the lean path takes (hot routes only, and only when
// nothing about them could be read differently by QHttpServer), and what it reads.
#include "http/leanrequest.h"

#include <QTest>

using Method = LeanRequest::Method;

class TestLeanRequest : public QObject {
    Q_OBJECT

private slots:
    void readsAVote();
    void readsResultsAndBulk();
    void toleratesBlankLinesAndBareLineFeeds();
    void leavesOtherRequestsToQHttpServer_data();
    void leavesOtherRequestsToQHttpServer();
    void followsTheApiPrefix();
};

void TestLeanRequest::readsAVote()
{
    const QByteArray body = R"({"option_id":"B"})";
    const QByteArray request = "POST /api/v1/vote/7 HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n"
                               "Content-Type:  application/json \r\nContent-Length: " +
                               QByteArray::number(body.size()) + "\r\nX-Voter-Id: v-1\r\n\r\n" +
                               body;
    const std::optional<LeanRequest> lean = LeanRequest::parse(request, "/api/v1");
    QVERIFY(lean);
    QCOMPARE(lean->method(), Method::Post);
    QCOMPARE(lean->path(), QByteArray("/api/v1/vote/7"));
    QCOMPARE(lean->body(), body);
    const LeanRequest::Headers expected = {{"Host", "127.0.0.1:8000"},
                                           {"Content-Type", "application/json"},
                                           {"Content-Length", "17"},
                                           {"X-Voter-Id", "v-1"}};
    QCOMPARE(lean->headers(), expected);
}

void TestLeanRequest::readsResultsAndBulk()
{
    std::optional<LeanRequest> lean = LeanRequest::parse(
        "GET /api/v1/results/poll-7_a.b~c HTTP/1.1\r\nHost: x\r\n\r\n", "/api/v1");
    QVERIFY(lean);
    QCOMPARE(lean->method(), Method::Get);
    QCOMPARE(lean->path(), QByteArray("/api/v1/results/poll-7_a.b~c"));
    QVERIFY(lean->body().isEmpty());

    lean = LeanRequest::parse("HEAD /api/v1/results/7 HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
                              "/api/v1");
    QVERIFY(lean);
    QCOMPARE(lean->method(), Method::Head);

    lean =
        LeanRequest::parse("POST /api/v1/votes HTTP/1.1\r\nContent-Length: 2\r\n\r\n{}", "/api/v1");
    QVERIFY(lean);
    QCOMPARE(lean->path(), QByteArray("/api/v1/votes"));
    QCOMPARE(lean->body(), QByteArray("{}"));
}

void TestLeanRequest::toleratesBlankLinesAndBareLineFeeds()
{
    // The framer counts blank lines before a request as part of it; Qt skips them too.
    const std::optional<LeanRequest> lean = LeanRequest::parse(
        "\r\n\nPOST /api/v1/vote/7 HTTP/1.1\nContent-Length: 3\n\nabc", "/api/v1");
    QVERIFY(lean);
    QCOMPARE(lean->path(), QByteArray("/api/v1/vote/7"));
    QCOMPARE(lean->body(), QByteArray("abc"));
    QCOMPARE(lean->headers().size(), 1);
}

void TestLeanRequest::leavesOtherRequestsToQHttpServer_data()
{
    QTest::addColumn<QByteArray>("request");
    const QByteArray end = " HTTP/1.1\r\nHost: x\r\n\r\n";
    QTest::newRow("other route") << "GET /api/v1/polls" + end;
    QTest::newRow("poll by id") << "GET /api/v1/polls/7" + end;
    QTest::newRow("health") << "GET /health" + end;
    QTest::newRow("websocket path") << "GET /api/v1/ws" + end;
    QTest::newRow("vote without id") << "POST /api/v1/vote/" + end;
    QTest::newRow("vote with two segments") << "POST /api/v1/vote/7/x" + end;
    QTest::newRow("vote by GET") << "GET /api/v1/vote/7" + end;
    QTest::newRow("results by POST") << "POST /api/v1/results/7" + end;
    QTest::newRow("bulk with trailing slash") << "POST /api/v1/votes/" + end;
    QTest::newRow("percent-encoded") << "GET /api/v1/results/%37" + end;
    QTest::newRow("query") << "GET /api/v1/results/7?x=1" + end;
    QTest::newRow("fragment") << "GET /api/v1/results/7#x" + end;
    QTest::newRow("dot segment") << "GET /api/v1/../v1/results/7" + end;
    QTest::newRow("single dot segment") << "GET /api/v1/./results/7" + end;
    QTest::newRow("sub-delimiter") << "GET /api/v1/results/a+b" + end;
    QTest::newRow("absolute form") << "GET http://x/api/v1/results/7" + end;
    QTest::newRow("double slash") << "GET //api/v1/results/7" + end;
    QTest::newRow("other method") << "PUT /api/v1/vote/7" + end;
    QTest::newRow("lower-case method") << "post /api/v1/vote/7" + end;
    QTest::newRow("HTTP/2") << QByteArray("GET /api/v1/results/7 HTTP/2.0\r\n\r\n");
    QTest::newRow("repeated header") << QByteArray(
        "GET /api/v1/results/7 HTTP/1.1\r\nX-Real-IP: 1.2.3.4\r\nx-real-ip: 5.6.7.8\r\n\r\n");
    QTest::newRow("space before colon")
        << QByteArray("GET /api/v1/results/7 HTTP/1.1\r\nHost : x\r\n\r\n");
    QTest::newRow("no end of head") << QByteArray("GET /api/v1/results/7 HTTP/1.1\r\nHost: x\r\n");
    QTest::newRow("body longer than declared")
        << QByteArray("POST /api/v1/vote/7 HTTP/1.1\r\nContent-Length: 1\r\n\r\nab");
    QTest::newRow("body shorter than declared")
        << QByteArray("POST /api/v1/vote/7 HTTP/1.1\r\nContent-Length: 3\r\n\r\nab");
}

void TestLeanRequest::leavesOtherRequestsToQHttpServer()
{
    QFETCH(QByteArray, request);
    QVERIFY(!LeanRequest::parse(request, "/api/v1"));
}

void TestLeanRequest::followsTheApiPrefix()
{
    const QByteArray request = "POST /tally/api/vote/7 HTTP/1.1\r\n\r\n";
    QVERIFY(LeanRequest::parse(request, "/tally/api"));
    QVERIFY(!LeanRequest::parse(request, "/api/v1"));
    QVERIFY(!LeanRequest::parse("POST /api/v1/vote/7 HTTP/1.1\r\n\r\n", "/tally/api"));
}

QTEST_APPLESS_MAIN(TestLeanRequest)
#include "tst_leanrequest.moc"
