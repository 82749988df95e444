// Console pieces that need no server: validation in the dialogs, the chart's
// in-place updates, rates, health series, the shard table and the poll model.
#include "connectdialog.h"
#include "createpolldialog.h"
#include "healthcharts.h"
#include "liveclient.h"
#include "mainwindow.h"
#include "pollactions.h"
#include "polllistmodel.h"
#include "ratemeter.h"
#include "resultschart.h"
#include "serverclient.h"
#include "shardview.h"
#include "timeserieschart.h"
#include "uitestsupport.h"

#include <QAbstractAxis>
#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QLocale>
#include <QPieSeries>
#include <QPushButton>
#include <QTableWidget>
#include <QTcpServer>
#include <QTest>
#include <QToolButton>

class TestUiWidgets : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { UiTest::isolateSettings(); }

    void rateMeterMeasuresGrowthPerSecond();
    void rateMeterStartsOverWhenTheCounterDrops();
    void connectDialogParsesUrls_data();
    void connectDialogParsesUrls();
    void createDialogMirrorsServerRules();
    void createDialogLimitsOptionCount();
    void createDialogBuildsTheRequest();
    void resultsChartUpdatesInPlace();
    void chartsFollowThePalette();
    void healthChartsDeriveRequestRate();
    void healthChartsFindSocketClients();
    void shardViewMergesRingAndStats();
    void pollModelKeepsRowsAcrossRefreshes();
    void unreachableServerMeansReconnecting();
};

void TestUiWidgets::rateMeterMeasuresGrowthPerSecond()
{
    RateMeter meter(3000);
    QCOMPARE(meter.rate(), 0.0);
    meter.add(100, 0);
    meter.add(150, 500);
    meter.add(300, 1000);
    QCOMPARE(meter.rate(), 200.0);
    // Readings older than the window drop out (one is kept to cover it).
    meter.add(300, 5000);
    meter.add(300, 6000);
    QCOMPARE(meter.rate(), 0.0);
}

void TestUiWidgets::rateMeterStartsOverWhenTheCounterDrops()
{
    RateMeter meter;
    meter.add(1000, 0);
    meter.add(1100, 1000);
    meter.add(5, 2000); // a restarted server
    QCOMPARE(meter.rate(), 0.0);
    meter.add(25, 3000);
    QCOMPARE(meter.rate(), 20.0);
}

void TestUiWidgets::connectDialogParsesUrls_data()
{
    QTest::addColumn<QString>("text");
    QTest::addColumn<QString>("expected");
    QTest::newRow("full") << "http://10.0.0.5:8000"
                          << "http://10.0.0.5:8000";
    QTest::newRow("no scheme") << "127.0.0.1:8000"
                               << "http://127.0.0.1:8000";
    QTest::newRow("https and path") << " https://polls.example.org/tally "
                                    << "https://polls.example.org/tally";
    QTest::newRow("empty") << ""
                           << "";
    QTest::newRow("other scheme") << "ftp://host"
                                  << "";
    QTest::newRow("no host") << "http://"
                             << "";
}

void TestUiWidgets::connectDialogParsesUrls()
{
    QFETCH(QString, text);
    QFETCH(QString, expected);
    QCOMPARE(ConnectDialog::parseUrl(text).toString(), expected);
}

void TestUiWidgets::createDialogMirrorsServerRules()
{
    ServerClient client;
    client.setBaseUrl(QUrl(QStringLiteral("http://127.0.0.1:9"))); // nothing listens there
    CreatePollDialog dialog(&client);
    dialog.show();
    QVERIFY(!dialog.createButton()->isEnabled());
    QVERIFY(dialog.shownMessages().isEmpty()); // nothing typed: nothing to blame yet

    QTest::keyClicks(dialog.questionEdit(), QStringLiteral("Best snack?"));
    dialog.optionEdits()[0]->setText(QStringLiteral("Pizza"));
    dialog.optionEdits()[1]->setText(QStringLiteral("Tacos"));
    QVERIFY(dialog.problems().isEmpty());
    QVERIFY(dialog.createButton()->isEnabled());

    // Options are compared trimmed and case-folded, like the server does.
    dialog.optionEdits()[1]->clear();
    QTest::keyClicks(dialog.optionEdits()[1], QStringLiteral(" pizza "));
    QCOMPARE(dialog.problems(), QStringList{QStringLiteral(
                                    "Option B repeats an earlier option; options must differ.")});
    QCOMPARE(dialog.shownMessages(), dialog.problems());
    QVERIFY(!dialog.createButton()->isEnabled());

    dialog.optionEdits()[1]->setText(QString(201, u'x'));
    QCOMPARE(dialog.problems(),
             QStringList{QStringLiteral("Option B has 201 characters; at most 200 are allowed.")});
    dialog.optionEdits()[1]->setText(QString(200, u'x'));
    QVERIFY(dialog.problems().isEmpty());

    dialog.questionEdit()->setText(QString(501, u'q'));
    QCOMPARE(dialog.problems(), QStringList{QStringLiteral(
                                    "The question has 501 characters; at most 500 are allowed.")});
    dialog.questionEdit()->setText(QStringLiteral("   "));
    QCOMPARE(dialog.problems(), QStringList{QStringLiteral("Write the question.")});
    dialog.questionEdit()->setText(QString(500, u'q'));
    QVERIFY(dialog.problems().isEmpty());

    dialog.themeBox()->setEditText(QString(65, u't'));
    QCOMPARE(dialog.problems(),
             QStringList{QStringLiteral("The theme has 65 characters; at most 64 are allowed.")});
    dialog.themeBox()->setEditText(QStringLiteral("food"));

    dialog.idEdit()->setText(QStringLiteral("no spaces"));
    QCOMPARE(dialog.problems(),
             QStringList{
                 QStringLiteral("An id uses 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'.")});
    dialog.idEdit()->setText(QString(65, u'a'));
    QCOMPARE(dialog.problems().size(), 1);
    dialog.idEdit()->setText(QStringLiteral("snack_2024-x"));
    QVERIFY(dialog.problems().isEmpty());

    // An empty option blocks creation; on a create attempt it is pointed at.
    dialog.addOption();
    QVERIFY(!dialog.createButton()->isEnabled());
    QVERIFY(dialog.shownMessages().isEmpty());
    dialog.accept();
    QVERIFY(dialog.isVisible());
    QCOMPARE(dialog.shownMessages(),
             QStringList{QStringLiteral("Option C is empty: fill it in or remove it.")});
}

void TestUiWidgets::createDialogLimitsOptionCount()
{
    ServerClient client;
    client.setBaseUrl(QUrl(QStringLiteral("http://127.0.0.1:9")));
    CreatePollDialog dialog(&client);
    QCOMPARE(dialog.optionEdits().size(), 2);
    QVERIFY(!dialog.removeButton(0)->isEnabled());
    QVERIFY(!dialog.removeButton(1)->isEnabled());
    for (int i = 0; i < 12; ++i)
        dialog.addOptionButton()->click();
    QCOMPARE(dialog.optionEdits().size(), 10);
    QVERIFY(!dialog.addOptionButton()->isEnabled());
    QVERIFY(dialog.removeButton(9)->isEnabled());
    dialog.removeButton(9)->click();
    QCOMPARE(dialog.optionEdits().size(), 9);
    QVERIFY(dialog.addOptionButton()->isEnabled());
    for (int i = 0; i < 10; ++i)
        dialog.removeOption(0);
    QCOMPARE(dialog.optionEdits().size(), 2);
}

void TestUiWidgets::createDialogBuildsTheRequest()
{
    ServerClient client;
    client.setBaseUrl(QUrl(QStringLiteral("http://127.0.0.1:9")));
    CreatePollDialog dialog(&client);
    dialog.questionEdit()->setText(QStringLiteral("  Best snack?  "));
    dialog.themeBox()->setEditText(QStringLiteral(" food "));
    dialog.optionEdits()[0]->setText(QStringLiteral(" Pizza"));
    dialog.optionEdits()[1]->setText(QStringLiteral("Tacos "));
    dialog.oneVoteBox()->setChecked(true);
    const QJsonObject expected{
        {QStringLiteral("question"), QStringLiteral("Best snack?")},
        {QStringLiteral("theme"), QStringLiteral("food")},
        {QStringLiteral("options"), QJsonArray{QStringLiteral("Pizza"), QStringLiteral("Tacos")}},
        {QStringLiteral("one_vote_per_voter"), true}};
    QCOMPARE(dialog.requestBody(), expected);
    dialog.themeBox()->setEditText(QString());
    dialog.idEdit()->setText(QStringLiteral("s1"));
    QJsonObject withId = expected;
    withId.remove(QStringLiteral("theme")); // the server's default, "general"
    withId.insert(QStringLiteral("id"), QStringLiteral("s1"));
    QCOMPARE(dialog.requestBody(), withId);
}

void TestUiWidgets::resultsChartUpdatesInPlace()
{
    ResultsChart chart;
    chart.resize(600, 300);
    chart.show();
    PollInfo poll;
    poll.id = QStringLiteral("p");
    poll.options = {{QStringLiteral("A"), QStringLiteral("Pizza")},
                    {QStringLiteral("B"), QStringLiteral("Tacos")},
                    {QStringLiteral("C"), QStringLiteral("Soup")}};
    chart.setPoll(poll);
    QCOMPARE(chart.categories(), (QStringList{QStringLiteral("Pizza"), QStringLiteral("Tacos"),
                                              QStringLiteral("Soup")}));
    QCOMPARE(chart.rebuilds(), 1);

    chart.setResults({{QStringLiteral("A"), 3}, {QStringLiteral("B"), 1}, {QStringLiteral("C"), 0}},
                     4);
    QMap<QString, qint64> expected{
        {QStringLiteral("A"), 3}, {QStringLiteral("B"), 1}, {QStringLiteral("C"), 0}};
    QCOMPARE(chart.values(), expected);
    QCOMPARE(chart.labelText(QStringLiteral("A")), QStringLiteral("3 · 75.0%"));
    QCOMPARE(chart.labelText(QStringLiteral("C")), QStringLiteral("0 · 0.0%"));

    for (int i = 1; i <= 50; ++i)
        chart.setResults(
            {{QStringLiteral("A"), 3 + i}, {QStringLiteral("B"), 1}, {QStringLiteral("C"), i}},
            4 + 2 * i);
    expected = {{QStringLiteral("A"), 53}, {QStringLiteral("B"), 1}, {QStringLiteral("C"), 50}};
    QCOMPARE(chart.values(), expected);
    QCOMPARE(chart.rebuilds(), 1); // values changed in place, no rebuild
    chart.setPoll(poll);           // the same poll again: nothing to rebuild
    QCOMPARE(chart.rebuilds(), 1);
    QCOMPARE(chart.values(), expected);
}

void TestUiWidgets::chartsFollowThePalette()
{
    ResultsChart chart;
    QPalette dark = chart.palette();
    dark.setColor(QPalette::Base, QColor(30, 30, 30));
    dark.setColor(QPalette::Window, QColor(45, 45, 45));
    dark.setColor(QPalette::WindowText, QColor(230, 230, 230));
    dark.setColor(QPalette::Highlight, QColor(60, 120, 200));
    chart.setPalette(dark);
    QCOMPARE(chart.chart()->backgroundBrush().color(), QColor(30, 30, 30));
    QCOMPARE(chart.chart()->titleBrush().color(), QColor(230, 230, 230));
    for (QAbstractAxis *axis : chart.chart()->axes())
        QCOMPARE(axis->labelsColor(), QColor(230, 230, 230));
    TimeSeriesChart series(QStringLiteral("x"), QStringLiteral("%1"), 0);
    series.setPalette(dark);
    QCOMPARE(series.chart()->backgroundBrush().color(), QColor(30, 30, 30));
}

void TestUiWidgets::healthChartsDeriveRequestRate()
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

void TestUiWidgets::healthChartsFindSocketClients()
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

void TestUiWidgets::shardViewMergesRingAndStats()
{
    ShardView view;
    view.setRing(QJsonDocument::fromJson(R"({"nodes":[
        {"name":"b","kind":"redis","address":"10.0.0.2:6379","state":"up","share":0.25,"polls":1},
        {"name":"a","kind":"redis","address":"10.0.0.1:6379","state":"up","share":0.75,"polls":3}]})")
                     .object());
    view.setStats(QJsonDocument::fromJson(R"({"shards":[
        {"name":"a","kind":"redis","address":"10.0.0.1:6379","state":"up","polls":3,"votes":1200,"queued_batches":0},
        {"name":"b","kind":"redis","address":"10.0.0.2:6379","state":"down","polls":1,"votes":7,"queued_batches":2}]})")
                      .object());
    QTableWidget *table = view.table();
    QCOMPARE(table->rowCount(), 2);
    const int a = view.rowOf(QStringLiteral("a"));
    const int b = view.rowOf(QStringLiteral("b"));
    QCOMPARE(table->item(a, ShardView::ShareColumn)->text(), QStringLiteral("75.0%"));
    QCOMPARE(table->item(a, ShardView::VotesColumn)->text(), QLocale().toString(qint64(1200)));
    QCOMPARE(table->item(b, ShardView::StateColumn)->text(),
             QStringLiteral("down, 2 batches queued"));
    QCOMPARE(table->item(b, ShardView::PollsColumn)->text(), QStringLiteral("1"));
    QCOMPARE(view.pie()->count(), 2);
    view.setSelectedPoll(QStringLiteral("Best snack?"), QStringLiteral("b"));
    QVERIFY(table->item(b, ShardView::NameColumn)->font().bold());
    QVERIFY(!table->item(a, ShardView::NameColumn)->font().bold());
    QCOMPARE(view.ownerLabel()->text(), QStringLiteral("“Best snack?” is stored on b."));
}

void TestUiWidgets::pollModelKeepsRowsAcrossRefreshes()
{
    PollListModel model;
    const auto poll = [](const QString &id, const QString &status) {
        return QJsonObject{{QStringLiteral("id"), id},
                           {QStringLiteral("question"), QStringLiteral("Q ") + id},
                           {QStringLiteral("theme"), QStringLiteral("t")},
                           {QStringLiteral("status"), status}};
    };
    model.setPolls({poll(QStringLiteral("1"), QStringLiteral("open")),
                    poll(QStringLiteral("2"), QStringLiteral("open"))});
    model.setTotal(QStringLiteral("2"), 42);
    int resets = 0;
    connect(&model, &QAbstractItemModel::modelReset, this, [&resets] { ++resets; });
    model.setPolls({poll(QStringLiteral("2"), QStringLiteral("closed")),
                    poll(QStringLiteral("3"), QStringLiteral("open"))});
    QCOMPARE(resets, 0);
    QCOMPARE(model.ids(), (QStringList{QStringLiteral("2"), QStringLiteral("3")}));
    QCOMPARE(model.totalOf(QStringLiteral("2")), 42);
    QCOMPARE(model.index(0, PollListModel::StatusColumn).data().toString(),
             QStringLiteral("closed"));
    QCOMPARE(model.index(0, PollListModel::VotesColumn).data().toString(), QStringLiteral("42"));
    QCOMPARE(model.index(1, PollListModel::VotesColumn).data().toString(), QStringLiteral("–"));
}

void TestUiWidgets::unreachableServerMeansReconnecting()
{
    // A port that was free a moment ago: connections are refused.
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    const quint16 port = probe.serverPort();
    probe.close();
    MainWindow window;
    window.connectTo(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)));
    QTRY_COMPARE_WITH_TIMEOUT(window.liveClient()->state(), LiveClient::State::Reconnecting, 10000);
    QVERIFY2(window.connectionText().startsWith(
                 QStringLiteral("Reconnecting to http://127.0.0.1:%1 in").arg(port)),
             qPrintable(window.connectionText()));
    // Backoff: attempts keep coming, further apart.
    QTRY_VERIFY_WITH_TIMEOUT(window.liveClient()->attempt() >= 3, 10000);
    QVERIFY(window.liveClient()->retryInMs() <= LiveClient::MaxProbeDelayMs);
    QVERIFY(!window.pollActions()->newPoll()->isEnabled());
}

QTEST_MAIN(TestUiWidgets)
#include "tst_ui_widgets.moc"
