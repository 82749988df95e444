// The HTTP workers' event dispatcher (EpollDispatcher), on a thread of its own as the
// server runs it: posted events, timers (single-shot, repeating, killed and restarted
// from their own handler, never re-entered from a nested loop), socket notifiers on
// real TCP connections (many at once, one closed by another's handler), and quit.
#include "http/epolldispatcher.h"

#include <QElapsedTimer>
#include <QEventLoop>
#include <QSocketNotifier>
#include <QTcpServer>
#include <QTcpSocket>
#include <QTest>
#include <QThread>
#include <QTimer>

#include <memory>
#include <sys/socket.h>
#include <unistd.h>

namespace {

// A thread running an EpollDispatcher loop; `run` executes on it and waits.
class DispatcherThread {
public:
    DispatcherThread()
    {
        m_thread.setEventDispatcher(new EpollDispatcher); // the thread owns it
        m_thread.start();
        m_context.moveToThread(&m_thread);
    }
    ~DispatcherThread()
    {
        m_thread.quit();
        m_thread.wait();
    }
    template <typename Job> void run(Job &&job)
    {
        QMetaObject::invokeMethod(&m_context, std::forward<Job>(job), Qt::BlockingQueuedConnection);
    }
    QObject *context() { return &m_context; }
    QThread &thread() { return m_thread; }
    EpollDispatcher *dispatcher()
    {
        return static_cast<EpollDispatcher *>(m_thread.eventDispatcher());
    }
    // Read on the dispatcher's thread.
    int notifiers()
    {
        int count = 0;
        run([&] { count = dispatcher()->notifierCount(); });
        return count;
    }
    int timers()
    {
        int count = 0;
        run([&] { count = dispatcher()->timerCount(); });
        return count;
    }

private:
    QThread m_thread;
    QObject m_context;
};

// A connected pair of stream sockets: the test writes to one end, the thread watches the other.
struct SocketPair {
    int fds[2] = {-1, -1};
    SocketPair() { ::socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds); }
    ~SocketPair()
    {
        for (int fd : fds)
            if (fd >= 0)
                ::close(fd);
    }
};

} // namespace

class TestEpollDispatcher : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void postedEventsRunInOrder();
    void singleShotAndRepeatingTimers();
    void timersNeverFireEarly();
    void timerKilledAndRestartedFromItsHandler();
    void nestedLoopDoesNotReenterATimer();
    void registeredTimersAndRemainingTime();
    void readNotifierSeesEveryWrite();
    void notifierClosedByAnotherHandlerIsSkipped();
    void tcpEchoOverManyConnections();
    void quitWakesABlockedLoop();
};

void TestEpollDispatcher::postedEventsRunInOrder()
{
    DispatcherThread worker;
    QList<int> seen;
    for (int i = 0; i < 100; ++i)
        QMetaObject::invokeMethod(worker.context(), [&seen, i] { seen.append(i); });
    worker.run([] {});
    QCOMPARE(seen.size(), 100);
    for (int i = 0; i < 100; ++i)
        QCOMPARE(seen.at(i), i);
}

void TestEpollDispatcher::singleShotAndRepeatingTimers()
{
    DispatcherThread worker;
    std::atomic<int> singleShots{0};
    std::atomic<int> repeats{0};
    std::atomic<bool> stopped{false};
    worker.run([&] {
        QTimer::singleShot(5, worker.context(), [&] { ++singleShots; });
        QTimer::singleShot(0, worker.context(), [&] { ++singleShots; });
        auto *timer = new QTimer(worker.context());
        QObject::connect(timer, &QTimer::timeout, worker.context(), [&, timer] {
            if (++repeats == 7) {
                timer->stop();
                timer->deleteLater();
                stopped = true;
            }
        });
        timer->start(2);
    });
    QTRY_VERIFY_WITH_TIMEOUT(stopped.load(), 5000);
    QTRY_COMPARE_WITH_TIMEOUT(singleShots.load(), 2, 5000);
    worker.run([] {});
    QCOMPARE(repeats.load(), 7);
    QCOMPARE(singleShots.load(), 2);
    QTRY_COMPARE_WITH_TIMEOUT(worker.timers(), 0, 5000);
}

void TestEpollDispatcher::timersNeverFireEarly()
{
    // Deadlines are kept finer than epoll_wait's milliseconds and the wait rounds up:
    // a timer of N ms never runs before N ms have passed.
    DispatcherThread worker;
    std::atomic<int> early{0};
    std::atomic<int> fired{0};
    worker.run([&] {
        for (int interval = 1; interval <= 25; ++interval) {
            auto started = std::make_shared<QElapsedTimer>();
            started->start();
            QTimer::singleShot(interval, Qt::PreciseTimer, worker.context(),
                               [&, started, interval] {
                                   if (started->nsecsElapsed() < qint64(interval) * 1000000)
                                       ++early;
                                   ++fired;
                               });
        }
    });
    QTRY_COMPARE_WITH_TIMEOUT(fired.load(), 25, 5000);
    QCOMPARE(early.load(), 0);
}

void TestEpollDispatcher::timerKilledAndRestartedFromItsHandler()
{
    DispatcherThread worker;
    std::atomic<int> fired{0};
    std::atomic<bool> done{false};
    QTimer *timer = nullptr;
    worker.run([&] {
        timer = new QTimer(worker.context());
        timer->setSingleShot(true);
        QObject::connect(timer, &QTimer::timeout, worker.context(), [&] {
            // Restarting from the handler registers a new timer while the old one fires.
            if (++fired < 5)
                timer->start(1);
            else
                done = true;
        });
        timer->start(1);
    });
    QTRY_VERIFY_WITH_TIMEOUT(done.load(), 5000);
    worker.run([&] { delete timer; });
    QCOMPARE(fired.load(), 5);
    QCOMPARE(worker.timers(), 0);
}

void TestEpollDispatcher::nestedLoopDoesNotReenterATimer()
{
    DispatcherThread worker;
    std::atomic<int> entered{0};
    std::atomic<int> maxDepth{0};
    std::atomic<int> depth{0};
    std::atomic<bool> done{false};
    worker.run([&] {
        auto *timer = new QTimer(worker.context());
        QObject::connect(timer, &QTimer::timeout, worker.context(), [&, timer] {
            maxDepth = std::max(maxDepth.load(), ++depth);
            if (++entered == 1) {
                // A nested loop that runs for several of the timer's periods.
                QEventLoop loop;
                QTimer::singleShot(30, &loop, &QEventLoop::quit);
                loop.exec();
            } else if (entered == 3) {
                timer->stop();
                done = true;
            }
            --depth;
        });
        timer->start(1);
    });
    QTRY_VERIFY_WITH_TIMEOUT(done.load(), 5000);
    worker.run([] {});
    QCOMPARE(maxDepth.load(), 1);
    QCOMPARE(entered.load(), 3);
}

void TestEpollDispatcher::registeredTimersAndRemainingTime()
{
    DispatcherThread worker;
    worker.run([&] {
        QObject owner;
        const int slow = owner.startTimer(60000, Qt::PreciseTimer);
        const int coarse = owner.startTimer(30000);
        const QList<QAbstractEventDispatcher::TimerInfo> timers =
            worker.dispatcher()->registeredTimers(&owner);
        QCOMPARE(timers.size(), 2);
        for (const QAbstractEventDispatcher::TimerInfo &timer : timers) {
            QVERIFY(timer.timerId == slow || timer.timerId == coarse);
            QCOMPARE(timer.interval, timer.timerId == slow ? 60000 : 30000);
            QCOMPARE(timer.timerType, timer.timerId == slow ? Qt::PreciseTimer : Qt::CoarseTimer);
        }
        const int remaining = worker.dispatcher()->remainingTime(slow);
        QVERIFY2(remaining > 59000 && remaining <= 60000, qPrintable(QString::number(remaining)));
        QCOMPARE(worker.dispatcher()->remainingTime(-5), -1);
        owner.killTimer(slow);
        QCOMPARE(worker.dispatcher()->registeredTimers(&owner).size(), 1);
        // The rest go with their object.
    });
    QCOMPARE(worker.timers(), 0);
}

void TestEpollDispatcher::readNotifierSeesEveryWrite()
{
    DispatcherThread worker;
    SocketPair pair;
    QByteArray received;
    std::unique_ptr<QSocketNotifier> notifier;
    worker.run([&] {
        notifier = std::make_unique<QSocketNotifier>(pair.fds[1], QSocketNotifier::Read);
        QObject::connect(notifier.get(), &QSocketNotifier::activated, [&] {
            char buffer[256];
            const ssize_t n = ::read(pair.fds[1], buffer, sizeof buffer);
            if (n > 0)
                received.append(buffer, n);
        });
    });
    QCOMPARE(worker.notifiers(), 1);
    QByteArray sent;
    for (int i = 0; i < 50; ++i) {
        const QByteArray chunk = QByteArray::number(i) + ';';
        QCOMPARE(::write(pair.fds[0], chunk.constData(), size_t(chunk.size())),
                 ssize_t(chunk.size()));
        sent += chunk;
    }
    QTRY_VERIFY_WITH_TIMEOUT((worker.run([] {}), received.size() == sent.size()), 5000);
    QCOMPARE(received, sent);
    // Disabled: no more activations, and the descriptor leaves the interest set.
    worker.run([&] { notifier->setEnabled(false); });
    QCOMPARE(worker.notifiers(), 0);
    QCOMPARE(::write(pair.fds[0], "x", 1), ssize_t(1));
    QTest::qWait(20);
    worker.run([] {});
    QCOMPARE(received, sent);
    worker.run([&] { notifier->setEnabled(true); });
    QTRY_VERIFY_WITH_TIMEOUT((worker.run([] {}), received == sent + "x"), 5000);
    worker.run([&] { notifier.reset(); });
}

void TestEpollDispatcher::notifierClosedByAnotherHandlerIsSkipped()
{
    DispatcherThread worker;
    SocketPair first;
    SocketPair second;
    int activations = 0;
    std::unique_ptr<QSocketNotifier> a;
    std::unique_ptr<QSocketNotifier> b;
    worker.run([&] {
        a = std::make_unique<QSocketNotifier>(first.fds[1], QSocketNotifier::Read);
        b = std::make_unique<QSocketNotifier>(second.fds[1], QSocketNotifier::Read);
        // Whichever runs first deletes the other, as a handler closing a second
        // connection would; the deleted one must not be activated in the same turn.
        const auto handle = [&](std::unique_ptr<QSocketNotifier> &self,
                                std::unique_ptr<QSocketNotifier> &other) {
            ++activations;
            other.reset();
            self->setEnabled(false);
        };
        QObject::connect(a.get(), &QSocketNotifier::activated, [&, handle] { handle(a, b); });
        QObject::connect(b.get(), &QSocketNotifier::activated, [&, handle] { handle(b, a); });
        // Both become readable before the loop next waits.
        QCOMPARE(::write(first.fds[0], "1", 1), ssize_t(1));
        QCOMPARE(::write(second.fds[0], "2", 1), ssize_t(1));
    });
    QTRY_COMPARE_WITH_TIMEOUT((worker.run([] {}), activations), 1, 5000);
    QTest::qWait(20);
    worker.run([] {});
    QCOMPARE(activations, 1);
    QCOMPARE(worker.notifiers(), 0);
    worker.run([&] {
        a.reset();
        b.reset();
    });
}

void TestEpollDispatcher::tcpEchoOverManyConnections()
{
    // A QTcpServer on the dispatcher's thread echoes; clients on this (Qt's own) loop.
    DispatcherThread worker;
    std::unique_ptr<QTcpServer> server;
    quint16 port = 0;
    worker.run([&] {
        server = std::make_unique<QTcpServer>();
        QObject::connect(server.get(), &QTcpServer::newConnection, [&] {
            while (QTcpSocket *socket = server->nextPendingConnection()) {
                QObject::connect(socket, &QTcpSocket::readyRead, socket,
                                 [socket] { socket->write(socket->readAll()); });
                QObject::connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
            }
        });
        QVERIFY(server->listen(QHostAddress::LocalHost));
        port = server->serverPort();
    });
    constexpr int Clients = 200;
    std::vector<std::unique_ptr<QTcpSocket>> clients;
    for (int i = 0; i < Clients; ++i) {
        auto client = std::make_unique<QTcpSocket>();
        client->connectToHost(QHostAddress::LocalHost, port);
        clients.push_back(std::move(client));
    }
    for (auto &client : clients)
        QVERIFY(client->state() == QAbstractSocket::ConnectedState ||
                client->waitForConnected(5000));
    for (int i = 0; i < Clients; ++i)
        clients[size_t(i)]->write("hello " + QByteArray::number(i));
    for (int i = 0; i < Clients; ++i) {
        QTcpSocket &client = *clients[size_t(i)];
        const QByteArray expected = "hello " + QByteArray::number(i);
        QElapsedTimer deadline;
        deadline.start();
        while (client.bytesAvailable() < expected.size() && deadline.elapsed() < 5000)
            client.waitForReadyRead(100);
        QCOMPARE(client.readAll(), expected);
    }
    // Every connection is one read notifier on the worker, plus the listening socket.
    QCOMPARE(worker.notifiers(), Clients + 1);
    clients.clear();
    QTRY_COMPARE_WITH_TIMEOUT(worker.notifiers(), 1, 5000);
    worker.run([&] { server.reset(); });
    QCOMPARE(worker.notifiers(), 0);
}

void TestEpollDispatcher::quitWakesABlockedLoop()
{
    auto worker = std::make_unique<DispatcherThread>();
    worker->run([] {});
    // The loop is blocked in epoll_wait with no timer: quit() must wake it.
    worker->thread().quit();
    QVERIFY(worker->thread().wait(5000));
}

QTEST_GUILESS_MAIN(TestEpollDispatcher)
#include "tst_epolldispatcher.moc"
