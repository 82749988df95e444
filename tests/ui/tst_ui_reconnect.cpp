// The console follows a server through a restart: the status shows it reconnecting
// (with backoff) while the server is gone and connected again once a new server
// answers on the same port with the same data, and the data is shown again exactly.
#include "healthcharts.h"
#include "pollactions.h"
#include "resultschart.h"
#include "resultspanel.h"
#include "tallyprocess.h"
#include "timeserieschart.h"
#include "uitestsupport.h"

#include <QAction>
#include <QAreaSeries>
#include <QDateTimeAxis>
#include <QLabel>
#include <QLineSeries>

class TestUiReconnect : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { UiTest::isolateSettings(); }
    void serverRestartIsFollowed();
};

void TestUiReconnect::serverRestartIsFollowed()
{
    TallyProcess first;
    QVERIFY2(first.start(), qPrintable(first.diagnostics()));
    const quint16 port = first.port();
    {
        HttpClient http(first.url());
        UiTest::createPoll(http, QStringLiteral("restart"),
                           QStringLiteral("Still there after a restart?"),
                           {QStringLiteral("Yes"), QStringLiteral("No")});
        for (const char *option : {"A", "A", "B"})
            QCOMPARE(http.postJson(QStringLiteral("/api/v1/vote/restart"),
                                   {{QStringLiteral("option_id"), QLatin1String(option)}})
                         .status,
                     202);
    }
    const QMap<QString, qint64> before{{QStringLiteral("A"), 2}, {QStringLiteral("B"), 1}};

    MainWindow window;
    window.resize(1280, 800);
    window.show();
    window.connectTo(first.url());
    QTRY_VERIFY_WITH_TIMEOUT(window.liveClient()->isConnected(), 15000);
    QVERIFY(window.connectionText().startsWith(
        QStringLiteral("Connected to %1").arg(first.url().toString(QUrl::StripTrailingSlash))));
    QVERIFY(UiTest::selectPoll(window, QStringLiteral("restart")));
    QTRY_COMPARE_WITH_TIMEOUT(window.resultsPanel()->chart()->values(), before, 10000);
    QTRY_VERIFY(!window.versionText().isEmpty());
    TimeSeriesChart *depth = window.healthCharts()->bufferDepth();
    QTRY_VERIFY_WITH_TIMEOUT(depth->pointCount() >= 2, 10000);

    QCOMPARE(first.stop(), 0);
    QTRY_COMPARE_WITH_TIMEOUT(window.liveClient()->state(), LiveClient::State::Reconnecting, 15000);
    QLabel *status = window.findChild<QLabel *>(QStringLiteral("connectionLabel"));
    QVERIFY(status);
    QTRY_VERIFY2(status->text().startsWith(
                     QStringLiteral("Reconnecting to http://127.0.0.1:%1 in").arg(port)),
                 qPrintable(status->text()));
    // It keeps trying, with growing pauses, and the last data stays on screen.
    QTRY_VERIFY_WITH_TIMEOUT(window.liveClient()->attempt() >= 3, 15000);
    QCOMPARE(window.resultsPanel()->chart()->values(), before);
    QVERIFY(!window.pollActions()->newPoll()->isEnabled());
    // The health charts do not look current: no values, a marked outage, a moving clock.
    QVERIFY(depth->inOutage());
    QCOMPARE(depth->titleText(), QStringLiteral("Buffer depth: no data"));
    QCOMPARE(depth->outageBands().size(), 1);
    const qint64 axisEnd = depth->timeAxis()->max().toMSecsSinceEpoch();
    QTRY_VERIFY_WITH_TIMEOUT(depth->timeAxis()->max().toMSecsSinceEpoch() > axisEnd + 500, 5000);
    QCOMPARE(window.resultsPanel()->rateLabel()->text(),
             QStringLiteral("– votes/s (no connection)"));

    // A new server on the same port and data directory.
    TallyProcess second({QStringLiteral("--port"), QString::number(port)}, first.dataDir());
    QVERIFY2(second.start(), qPrintable(second.diagnostics()));
    QCOMPARE(second.port(), port);
    QTRY_VERIFY_WITH_TIMEOUT(window.liveClient()->isConnected(), 20000);
    QTRY_VERIFY(
        status->text().startsWith(QStringLiteral("Connected to http://127.0.0.1:%1").arg(port)));
    QVERIFY(window.pollActions()->newPoll()->isEnabled());
    QCOMPARE(window.pollsView()->selectedPollId(), QStringLiteral("restart"));
    // A gap where the outage was: the new samples are a line of their own, after it.
    QTRY_VERIFY_WITH_TIMEOUT(depth->lines().size() == 2 && depth->lines().at(1)->count() > 0,
                             10000);
    QVERIFY(!depth->inOutage());
    QVERIFY(depth->titleText().startsWith(QStringLiteral("Buffer depth: ")));
    const QAreaSeries *band = depth->outageBands().first();
    const double outageFrom = band->upperSeries()->at(0).x();
    const double outageTo = band->upperSeries()->at(1).x();
    QVERIFY(depth->lines().at(0)->points().constLast().x() <= outageFrom);
    QVERIFY(outageTo <= depth->lines().at(1)->at(0).x());

    // Votes on the new server show up like before.
    HttpClient http(second.url());
    for (int i = 0; i < 4; ++i)
        QCOMPARE(http.postJson(QStringLiteral("/api/v1/vote/restart"),
                               {{QStringLiteral("option_id"), QStringLiteral("B")}})
                     .status,
                 202);
    const QMap<QString, qint64> after{{QStringLiteral("A"), 2}, {QStringLiteral("B"), 5}};
    QTRY_COMPARE_WITH_TIMEOUT(window.resultsPanel()->chart()->values(), after, 10000);
    QCOMPARE(UiTest::serverResults(http, QStringLiteral("restart")), after);
    QTRY_COMPARE(window.pollModel()->totalOf(QStringLiteral("restart")), 7);
    QCOMPARE(second.stop(), 0);
}

QTEST_MAIN(TestUiReconnect)
#include "tst_ui_reconnect.moc"
