// Console pieces that need no server: validation in the dialogs, the chart's
// in-place updates, rates, the shard table and the poll model (the health charts:
// tst_ui_healthcharts).
#include "connectdialog.h"
#include "createpolldialog.h"
#include "elidedlabel.h"
#include "healthcharts.h"
#include "liveclient.h"
#include "mainwindow.h"
#include "pollactions.h"
#include "polllistmodel.h"
#include "pollsview.h"
#include "ratemeter.h"
#include "resultschart.h"
#include "resultspanel.h"
#include "serverclient.h"
#include "shardview.h"
#include "timeserieschart.h"
#include "uitestsupport.h"
#include "uitext.h"
#include "votecaster.h"

#include <QAbstractAxis>
#include <QAction>
#include <QApplication>
#include <QAreaSeries>
#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeAxis>
#include <QLabel>
#include <QLineEdit>
#include <QLineSeries>
#include <QLocale>
#include <QPieSeries>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableWidget>
#include <QTcpServer>
#include <QTest>
#include <QTimer>
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
    void shardViewMergesRingAndStats();
    void pollModelKeepsRowsAcrossRefreshes();
    void unreachableServerMeansReconnecting();
    void shardOwnerIconIsMadeOnce();
    void resultsRateStartsOverAfterAnOutage();
    void minimisedWindowStopsItsTimers();
    void layoutFollowsALargeFont();
    void pluralsReadRight();

private:
    static QJsonObject stats(qint64 requests, qint64 depth)
    {
        return UiTest::statsReading(requests, depth);
    }
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
    TimeSeriesChart series(QStringLiteral("x"), [](double v) { return QString::number(v); });
    series.setPalette(dark);
    QCOMPARE(series.chart()->backgroundBrush().color(), QColor(30, 30, 30));
}

void TestUiWidgets::shardViewMergesRingAndStats()
{
    ShardView view;
    view.show(); // a hidden view only records (see shardOwnerIconIsMadeOnce)
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

    // A rebalance's progress shows under the table while one runs or ran.
    QVERIFY(view.rebalanceLabel()->isHidden());
    view.setStats(
        QJsonDocument::fromJson(
            R"({"shards":[],"rebalance":{"state":"running","polls_to_move":40,"polls_moved":12,"polls_failed":0}})")
            .object());
    QVERIFY(!view.rebalanceLabel()->isHidden());
    QCOMPARE(view.rebalanceLabel()->text(),
             QStringLiteral("Moving polls to their ring shards: 12 of 40 moved"));
    view.setStats(
        QJsonDocument::fromJson(
            R"({"shards":[],"rebalance":{"state":"failed","polls_to_move":40,"polls_moved":38,"polls_failed":2,"last_error":"copy to c: no answer"}})")
            .object());
    QCOMPARE(
        view.rebalanceLabel()->text(),
        QStringLiteral("Moving polls stopped: 38 of 40 moved, 2 failed (copy to c: no answer)"));
    view.setStats(
        QJsonDocument::fromJson(
            R"({"shards":[],"rebalance":{"state":"idle","polls_to_move":0,"polls_moved":0,"polls_failed":0}})")
            .object());
    QVERIFY(view.rebalanceLabel()->isHidden());
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

void TestUiWidgets::shardOwnerIconIsMadeOnce()
{
    ShardView view;
    view.show();
    const QJsonObject ring = QJsonDocument::fromJson(R"({"nodes":[
        {"name":"a","kind":"embedded","address":"a.db","state":"up","share":1.0,"polls":1}]})")
                                 .object();
    const QJsonObject stats = QJsonDocument::fromJson(R"({"shards":[
        {"name":"a","kind":"embedded","address":"a.db","state":"up","polls":1,"votes":3}]})")
                                  .object();
    view.setRing(ring);
    view.setSelectedPoll(QStringLiteral("Q?"), QStringLiteral("a"));
    view.setStats(stats);
    QTableWidgetItem *name = view.table()->item(view.rowOf(QStringLiteral("a")), 0);
    const qint64 icon = name->icon().cacheKey();
    QVERIFY(!name->icon().isNull());
    // Stats come twice a second: the same icon every time, not a new one.
    for (int i = 0; i < 20; ++i)
        view.setStats(stats);
    QCOMPARE(name->icon().cacheKey(), icon);
    // Hidden, the table is not touched; shown again, it catches up.
    view.hide();
    QJsonObject more = stats;
    more[QStringLiteral("shards")] =
        QJsonDocument::fromJson(
            R"([{"name":"a","kind":"embedded","address":"a.db","state":"up","polls":1,"votes":9}])")
            .array();
    view.setStats(more);
    QCOMPARE(view.table()->item(0, ShardView::VotesColumn)->text(), QStringLiteral("3"));
    view.show();
    QCOMPARE(view.table()->item(0, ShardView::VotesColumn)->text(), QStringLiteral("9"));
}

void TestUiWidgets::resultsRateStartsOverAfterAnOutage()
{
    ResultsPanel panel;
    panel.show();
    PollInfo poll;
    poll.id = QStringLiteral("p");
    poll.status = QStringLiteral("open");
    poll.options = {{QStringLiteral("A"), QStringLiteral("Yes")}};
    panel.setPoll(poll);
    panel.setResults({{QStringLiteral("A"), 10}}, 10);
    panel.setOutage(true);
    QCOMPARE(panel.rateLabel()->text(), QStringLiteral("– votes/s (no connection)"));
    QTest::qWait(600); // the rate timer's tick would add a reading here
    panel.setOutage(false);
    // 1,000 votes counted while the console could not see them: no rate of the moment.
    panel.setResults({{QStringLiteral("A"), 1010}}, 1010);
    QCOMPARE(panel.votesPerSecond(), 0.0);
    QCOMPARE(panel.totalLabel()->text(),
             QStringLiteral("Total: %1 votes").arg(QLocale().toString(1010)));
}

void TestUiWidgets::minimisedWindowStopsItsTimers()
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost));
    const quint16 port = probe.serverPort();
    probe.close();
    MainWindow window;
    window.show();
    window.connectTo(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(port)));
    QTRY_COMPARE_WITH_TIMEOUT(window.liveClient()->state(), LiveClient::State::Reconnecting, 10000);
    // Timers that only redraw: the status countdown, the rate, the health axes.
    const auto drawingTimers = [&window] {
        int active = 0;
        for (QObject *owner :
             {static_cast<QObject *>(&window), static_cast<QObject *>(window.resultsPanel()),
              static_cast<QObject *>(window.healthCharts())}) {
            for (QTimer *timer : owner->findChildren<QTimer *>(Qt::FindDirectChildrenOnly))
                active += timer->isActive() ? 1 : 0;
        }
        return active;
    };
    QVERIFY(drawingTimers() > 0);
    window.setWindowState(Qt::WindowMinimized);
    QTRY_COMPARE(drawingTimers(), 0);
    QVERIFY(!window.healthCharts()->bufferDepth()->isRendering());
    window.setWindowState(Qt::WindowNoState);
    QTRY_VERIFY(drawingTimers() > 0);
    QVERIFY(window.healthCharts()->bufferDepth()->isRendering());
}

void TestUiWidgets::layoutFollowsALargeFont()
{
    // 144 DPI: text half again as large as at 96 DPI.
    const QFont normal = QApplication::font();
    QFont large = normal;
    large.setPointSizeF(normal.pointSizeF() * 1.5);
    QApplication::setFont(large);
    {
        MainWindow window;
        window.pollModel()->setPolls(QJsonArray{QJsonObject{
            {QStringLiteral("id"), QStringLiteral("big")},
            {QStringLiteral("question"), QStringLiteral("Readable at 144 DPI?")},
            {QStringLiteral("theme"), QStringLiteral("display")},
            {QStringLiteral("status"), QStringLiteral("open")},
            {QStringLiteral("shard"), QStringLiteral("shard-0")},
            {QStringLiteral("options"),
             QJsonArray{QJsonObject{{QStringLiteral("id"), QStringLiteral("A")},
                                    {QStringLiteral("text"), QStringLiteral("Yes")}},
                        QJsonObject{{QStringLiteral("id"), QStringLiteral("B")},
                                    {QStringLiteral("text"), QStringLiteral("No")}}}}}});
        window.resize(1280, 800);
        window.show();
        window.pollsView()->selectPoll(QStringLiteral("big"));
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        window.healthCharts()->addStats(stats(1000, 150), now - 1000);
        window.healthCharts()->addStats(stats(2500, 150), now);
        QTest::qWait(50);
        const QSize minimum = window.minimumSizeHint();
        QVERIFY2(minimum.width() <= 1280 && minimum.height() <= 800,
                 qPrintable(QStringLiteral("%1x%2").arg(minimum.width()).arg(minimum.height())));
        QCOMPARE(window.size(), QSize(1280, 800));
        // Health titles are not cut.
        for (TimeSeriesChart *chart : window.healthCharts()->charts()) {
            if (chart->isHidden())
                continue;
            QFont bold = chart->font();
            bold.setBold(true);
            const int needed = QFontMetrics(bold).horizontalAdvance(chart->titleText());
            QVERIFY2(needed <= chart->width() - 12, qPrintable(QStringLiteral("%1: %2 px in %3 px")
                                                                   .arg(chart->titleText())
                                                                   .arg(needed)
                                                                   .arg(chart->width())));
        }
        // The option buttons show their text.
        QPushButton *yes = window.voteCaster()->optionButton(QStringLiteral("A"));
        QVERIFY(yes);
        QCOMPARE(yes->text(), QStringLiteral("A · Yes"));
    }
    QApplication::setFont(normal);
}

void TestUiWidgets::pluralsReadRight()
{
    QCOMPARE(UiText::plural(QStringLiteral("Total: 1 vote(s)"), 1),
             QStringLiteral("Total: 1 vote"));
    QCOMPARE(UiText::plural(QStringLiteral("Total: 0 vote(s)"), 0),
             QStringLiteral("Total: 0 votes"));
    QCOMPARE(UiText::plural(QStringLiteral("2 batch(es) queued"), 2),
             QStringLiteral("2 batches queued"));
    ShardView view;
    view.show();
    view.setStats(QJsonDocument::fromJson(R"({"shards":[
        {"name":"a","kind":"redis","address":"x","state":"up","polls":0,"votes":0,"queued_batches":1}]})")
                      .object());
    QCOMPARE(view.table()->item(0, ShardView::StateColumn)->text(),
             QStringLiteral("up, 1 batch queued"));
}

QTEST_MAIN(TestUiWidgets)
#include "tst_ui_widgets.moc"
