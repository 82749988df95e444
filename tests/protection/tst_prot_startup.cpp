// One validation for --check-config and start-up: what the real start refuses, the check
// refuses too (exit 2, a clear message, nothing written). The per-port lock names the
// address: another Tally may listen on 127.0.0.2 while one holds 127.0.0.1 on the same
// port, but not on the same address, nor on the wildcard address.
#include "protkit.h"

#include <QDir>
#include <QTcpServer>
#include <QTemporaryDir>

using namespace prot;

namespace {

// A port free on both 127.0.0.1 and 127.0.0.2. Other tests leave client sockets from
// 127.0.0.2 in TIME_WAIT, and the kernel picks a port for 127.0.0.1 without looking at them.
quint16 portFreeOnBothAddresses()
{
    for (int attempt = 0; attempt < 50; ++attempt) {
        QTcpServer first;
        QTcpServer second;
        if (first.listen(QHostAddress(QStringLiteral("127.0.0.1")), 0) &&
            second.listen(QHostAddress(QStringLiteral("127.0.0.2")), first.serverPort()))
            return first.serverPort();
    }
    return 0;
}

} // namespace

class TestStartup : public QObject {
    Q_OBJECT

private slots:
    void checkConfigRefusesWhatStartRefuses_data();
    void checkConfigRefusesWhatStartRefuses();
    void validListsPass();
    void portLockNamesTheAddress();
};

void TestStartup::checkConfigRefusesWhatStartRefuses_data()
{
    QTest::addColumn<QStringList>("args");
    QTest::addColumn<QString>("message");
    const QString bind = QStringLiteral("bind must be an IP address (or localhost, *), not '%1'");
    const QString proxy = QStringLiteral(
        "trusted-proxies: '%1' is not an IP address or CIDR subnet (such as 10.0.0.0/8)");
    QTest::newRow("bind notanip") << QStringList{"--bind", "notanip"} << bind.arg("notanip");
    QTest::newRow("bind with a prefix")
        << QStringList{"--bind", "127.0.0.1/8"} << bind.arg("127.0.0.1/8");
    QTest::newRow("bind 300.1.1.1") << QStringList{"--bind", "300.1.1.1"} << bind.arg("300.1.1.1");
    QTest::newRow("proxy 999.1.1.1/40")
        << QStringList{"--trusted-proxies", "999.1.1.1/40"} << proxy.arg("999.1.1.1/40");
    QTest::newRow("proxy prefix 33")
        << QStringList{"--trusted-proxies", "10.0.0.0/33"} << proxy.arg("10.0.0.0/33");
    QTest::newRow("proxy v6 prefix 129")
        << QStringList{"--trusted-proxies", "::1/129"} << proxy.arg("::1/129");
    QTest::newRow("one bad item") << QStringList{"--trusted-proxies", "127.0.0.1, nope"}
                                  << proxy.arg("nope");
}

void TestStartup::checkConfigRefusesWhatStartRefuses()
{
    QFETCH(QStringList, args);
    QFETCH(QString, message);
    const TallyProcess::Result check = TallyProcess::run(QStringList{"--check-config"} + args);
    QVERIFY2(check.finished, qPrintable(check.err));
    QCOMPARE(check.exitCode, 2);
    QVERIFY2(check.err.contains(message), qPrintable(check.err));
    QVERIFY(!check.out.contains(QStringLiteral("Configuration is valid")));

    // The real start refuses the same way, before it writes anything (such as the admin
    // token a non-loopback bind would get).
    QTemporaryDir dataDir;
    QVERIFY(dataDir.isValid());
    const TallyProcess::Result start = TallyProcess::run(
        QStringList{"--headless", "--port", "0", "--data-dir", dataDir.path()} + args);
    QVERIFY2(start.finished, qPrintable(start.err));
    QCOMPARE(start.exitCode, 2);
    QVERIFY2(start.err.contains(message), qPrintable(start.err));
    QCOMPARE(QDir(dataDir.path()).entryList(QDir::NoDotAndDotDot | QDir::AllEntries),
             QStringList());
}

void TestStartup::validListsPass()
{
    const TallyProcess::Result check =
        TallyProcess::run({"--check-config", "--bind", "::1", "--trusted-proxies",
                           "10.0.0.0/8, 192.168.1.7,::1,fd00::/8,172.16.0.0/12"});
    QVERIFY2(check.finished, qPrintable(check.err));
    QCOMPARE(check.exitCode, 0);
    QVERIFY2(check.out.startsWith(QStringLiteral("Configuration is valid.")),
             qPrintable(check.out));
}

void TestStartup::portLockNamesTheAddress()
{
    const quint16 freePort = portFreeOnBothAddresses();
    QVERIFY(freePort != 0);
    const QString port = QString::number(freePort);
    TallyProcess first({"--bind", "127.0.0.1", "--port", port});
    PROT_START(first);
    QCOMPARE(first.port(), freePort);

    // Another address of the same port: allowed, and each address reaches its own server.
    TallyProcess second({"--bind", "127.0.0.2", "--port", port});
    PROT_START(second);
    QCOMPARE(second.url().host(), QStringLiteral("127.0.0.2"));
    QCOMPARE(second.port(), first.port());
    HttpClient toFirst(first.url());
    HttpClient toSecond(second.url());
    QCOMPARE(toFirst.get(Stats).json.value("instance_id").toString(), first.instanceId());
    QCOMPARE(toSecond.get(Stats).json.value("instance_id").toString(), second.instanceId());

    // The same address and port: refused, naming the holder.
    TallyProcess same({"--bind", "127.0.0.1", "--port", port});
    QVERIFY(!same.start());
    QVERIFY2(
        same.stderrText().contains(QStringLiteral("another Tally (pid %1) is already listening on "
                                                  "127.0.0.1 port %2")
                                       .arg(first.pid())
                                       .arg(port)),
        qPrintable(same.diagnostics()));
    // The wildcard address overlaps both.
    TallyProcess everywhere({"--bind", "0.0.0.0", "--port", port});
    QVERIFY(!everywhere.start());
    QVERIFY2(same.stderrText().contains(QStringLiteral("another Tally")),
             qPrintable(everywhere.diagnostics()));
    QVERIFY2(everywhere.stderrText().contains(QStringLiteral(" port %1").arg(port)),
             qPrintable(everywhere.diagnostics()));

    // The first server still answers; both stop cleanly.
    PROT_STATUS(toFirst.get(QStringLiteral("/health")), 200);
    QCOMPARE(second.stop(), 0);
    QCOMPARE(first.stop(), 0);
}

QTEST_GUILESS_MAIN(TestStartup)
#include "tst_prot_startup.moc"
