// ConnectionGuard's writes of whole answers, on a real loopback connection: an answer the
// kernel cannot take at once is partly sent and partly queued, and what follows it is
// queued behind it, so the client reads every byte in order; answers given while requests
// are read leave at the end of the thread's reading, in request order, and the last one
// before a close is sent before the connection closes.
#include "guard/connectiontracker.h"
#include "http/connectionguard.h"
#include "http/guardedtcpserver.h"

#include "rawsocket.h"

#include <QDeadlineTimer>
#include <QSignalSpy>
#include <QTest>
#include <sys/socket.h>

class TestConnectionGuard : public QObject {
    Q_OBJECT

private slots:
    void answersTheKernelCannotTakeAreQueuedInOrder();
    void answersGivenWhileReadingLeaveInOrder();
};

namespace {

QByteArray pattern(char first, qsizetype size)
{
    QByteArray bytes(size, Qt::Uninitialized);
    for (qsizetype i = 0; i < size; ++i)
        bytes[i] = char(first + i % 23);
    return bytes;
}

} // namespace

void TestConnectionGuard::answersTheKernelCannotTakeAreQueuedInOrder()
{
    ConnectionTracker tracker(10, 10);
    GuardedTcpServer server(&tracker, GuardedTcpServer::Limits{});
    QVERIFY(server.listen(QHostAddress::LocalHost));
    RawSocket client;
    client.setReceiveBuffer(2048);
    QVERIFY(client.connectTo(server.serverPort()));
    QVERIFY(server.waitForNewConnection(5000));
    auto *guard = qobject_cast<ConnectionGuard *>(server.nextPendingConnection());
    QVERIFY(guard);
    // A fixed, small send buffer: the kernel holds a few kilobytes of this connection.
    const int sendBuffer = 4096;
    QCOMPARE(::setsockopt(int(guard->socketDescriptor()), SOL_SOCKET, SO_SNDBUF, &sendBuffer,
                          sizeof(sendBuffer)),
             0);

    const QList<QByteArray> answers = {pattern('a', 256 * 1024), "second answer",
                                       pattern('A', 100 * 1024)};
    guard->writeAnswer(answers[0]);
    // Part went to the kernel at once, the rest waits in the socket.
    QVERIFY2(guard->bytesToWrite() > 0 && guard->bytesToWrite() < answers[0].size(),
             qPrintable(QString::number(guard->bytesToWrite())));
    const qint64 queued = guard->bytesToWrite();
    guard->writeAnswer(answers[1]);
    guard->writeAnswer(answers[2]);
    QCOMPARE(guard->bytesToWrite(), queued + answers[1].size() + answers[2].size());

    const QByteArray expected = answers.join();
    QByteArray received;
    QDeadlineTimer deadline(10000);
    char buffer[16384];
    while (received.size() < expected.size() && !deadline.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        const ssize_t n = ::recv(client.descriptor(), buffer, sizeof(buffer), MSG_DONTWAIT);
        if (n > 0)
            received.append(buffer, n);
    }
    QCOMPARE(received.size(), expected.size());
    QVERIFY(received == expected);
    QCOMPARE(guard->bytesToWrite(), 0);
}

void TestConnectionGuard::answersGivenWhileReadingLeaveInOrder()
{
    // A lean hook that answers every request at once, as the hot routes do: the answers
    // are given while the guard is reading.
    int answered = 0;
    GuardedTcpServer::Limits limits;
    limits.lean = [&answered](ConnectionGuard *guard, qint64 bytes) {
        guard->skip(bytes);
        const QByteArray body = QByteArray::number(++answered);
        guard->writeAnswer("HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(body.size()) +
                           "\r\n\r\n" + body);
        guard->responseSent();
        return true;
    };
    ConnectionTracker tracker(10, 10);
    GuardedTcpServer server(&tracker, limits);
    QVERIFY(server.listen(QHostAddress::LocalHost));
    RawSocket client;
    QVERIFY(client.connectTo(server.serverPort()));
    QVERIFY(server.waitForNewConnection(5000));

    // Pipelined in one write; the last asks to close after its answer.
    constexpr int Requests = 40;
    QByteArray batch;
    for (int i = 1; i <= Requests; ++i)
        batch += RawSocket::httpRequest("GET", "/r/" + QByteArray::number(i), {},
                                        i == Requests ? "Connection: close\r\n" : "");
    QVERIFY(client.send(batch));
    QByteArray received;
    QDeadlineTimer deadline(10000);
    char buffer[16384];
    bool closed = false;
    while (!closed && !deadline.hasExpired()) {
        QCoreApplication::processEvents(QEventLoop::AllEvents, 10);
        const ssize_t n = ::recv(client.descriptor(), buffer, sizeof(buffer), MSG_DONTWAIT);
        if (n > 0)
            received.append(buffer, n);
        else if (n == 0)
            closed = true;
    }
    QVERIFY2(closed, "the connection was not closed after the last answer");
    QCOMPARE(answered, Requests);
    QByteArray expected;
    for (int i = 1; i <= Requests; ++i) {
        const QByteArray body = QByteArray::number(i);
        expected += "HTTP/1.1 200 OK\r\nContent-Length: " + QByteArray::number(body.size()) +
                    "\r\n\r\n" + body;
    }
    QCOMPARE(received, expected);
}

QTEST_GUILESS_MAIN(TestConnectionGuard)
#include "tst_connectionguard.moc"
