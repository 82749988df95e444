// HTTP/1.1 on one connection, spoken byte for byte: pipelined requests are answered in
// request order even when the first answer waits for the journal (sync durability);
// HEAD answers like GET without a body; Connection: close and HTTP/1.0 close after the
// answer; Expect: 100-continue; a half WebSocket upgrade gets 426; ambiguous lengths get
// 400. The head checks hold whatever the TCP segmentation, and a head or body trickled
// in too slowly is answered 408 and closed.
#include "protkit.h"

#include <QDeadlineTimer>
#include <QElapsedTimer>

using namespace prot;

namespace {

const QByteArray VoteHead = "POST /api/v1/vote/p HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                            "Content-Type: application/json\r\n";

QByteArray vote(const QString &option, const QByteArray &extraHeaders = {})
{
    return RawSocket::httpRequest("POST", "/api/v1/vote/p", voteBody(option), extraHeaders);
}

QByteArray get(const QByteArray &target, const QByteArray &extraHeaders = {})
{
    return RawSocket::httpRequest("GET", target, {}, extraHeaders);
}

// Sends `bytes` in pieces: after each of `cuts` (offsets, ascending), or one byte at a
// time when `cuts` is empty, with a short pause so that each piece is its own segment.
bool sendInPieces(RawSocket &socket, const QByteArray &bytes, QList<qsizetype> cuts = {})
{
    if (cuts.isEmpty())
        for (qsizetype i = 1; i < bytes.size(); ++i)
            cuts.append(i);
    qsizetype from = 0;
    cuts.append(bytes.size());
    for (qsizetype cut : cuts) {
        cut = qMin(cut, bytes.size());
        if (cut <= from)
            continue;
        if (!socket.send(bytes.mid(from, cut - from)))
            return false;
        from = cut;
        QTest::qSleep(2);
    }
    return true;
}

} // namespace

class TestHttp : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void pipelinedAnswersKeepRequestOrder();
    void headAnswersLikeGet();
    void connectionCloseClosesAfterTheAnswer();
    void http10KeepsAliveOnlyWhenAsked();
    void expectContinue();
    void halfWebSocketUpgradeGets426();
    void ambiguousLengthIsRefused_data();
    void ambiguousLengthIsRefused();
    void headChecksHoldWhateverTheSegmentation_data();
    void headChecksHoldWhateverTheSegmentation();
    void splitRequestsAreServed();
    void slowHeadGets408();
    void slowBodyGets408();
    void silentWebSocketClosedAtItsDeadline();
    void leanPathAnswersLikeQHttpServer();
    void countsAreExact();

private:
    RawResponse trickleUntilAnswer(RawSocket &socket, const QByteArray &start, char filler);

    std::unique_ptr<TallyProcess> m_tally;
    std::unique_ptr<HttpClient> m_http;
    int m_accepted = 0;
};

void TestHttp::initTestCase()
{
    // Sync durability: a vote is answered only once its journal record is on disk, on a
    // later turn of the event loop than the request.
    m_tally = std::make_unique<TallyProcess>(
        QStringList{"--workers", "1", "--durability", "sync", "--idle-timeout", "20",
                    "--header-timeout", "1", "--min-body-rate", "100", "--ws-idle-timeout", "3"});
    PROT_START(*m_tally);
    m_http = std::make_unique<HttpClient>(m_tally->url());
    PROT_STATUS(m_http->postJson(Polls, pollBody(QStringLiteral("p"))), 201);
}

void TestHttp::cleanupTestCase()
{
    m_http.reset();
    if (m_tally)
        QCOMPARE(m_tally->stop(), 0);
}

void TestHttp::pipelinedAnswersKeepRequestOrder()
{
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    // One write: vote, health, vote, results, health, ... The health answers are ready
    // at once; the votes only after the journal's fsync.
    QByteArray batch;
    QList<int> expected;
    for (int i = 0; i < 10; ++i) {
        batch += vote(i % 2 ? "B" : "A") + get("/health") + get("/api/v1/results/p");
        expected << 202 << 200 << 200;
    }
    QVERIFY(socket.send(batch));
    int votesSoFar = m_accepted;
    for (int i = 0; i < expected.size(); ++i) {
        const RawResponse response = socket.readResponse(10000);
        PROT_STATUS(response, expected[i]);
        if (i % 3 == 0) {
            QCOMPARE(response.json.value("status").toString(), QStringLiteral("accepted"));
            QCOMPARE(response.json.value("option_id").toString(), (i / 3) % 2 ? "B" : "A");
            ++votesSoFar;
        } else if (i % 3 == 1) {
            QCOMPARE(response.json, QJsonObject({{"status", "healthy"}}));
        } else {
            // Each read comes after the votes before it (reads are exact between flushes).
            QCOMPARE(total(response.json), votesSoFar);
        }
    }
    m_accepted = votesSoFar;
}

void TestHttp::headAnswersLikeGet()
{
    const QList<QByteArray> targets = {"/health",           "/ready",          "/metrics",
                                       "/api/v1/polls",     "/api/v1/polls/p", "/api/v1/themes",
                                       "/api/v1/results/p", "/api/v1/stats",   "/api/v1/ring",
                                       "/api/v1/polls/nope"};
    // Bodies that cannot change between the GET and the HEAD.
    const QList<QByteArray> stable = {"/health",           "/ready",
                                      "/api/v1/polls/p",   "/api/v1/themes",
                                      "/api/v1/results/p", "/api/v1/polls/nope"};
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    for (const QByteArray &target : targets) {
        const RawResponse got = socket.request(get(target));
        QVERIFY2(got.status == 200 || got.status == 404 || got.status == 503,
                 qPrintable(got.describe()));
        // HEAD, then a GET on the same connection: no body may sit between the two.
        QVERIFY(socket.send(RawSocket::httpRequest("HEAD", target) + get("/health")));
        const RawResponse head = socket.readResponse(5000, false);
        QCOMPARE(head.status, got.status);
        QCOMPARE(head.header("Content-Type"), got.header("Content-Type"));
        if (stable.contains(target))
            QCOMPARE(head.header("Content-Length"), got.header("Content-Length"));
        QVERIFY(head.header("Content-Length").toInt() > 0);
        const RawResponse next = socket.readResponse();
        PROT_STATUS(next, 200);
        QCOMPARE(next.json, QJsonObject({{"status", "healthy"}}));
    }
    // A route without GET still answers 405 to HEAD, and GET routes list HEAD.
    QVERIFY(socket.send(RawSocket::httpRequest("HEAD", "/api/v1/vote/p")));
    PROT_STATUS(socket.readResponse(5000, false), 405);
    const RawResponse postOnHealth =
        socket.request(RawSocket::httpRequest("POST", "/health", "{}"));
    PROT_STATUS(postOnHealth, 405);
    QCOMPARE(postOnHealth.header("Allow"), QByteArray("GET, HEAD"));
}

void TestHttp::connectionCloseClosesAfterTheAnswer()
{
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    // A vote after the closing request is never read, let alone counted.
    QVERIFY(socket.send(get("/health", "Connection: close\r\n") + vote("A")));
    const RawResponse response = socket.readResponse();
    PROT_STATUS(response, 200);
    QCOMPARE(response.header("Connection"), QByteArray("close"));
    // Closed now, not at the idle timeout (20 s here).
    QCOMPARE(socket.waitClosed(5000), RawSocket::Closed::Eof);

    // The same after a deferred answer (a vote waits for the journal).
    RawSocket voter;
    QVERIFY(voter.connectTo(m_tally->port()));
    const RawResponse accepted = voter.request(vote("B", "Connection: keep-alive, close\r\n"));
    PROT_STATUS(accepted, 202);
    ++m_accepted;
    QCOMPARE(accepted.header("Connection"), QByteArray("close"));
    QCOMPARE(voter.waitClosed(5000), RawSocket::Closed::Eof);
}

void TestHttp::http10KeepsAliveOnlyWhenAsked()
{
    RawSocket plain;
    QVERIFY(plain.connectTo(m_tally->port()));
    const RawResponse once = plain.request("GET /health HTTP/1.0\r\n\r\n");
    PROT_STATUS(once, 200);
    QCOMPARE(once.header("Connection"), QByteArray("close"));
    QCOMPARE(plain.waitClosed(5000), RawSocket::Closed::Eof);

    RawSocket kept;
    QVERIFY(kept.connectTo(m_tally->port()));
    const RawResponse first =
        kept.request("GET /health HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n");
    PROT_STATUS(first, 200);
    QCOMPARE(first.header("Connection"), QByteArray("keep-alive"));
    PROT_STATUS(kept.request("GET /health HTTP/1.0\r\nConnection: keep-alive\r\n\r\n"), 200);
    // An HTTP/1.1 answer carries no Connection header unless it closes.
    RawSocket modern;
    QVERIFY(modern.connectTo(m_tally->port()));
    const RawResponse eleven = modern.request(get("/health"));
    PROT_STATUS(eleven, 200);
    QVERIFY(!eleven.headers.contains("connection"));
}

void TestHttp::expectContinue()
{
    const QByteArray body = voteBody("A");
    const QByteArray head =
        VoteHead + "Expect: 100-continue\r\nContent-Length: " + QByteArray::number(body.size()) +
        "\r\n\r\n";
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    QVERIFY(socket.send(head));
    const RawResponse interim = socket.readResponse(5000, false);
    PROT_STATUS(interim, 100);
    QVERIFY(socket.send(body));
    PROT_STATUS(socket.readResponse(), 202);
    ++m_accepted;

    // A body the server will refuse gets the final answer at once instead.
    RawSocket big;
    QVERIFY(big.connectTo(m_tally->port()));
    const RawResponse refused =
        big.request(VoteHead + "Expect: 100-continue\r\nContent-Length: 20000\r\n\r\n");
    PROT_STATUS(refused, 413);
    QCOMPARE(refused.errorCode(), QStringLiteral("body_too_large"));

    RawSocket odd;
    QVERIFY(odd.connectTo(m_tally->port()));
    const RawResponse unknown = odd.request(vote("A", "Expect: 200-ok\r\n"));
    PROT_STATUS(unknown, 417);
    QCOMPARE(unknown.json,
             errorJson("expectation_failed", "Only 'Expect: 100-continue' is supported."));
}

void TestHttp::halfWebSocketUpgradeGets426()
{
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    const RawResponse response = socket.request(get("/api/v1/ws", "Upgrade: websocket\r\n"), 3000);
    PROT_STATUS(response, 426);
    QCOMPARE(response.json, errorJson("upgrade_required", "/api/v1/ws speaks WebSocket only."));
    QCOMPARE(response.header("Upgrade"), QByteArray("websocket"));
    // The connection stays usable.
    PROT_STATUS(socket.request(get("/health")), 200);
}

void TestHttp::ambiguousLengthIsRefused_data()
{
    QTest::addColumn<QByteArray>("request");
    QTest::addColumn<QString>("message");
    const QByteArray body = voteBody("A");
    const QByteArray length = QByteArray::number(body.size());
    const QString two = QStringLiteral("Send one Content-Length header, not 2.");
    const QString both =
        QStringLiteral("Send either Content-Length or Transfer-Encoding, not both.");
    QTest::newRow("two different")
        << VoteHead + "Content-Length: " + length + "\r\nContent-Length: 0\r\n\r\n" + body << two;
    QTest::newRow("two equal") << VoteHead + "Content-Length: " + length +
                                      "\r\ncontent-length: " + length + "\r\n\r\n" + body
                               << two;
    QTest::newRow("with chunked") << VoteHead + "Content-Length: " + length +
                                         "\r\nTransfer-Encoding: chunked\r\n\r\n" + body
                                  << both;
    QTest::newRow("with identity")
        << VoteHead + "Transfer-Encoding: identity\r\nContent-Length: " + length + "\r\n\r\n" + body
        << both;
}

void TestHttp::ambiguousLengthIsRefused()
{
    QFETCH(QByteArray, request);
    QFETCH(QString, message);
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    const RawResponse response = socket.request(request);
    PROT_STATUS(response, 400);
    QCOMPARE(response.json, errorJson("ambiguous_length", message));
    QCOMPARE(response.header("Connection"), QByteArray("close"));
    QCOMPARE(socket.waitClosed(5000), RawSocket::Closed::Eof);
}

void TestHttp::headChecksHoldWhateverTheSegmentation_data()
{
    QTest::addColumn<QByteArray>("head");
    QTest::addColumn<bool>("byteByByte");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("code");

    const QByteArray oversized = VoteHead + "Content-Length: 100000000\r\n\r\n";
    const QByteArray chunked = VoteHead + "Transfer-Encoding: chunked\r\n\r\n";
    const QByteArray slashes = "GET //health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";
    const QByteArray twoLengths = VoteHead + "Content-Length: 17\r\nContent-Length: 0\r\n\r\n";
    // 17000 bytes of an unfinished head: over --max-header (16 KiB) in the last piece, so
    // every piece is sent before the server answers and closes.
    QByteArray bigHead = "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ";
    bigHead += QByteArray(17000 - bigHead.size(), 'a');
    for (bool single : {true, false}) {
        const char *how = single ? "byte by byte" : "odd splits";
        QTest::addRow("413, %s", how) << oversized << single << 413 << "body_too_large";
        QTest::addRow("411, %s", how) << chunked << single << 411 << "length_required";
        QTest::addRow("404 for //, %s", how) << slashes << single << 404 << "not_found";
        QTest::addRow("400 for two lengths, %s", how)
            << twoLengths << single << 400 << "ambiguous_length";
    }
    QTest::newRow("431 in 1000-byte pieces") << bigHead << false << 431 << "headers_too_large";
}

void TestHttp::headChecksHoldWhateverTheSegmentation()
{
    QFETCH(QByteArray, head);
    QFETCH(bool, byteByByte);
    QFETCH(int, status);
    QFETCH(QString, code);
    QList<qsizetype> cuts;
    if (!byteByByte) {
        if (head.size() > 16384) {
            for (qsizetype at = 1000; at < head.size(); at += 1000)
                cuts.append(at);
        } else {
            // Inside the request line, inside a header name, between CR and LF, and
            // between the two line ends that close the head.
            cuts = {1,
                    7,
                    head.indexOf("\r\n") + 1,
                    head.indexOf(':', 30) - 3,
                    head.size() - 3,
                    head.size() - 2,
                    head.size() - 1};
            std::sort(cuts.begin(), cuts.end());
        }
    }
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    QVERIFY(sendInPieces(socket, head, cuts));
    const RawResponse response = socket.readResponse(5000);
    PROT_STATUS(response, status);
    QCOMPARE(response.errorCode(), code);
    QCOMPARE(response.header("Connection"), QByteArray("close"));
    QCOMPARE(socket.waitClosed(5000), RawSocket::Closed::Eof);
}

void TestHttp::splitRequestsAreServed()
{
    // A valid vote sent byte by byte, then two requests cut in odd places.
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    QVERIFY(sendInPieces(socket, vote("B")));
    PROT_STATUS(socket.readResponse(), 202);
    ++m_accepted;
    const QByteArray two = vote("A") + get("/health");
    QVERIFY(sendInPieces(socket, two, {3, 50, two.indexOf("{"), two.indexOf("GET") + 2}));
    PROT_STATUS(socket.readResponse(), 202);
    ++m_accepted;
    PROT_STATUS(socket.readResponse(), 200);
}

RawResponse TestHttp::trickleUntilAnswer(RawSocket &socket, const QByteArray &start, char filler)
{
    RawResponse none;
    if (!socket.send(start)) {
        none.error = socket.errorString();
        return none;
    }
    // One byte every 200 ms for up to 8 s: each byte is new traffic, so only a deadline
    // for the whole head (or body) ends this.
    for (int i = 0; i < 40; ++i) {
        QByteArray received;
        const RawSocket::Closed state = socket.waitClosed(200, &received);
        if (state == RawSocket::Closed::Data) {
            RawSocket::Closed ignored = socket.waitClosed(1000, &received);
            Q_UNUSED(ignored);
            // Parse what arrived as one answer.
            RawResponse answer;
            const qsizetype headEnd = received.indexOf("\r\n\r\n");
            answer.status = received.mid(9, 3).toInt();
            answer.body = received.mid(headEnd + 4);
            answer.json = QJsonDocument::fromJson(answer.body).object();
            return answer;
        }
        if (state != RawSocket::Closed::Timeout) {
            none.error = QStringLiteral("closed without an answer");
            return none;
        }
        if (!socket.send(QByteArray(1, filler))) {
            none.error = QStringLiteral("closed without an answer: %1").arg(socket.errorString());
            return none;
        }
    }
    none.error = QStringLiteral("still open after 8 s of trickling");
    return none;
}

void TestHttp::slowHeadGets408()
{
    const qint64 before = statValue(m_http->get(Stats).json, "connections", "timed_out");
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    QElapsedTimer timer;
    timer.start();
    const RawResponse response =
        trickleUntilAnswer(socket, "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ", 'x');
    PROT_STATUS(response, 408);
    QCOMPARE(response.json,
             errorJson("request_timeout", "The request head did not arrive in time."));
    // --header-timeout 1: not before the deadline.
    QVERIFY2(timer.elapsed() >= 900, qPrintable(QString::number(timer.elapsed())));
    QCOMPARE(statValue(m_http->get(Stats).json, "connections", "timed_out"), before + 1);
}

void TestHttp::slowBodyGets408()
{
    // 200 bytes at --min-body-rate 100 with --header-timeout 1: due within 3 s.
    const QByteArray head = VoteHead + "Content-Length: 200\r\n\r\n";
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    QElapsedTimer timer;
    timer.start();
    const RawResponse response = trickleUntilAnswer(socket, head + "{\"option_id\":\"A\"", ' ');
    PROT_STATUS(response, 408);
    QCOMPARE(response.json, errorJson("request_timeout", "The request body arrived too slowly."));
    QVERIFY2(timer.elapsed() >= 2900, qPrintable(QString::number(timer.elapsed())));

    // The same body at a sufficient pace is taken.
    QByteArray body = voteBody("B");
    body += QByteArray(200 - body.size(), ' ');
    RawSocket steady;
    QVERIFY(steady.connectTo(m_tally->port()));
    QVERIFY(steady.send(head + body.left(100)));
    QTest::qSleep(300);
    QVERIFY(steady.send(body.mid(100)));
    PROT_STATUS(steady.readResponse(), 202);
    ++m_accepted;
}

namespace {

struct Frame {
    int opcode = -1;
    QByteArray payload;
};

// Reads the next unmasked server frame from the bytes received so far (more are read
// as needed).
Frame nextFrame(RawSocket &socket, QByteArray &buffer, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        if (buffer.size() >= 2) {
            qsizetype length = uchar(buffer[1]) & 0x7f;
            qsizetype header = 2;
            if (length == 126 && buffer.size() >= 4) {
                length = (uchar(buffer[2]) << 8) | uchar(buffer[3]);
                header = 4;
            }
            if (length < 126 && buffer.size() >= header + length) {
                Frame frame{buffer[0] & 0x0f, buffer.mid(header, length)};
                buffer.remove(0, header + length);
                return frame;
            }
        }
        if (deadline.hasExpired())
            return {};
        if (socket.waitClosed(int(deadline.remainingTime()), &buffer) != RawSocket::Closed::Data)
            return {};
    }
}

} // namespace

void TestHttp::silentWebSocketClosedAtItsDeadline()
{
    // --ws-idle-timeout 3: the server pings every second (a third of it).
    RawSocket socket;
    QVERIFY(socket.connectTo(m_tally->port()));
    const RawResponse upgrade =
        socket.request(get("/api/v1/ws", "Upgrade: websocket\r\nConnection: Upgrade\r\n"
                                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                                         "Sec-WebSocket-Version: 13\r\n"));
    PROT_STATUS(upgrade, 101);
    // Right after a ping, one message (masked with a zero key), then silence: the
    // deadline is 3 s after the message, a whole ping interval before the ping tick
    // that first finds the client silent for more than 3 s.
    QByteArray buffer;
    const Frame ping = nextFrame(socket, buffer, 5000);
    QCOMPARE(ping.opcode, 0x9);
    const QByteArray text = R"({"type":"ping","ref":1})";
    QVERIFY(
        socket.send(QByteArray("\x81") + char(0x80 | text.size()) + QByteArray(4, '\0') + text));
    QElapsedTimer silence;
    silence.start();
    Frame frame;
    do {
        frame = nextFrame(socket, buffer, 10000);
    } while (frame.opcode == 0x9 || frame.opcode == 0x1); // pings, and the pong to our message
    QCOMPARE(frame.opcode, 0x8);
    const qint64 elapsed = silence.elapsed();
    QCOMPARE(frame.payload.left(2), QByteArray("\x03\xe9")); // 1001 going away
    QCOMPARE(frame.payload.mid(2), QByteArray("idle"));
    QVERIFY2(elapsed >= 2900 && elapsed < 3800, qPrintable(QString::number(elapsed)));
}

void TestHttp::leanPathAnswersLikeQHttpServer()
{
    // Votes, bulk votes and results are read without QHttpServer (LeanPath) unless
    // something about the request is left to Qt, such as a percent-encoded path naming
    // the same resource. Both ways must answer byte for byte alike.
    const auto answer = [this](const QByteArray &method, const QByteArray &target,
                               const QByteArray &body) {
        RawSocket socket;
        if (!socket.connectTo(m_tally->port()))
            return QByteArray("no connection");
        if (!socket.send(RawSocket::httpRequest(method, target, body, "Connection: close\r\n")))
            return QByteArray("not sent");
        QByteArray received;
        socket.waitClosed(10000, &received);
        return received;
    };
    struct Case {
        QByteArray method, lean, qt, body, statusLine;
    };
    const QList<Case> cases = {
        {"POST", "/api/v1/vote/p", "/api/v1/vote/%70", voteBody("A"), "HTTP/1.1 202 Accepted"},
        {"POST", "/api/v1/vote/nope", "/api/v1/vote/%6Eope", voteBody("A"),
         "HTTP/1.1 404 Not Found"},
        {"POST", "/api/v1/vote/p", "/api/v1/vote/%70", voteBody("Z"),
         "HTTP/1.1 422 Unprocessable Entity"},
        {"POST", "/api/v1/vote/p", "/api/v1/vote/%70", "{", "HTTP/1.1 400 Bad Request"},
        {"POST", "/api/v1/votes", "/api/v1/vote%73",
         R"({"votes":[{"poll_id":"nope","option_id":"A"},{"poll_id":"p","option_id":"Z"}]})",
         "HTTP/1.1 202 Accepted"},
        {"POST", "/api/v1/votes", "/api/v1/vote%73", R"({"votes":{}})",
         "HTTP/1.1 422 Unprocessable Entity"},
        {"GET", "/api/v1/results/nope", "/api/v1/results/%6Eope", {}, "HTTP/1.1 404 Not Found"},
        {"HEAD", "/api/v1/results/nope", "/api/v1/results/%6Eope", {}, "HTTP/1.1 404 Not Found"},
    };
    for (const Case &c : cases) {
        const QByteArray lean = answer(c.method, c.lean, c.body);
        const QByteArray qt = answer(c.method, c.qt, c.body);
        QVERIFY2(lean.startsWith(c.statusLine + "\r\n"), lean.constData());
        QCOMPARE(lean, qt);
        QVERIFY(lean.contains("\r\nConnection: close\r\n"));
    }
    m_accepted += 2;
}

void TestHttp::countsAreExact()
{
    // Nothing refused, held or cut short above was counted.
    const HttpResponse results = m_http->get(Results + QStringLiteral("p"));
    PROT_STATUS(results, 200);
    QCOMPARE(total(results.json), m_accepted);
    QCOMPARE(statValue(m_http->get(Stats).json, "votes", "accepted"), m_accepted);
}

QTEST_GUILESS_MAIN(TestHttp)
#include "tst_prot_http.moc"
