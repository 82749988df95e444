// RequestGuard without sockets: who a request comes from (peer address, or what a
// trusted proxy reports), and the loopback exemption of the budgets.
#include "core/config.h"
#include "guard/requestguard.h"

#include <QHostAddress>
#include <QTest>

namespace {

Config configWith(const QString &trustedProxies, bool limitLoopback = false)
{
    Config config = Config::defaults();
    config.set(QStringLiteral("trusted-proxies"), trustedProxies);
    config.set(QStringLiteral("rate-limit-loopback"), limitLoopback);
    config.set(QStringLiteral("rate-votes"), 2.0);
    config.set(QStringLiteral("rate-reads"), 3.0);
    config.set(QStringLiteral("rate-admin"), 0.5);
    return config;
}

} // namespace

class TestRequestGuard : public QObject {
    Q_OBJECT

private slots:
    void normalise_data()
    {
        QTest::addColumn<QString>("address");
        QTest::addColumn<QString>("expected");
        QTest::newRow("v4") << "203.0.113.9"
                            << "203.0.113.9";
        QTest::newRow("mapped loopback") << "::ffff:127.0.0.1"
                                         << "127.0.0.1";
        QTest::newRow("mapped") << "::ffff:203.0.113.9"
                                << "203.0.113.9";
        QTest::newRow("v6 loopback") << "::1"
                                     << "::1";
        QTest::newRow("v6") << "2001:db8::1"
                            << "2001:db8::1";
        QTest::newRow("v6 long form") << "2001:0db8:0000:0000:0000:0000:0000:0001"
                                      << "2001:db8::1";
    }

    void normalise()
    {
        QFETCH(QString, address);
        QFETCH(QString, expected);
        QCOMPARE(RequestGuard::normalise(QHostAddress(address)), expected);
    }

    void clientOf_data()
    {
        QTest::addColumn<QString>("trusted");
        QTest::addColumn<QString>("peer");
        QTest::addColumn<QByteArray>("forwardedFor");
        QTest::addColumn<QByteArray>("realIp");
        QTest::addColumn<QString>("client");

        const QString defaults = QStringLiteral("127.0.0.1,::1");
        // An untrusted peer cannot choose its identity.
        QTest::newRow("untrusted peer, XFF ignored")
            << defaults << "203.0.113.5" << QByteArray("198.51.100.1") << QByteArray()
            << "203.0.113.5";
        QTest::newRow("untrusted peer, X-Real-IP ignored")
            << defaults << "203.0.113.5" << QByteArray() << QByteArray("198.51.100.1")
            << "203.0.113.5";
        QTest::newRow("untrusted peer claiming loopback")
            << defaults << "203.0.113.5" << QByteArray("127.0.0.1") << QByteArray("127.0.0.1")
            << "203.0.113.5";
        QTest::newRow("untrusted mapped peer")
            << defaults << "::ffff:203.0.113.5" << QByteArray("198.51.100.1") << QByteArray()
            << "203.0.113.5";
        // A trusted proxy: the right-most hop it did not add itself.
        QTest::newRow("trusted, one hop") << defaults << "127.0.0.1" << QByteArray("198.51.100.1")
                                          << QByteArray() << "198.51.100.1";
        QTest::newRow("trusted, spoofed left part")
            << defaults << "127.0.0.1" << QByteArray("10.0.0.66, 198.51.100.1") << QByteArray()
            << "198.51.100.1";
        QTest::newRow("trusted, spoofed loopback on the left")
            << defaults << "127.0.0.1" << QByteArray("127.0.0.1, 198.51.100.1") << QByteArray()
            << "198.51.100.1";
        QTest::newRow("trusted, proxy chain")
            << "127.0.0.1,10.0.0.0/8"
            << "127.0.0.1" << QByteArray("192.0.2.77, 198.51.100.1, 10.1.2.3, 10.4.5.6")
            << QByteArray() << "198.51.100.1";
        QTest::newRow("trusted, untrusted inner proxy")
            << defaults << "127.0.0.1" << QByteArray("198.51.100.1, 10.1.2.3") << QByteArray()
            << "10.1.2.3";
        QTest::newRow("trusted, spaces and no spaces")
            << defaults << "127.0.0.1" << QByteArray("  198.51.100.1 ,192.0.2.4  ") << QByteArray()
            << "192.0.2.4";
        QTest::newRow("trusted mapped peer")
            << defaults << "::ffff:127.0.0.1" << QByteArray("198.51.100.1") << QByteArray()
            << "198.51.100.1";
        QTest::newRow("trusted v6 peer")
            << defaults << "::1" << QByteArray("2001:db8::7") << QByteArray() << "2001:db8::7";
        QTest::newRow("mapped hop") << defaults << "127.0.0.1" << QByteArray("::ffff:198.51.100.1")
                                    << QByteArray() << "198.51.100.1";
        // Fallbacks.
        QTest::newRow("trusted, X-Real-IP") << defaults << "127.0.0.1" << QByteArray()
                                            << QByteArray(" 198.51.100.2 ") << "198.51.100.2";
        QTest::newRow("trusted, XFF wins over X-Real-IP")
            << defaults << "127.0.0.1" << QByteArray("198.51.100.1") << QByteArray("198.51.100.2")
            << "198.51.100.1";
        QTest::newRow("trusted, only trusted hops, X-Real-IP")
            << defaults << "127.0.0.1" << QByteArray("127.0.0.1, ::1") << QByteArray("198.51.100.2")
            << "198.51.100.2";
        QTest::newRow("trusted, only trusted hops")
            << defaults << "127.0.0.1" << QByteArray("127.0.0.1") << QByteArray() << "127.0.0.1";
        QTest::newRow("trusted, nothing forwarded")
            << defaults << "::ffff:127.0.0.1" << QByteArray() << QByteArray() << "127.0.0.1";
        QTest::newRow("trusted, garbage hop stops the walk")
            << defaults << "127.0.0.1" << QByteArray("198.51.100.1, unknown") << QByteArray()
            << "127.0.0.1";
        QTest::newRow("trusted, garbage everywhere")
            << defaults << "127.0.0.1" << QByteArray("x,y,,") << QByteArray("not-an-ip")
            << "127.0.0.1";
        QTest::newRow("nothing trusted") << ""
                                         << "127.0.0.1" << QByteArray("198.51.100.1")
                                         << QByteArray("198.51.100.2") << "127.0.0.1";
        QTest::newRow("unparsable list entries are skipped")
            << "bogus, 127.0.0.1"
            << "127.0.0.1" << QByteArray("198.51.100.1") << QByteArray() << "198.51.100.1";
    }

    void clientOf()
    {
        QFETCH(QString, trusted);
        QFETCH(QString, peer);
        QFETCH(QByteArray, forwardedFor);
        QFETCH(QByteArray, realIp);
        QFETCH(QString, client);
        const RequestGuard guard(configWith(trusted));
        QCOMPARE(guard.clientOf(QHostAddress(peer), forwardedFor, realIp), client);
        // With the peer's name known already (a connection's requests), the same answer.
        const QString peerName = RequestGuard::normalise(QHostAddress(peer));
        QCOMPARE(guard.clientOf(QHostAddress(peer), peerName, forwardedFor, realIp), client);
    }

    void isLoopback_data()
    {
        QTest::addColumn<QString>("address");
        QTest::addColumn<bool>("loopback");
        QTest::newRow("v4") << "127.0.0.1" << true;
        QTest::newRow("v4, rest of 127/8") << "127.255.3.9" << true;
        QTest::newRow("mapped v4") << "::ffff:127.0.0.5" << true;
        QTest::newRow("v6") << "::1" << true;
        QTest::newRow("v6 long form") << "0:0:0:0:0:0:0:1" << true;
        QTest::newRow("v4 next to it") << "128.0.0.1" << false;
        QTest::newRow("v4 ending in 127") << "10.0.0.127" << false;
        QTest::newRow("v6 starting with 127") << "127::1" << false;
        QTest::newRow("v6 next to it") << "::2" << false;
        QTest::newRow("mapped other") << "::ffff:203.0.113.1" << false;
        QTest::newRow("v6 other") << "2001:db8::1" << false;
    }

    void isLoopback()
    {
        // On a client's name as clientOf() gives it, the same verdict as QHostAddress's.
        QFETCH(QString, address);
        QFETCH(bool, loopback);
        const QString client = RequestGuard::normalise(QHostAddress(address));
        QCOMPARE(QHostAddress(client).isLoopback(), loopback);
        QCOMPARE(RequestGuard::isLoopback(client), loopback);
    }

    void loopbackIsExemptByDefault()
    {
        RequestGuard guard(configWith(QStringLiteral("127.0.0.1,::1")));
        for (int i = 0; i < 100; ++i) {
            QCOMPARE(guard.check(RequestGuard::Budget::Votes, QStringLiteral("127.0.0.1")), 0);
            QCOMPARE(guard.check(RequestGuard::Budget::Votes, QStringLiteral("::1")), 0);
        }
        QCOMPARE(guard.limitedCount(RequestGuard::Budget::Votes), quint64(0));
        QCOMPARE(guard.trackedClients(), 0);
        // Everyone else has a budget: 2/s, bursts of 4.
        for (int i = 0; i < 4; ++i)
            QCOMPARE(guard.check(RequestGuard::Budget::Votes, QStringLiteral("198.51.100.1")), 0);
        QVERIFY(guard.check(RequestGuard::Budget::Votes, QStringLiteral("198.51.100.1")) > 0);
        QCOMPARE(guard.limitedCount(RequestGuard::Budget::Votes), quint64(1));
        QCOMPARE(guard.trackedClients(), 1);
    }

    void budgetsAreSeparate()
    {
        RequestGuard guard(configWith(QStringLiteral("127.0.0.1"), true));
        const QString client = QStringLiteral("127.0.0.1");
        using B = RequestGuard::Budget;
        for (int i = 0; i < 4; ++i)
            QCOMPARE(guard.check(B::Votes, client), 0);
        const qint64 voteWait = guard.check(B::Votes, client);
        QVERIFY2(voteWait > 0 && voteWait <= 500, qPrintable(QString::number(voteWait)));
        for (int i = 0; i < 6; ++i)
            QCOMPARE(guard.check(B::Reads, client), 0);
        const qint64 readWait = guard.check(B::Reads, client);
        QVERIFY2(readWait > 0 && readWait <= 334, qPrintable(QString::number(readWait)));
        // --rate-admin 0.5: a burst of one.
        QCOMPARE(guard.check(B::Admin, client), 0);
        const qint64 adminWait = guard.check(B::Admin, client);
        QVERIFY2(adminWait > 1900 && adminWait <= 2000, qPrintable(QString::number(adminWait)));
        // Unguarded routes never wait.
        QCOMPARE(guard.check(B::None, client), 0);
        QCOMPARE(guard.limitedCount(B::Votes), quint64(1));
        QCOMPARE(guard.limitedCount(B::Reads), quint64(1));
        QCOMPARE(guard.limitedCount(B::Admin), quint64(1));
        QCOMPARE(guard.limitedCount(B::None), quint64(0));
        QCOMPARE(guard.trackedClients(), 3);
    }
};

QTEST_APPLESS_MAIN(TestRequestGuard)
#include "tst_requestguard.moc"
