// The console's health charts without a server: rates derived from readings, the
// WebSocket client count, points appended and trimmed to the window, outages shown as
// gaps, and hidden charts that draw nothing until shown.
#include "healthcharts.h"
#include "timeserieschart.h"
#include "uitestsupport.h"
#include "uitext.h"

#include <QAreaSeries>
#include <QDateTimeAxis>
#include <QLineSeries>
#include <QSignalSpy>
#include <QTest>

class TestUiHealthCharts : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { UiTest::isolateSettings(); }

    void healthChartsDeriveRequestRate();
    void healthChartsFindSocketClients();
    void healthChartsAppendAndTrim();
    void healthChartsMarkAnOutage();
    void hiddenHealthChartsDrawNothing();

private:
    static QJsonObject stats(qint64 requests, qint64 depth)
    {
        return UiTest::statsReading(requests, depth);
    }
};

void TestUiHealthCharts::healthChartsDeriveRequestRate()
{
    HealthCharts health;
    const auto stats = [](qint64 requests, qint64 depth, double ratio) {
        return QJsonObject{
            {QStringLiteral("requests"), requests},
            {QStringLiteral("buffer"), QJsonObject{{QStringLiteral("depth"), depth}}},
            {QStringLiteral("flush"), QJsonObject{{QStringLiteral("last_votes"), 20}}},
            {QStringLiteral("cache"), QJsonObject{{QStringLiteral("hit_ratio"), ratio}}}};
    };
    const qint64 t0 = 1'700'000'000'000;
    health.addStats(stats(100, 5, 0.5), t0);
    QCOMPARE(health.requestRate()->pointCount(), 0); // a rate needs two readings
    health.addStats(stats(150, 7, 0.75), t0 + 1000);
    QCOMPARE(health.requestRate()->lastValue(), 50.0);
    // Readings closer than about a second are not turned into a rate of their own.
    health.addStats(stats(250, 0, 0.8), t0 + 1500);
    QCOMPARE(health.requestRate()->pointCount(), 1);
    health.addStats(stats(350, 0, 0.8), t0 + 2000);
    QCOMPARE(health.requestRate()->pointCount(), 2);
    QCOMPARE(health.requestRate()->lastValue(), 200.0);
    QCOMPARE(health.bufferDepth()->pointCount(), 4);
    QCOMPARE(health.bufferDepth()->lastValue(), 0.0);
    QCOMPARE(health.flushSize()->lastValue(), 20.0);
    QCOMPARE(health.cacheHitRatio()->lastValue(), 80.0);
    QCOMPARE(health.cacheHitRatio()->titleText(), QStringLiteral("Cache hits: 80.0%"));
    // Five minutes later the old points are gone (one is kept to start the line).
    health.addStats(stats(350, 1, 0.8), t0 + 2000 + TimeSeriesChart::DefaultWindowMs + 1);
    QCOMPARE(health.bufferDepth()->pointCount(), 2);
}

void TestUiHealthCharts::healthChartsFindSocketClients()
{
    QCOMPARE(HealthCharts::socketClientCount({}), -1);
    QCOMPARE(HealthCharts::socketClientCount(
                 {{QStringLiteral("websocket"), QJsonObject{{QStringLiteral("clients"), 4}}}}),
             4);
    QCOMPARE(HealthCharts::socketClientCount(
                 {{QStringLiteral("connections"), QJsonObject{{QStringLiteral("websocket"), 7}}}}),
             7);
    HealthCharts health;
    health.show();
    QVERIFY(health.socketClients()->isHidden());
    health.addStats({{QStringLiteral("ws_clients"), 3}});
    QVERIFY(!health.socketClients()->isHidden());
    QCOMPARE(health.socketClients()->lastValue(), 3.0);
}

void TestUiHealthCharts::healthChartsAppendAndTrim()
{
    TimeSeriesChart chart(QStringLiteral("Depth"), [](double v) {
        return UiText::plural(QStringLiteral("%1 vote(s)").arg(qint64(v)), qint64(v));
    });
    chart.show();
    const qint64 t0 = 1'700'000'000'000;
    chart.append(t0, 1);
    QLineSeries *line = chart.series();
    QVERIFY(line);
    QSignalSpy replaced(line, &QXYSeries::pointsReplaced);
    QSignalSpy added(line, &QXYSeries::pointAdded);
    QSignalSpy removed(line, &QXYSeries::pointsRemoved);
    for (int i = 1; i <= 20; ++i)
        chart.append(t0 + i * 500, double(i));
    // Each sample is one point more, not a new series.
    QCOMPARE(replaced.count(), 0);
    QCOMPARE(added.count(), 20);
    QCOMPARE(line->count(), 21);
    QCOMPARE(line->at(20), QPointF(double(t0 + 10000), 20.0));
    QCOMPARE(chart.titleText(), QStringLiteral("Depth: 20 votes"));
    chart.append(t0 + 10500, 1);
    QCOMPARE(chart.titleText(), QStringLiteral("Depth: 1 vote"));
    // Points older than the window leave from the front.
    chart.append(t0 + TimeSeriesChart::DefaultWindowMs + 2000, 5);
    QCOMPARE(replaced.count(), 0);
    QVERIFY(removed.count() > 0);
    QCOMPARE(line->count(), chart.pointCount());
    QCOMPARE(chart.pointCount(), 20); // from t0 + 1500 on: one point before the window
    QCOMPARE(line->at(0).x(), double(t0 + 1500));
    // The time axis ends at the newest sample and spans whole minutes.
    QCOMPARE(chart.timeAxis()->max().toMSecsSinceEpoch(),
             t0 + TimeSeriesChart::DefaultWindowMs + 2000);
}

void TestUiHealthCharts::healthChartsMarkAnOutage()
{
    HealthCharts health;
    health.show();
    const qint64 t0 = 1'700'000'000'000;
    health.addStats(stats(100, 5), t0);
    health.addStats(stats(200, 6), t0 + 1000);
    QCOMPARE(health.requestRate()->lastValue(), 100.0);
    health.setOutage(true, t0 + 2000);
    // No stale-looking values: the titles say there is no data.
    QCOMPARE(health.bufferDepth()->titleText(), QStringLiteral("Buffer depth: no data"));
    QCOMPARE(health.requestRate()->titleText(), QStringLiteral("Requests: no data"));
    QVERIFY(health.bufferDepth()->accessibleDescription().startsWith(
        QStringLiteral("Buffer depth: no data. The server has not answered since ")));
    QCOMPARE(health.bufferDepth()->outageBands().size(), 1);
    // The axis keeps moving with the clock during the outage.
    health.bufferDepth()->advanceTo(t0 + 20000);
    QCOMPARE(health.bufferDepth()->timeAxis()->max().toMSecsSinceEpoch(), t0 + 20000);

    health.setOutage(false, t0 + 30000);
    health.addStats(stats(10'000, 7), t0 + 30000);
    health.addStats(stats(10'300, 8), t0 + 31000);
    // A gap, not a line across it: the samples after the outage are a new line.
    const QList<QLineSeries *> lines = health.bufferDepth()->lines();
    QCOMPARE(lines.size(), 2);
    QCOMPARE(lines.at(0)->count(), 2);
    QCOMPARE(lines.at(1)->count(), 2);
    QCOMPARE(lines.at(1)->at(0).x(), double(t0 + 30000));
    QAreaSeries *band = health.bufferDepth()->outageBands().first();
    QCOMPARE(band->upperSeries()->at(0).x(), double(t0 + 2000));
    QCOMPARE(band->upperSeries()->at(1).x(), double(t0 + 30000));
    // No request rate across the outage (9,800 requests over 29 s is no current rate):
    // the first reading after it is a new start.
    QCOMPARE(health.requestRate()->pointCount(), 2);
    QCOMPARE(health.requestRate()->lastValue(), 300.0);
    QCOMPARE(health.bufferDepth()->titleText(), QStringLiteral("Buffer depth: 8 votes"));
}

void TestUiHealthCharts::hiddenHealthChartsDrawNothing()
{
    HealthCharts health; // never shown: a hidden dock
    const qint64 t0 = 1'700'000'000'000;
    for (int i = 0; i < 3; ++i)
        health.addStats(stats(100 * i, i), t0 + 1000 * i);
    QCOMPARE(health.bufferDepth()->pointCount(), 3);
    QCOMPARE(health.bufferDepth()->series()->count(), 0);
    health.show();
    QCOMPARE(health.bufferDepth()->series()->count(), 3); // caught up once
    health.setPaused(true);
    health.addStats(stats(400, 9), t0 + 4000);
    QCOMPARE(health.bufferDepth()->series()->count(), 3);
    health.setPaused(false);
    QCOMPARE(health.bufferDepth()->series()->count(), 4);
}

QTEST_MAIN(TestUiHealthCharts)
#include "tst_ui_healthcharts.moc"
