// A new user's first minutes: "Create a sample poll" while the server has no polls
// (a real poll whose votes arrive within seconds), and the window layout and the last
// connection coming back on the next start.
#include "httpclient.h"
#include "liveclient.h"
#include "mainwindow.h"
#include "polllistmodel.h"
#include "pollsview.h"
#include "samplepoll.h"
#include "tallyprocess.h"
#include "testkit.h"
#include "uitestsupport.h"

#include <QAction>
#include <QDeadlineTimer>
#include <QDockWidget>
#include <QSettings>
#include <QSignalSpy>
#include <QSplitter>
#include <QTest>

namespace {
using TestKit::waitFor;
} // namespace

class TestUiFirstRun : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { UiTest::isolateSettings(); }
    void init() { QSettings().clear(); }
    void samplePollIsOfferedWhileThereAreNoPolls();
    void layoutAndConnectionAreRestored();
};

void TestUiFirstRun::samplePollIsOfferedWhileThereAreNoPolls()
{
    TallyProcess server;
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient http(server.url());
    UiTest::createPoll(http, QStringLiteral("first"), QStringLiteral("Someone's own poll"),
                       {QStringLiteral("Yes"), QStringLiteral("No")});

    MainWindow window;
    window.show();
    window.connectTo(server.url());
    QAction *sample = window.samplePollAction();
    QVERIFY(waitFor([&] { return window.pollModel()->rowCount() == 1; }));
    QVERIFY(!sample->isVisible()); // the server has a poll

    QCOMPARE(http.del(QStringLiteral("/api/v1/polls/first")).status, 204);
    QVERIFY(waitFor([&] { return window.pollModel()->rowCount() == 0; }));
    QVERIFY(waitFor([&] { return sample->isVisible(); }));
    QCOMPARE(sample->text(), QStringLiteral("Create a &sample poll"));

    sample->trigger();
    QVERIFY(waitFor([&] { return window.pollsView()->selectedPollId() == u"sample"; }));
    const HttpResponse poll = http.get(QStringLiteral("/api/v1/polls/sample"));
    QCOMPARE(poll.status, 200);
    QCOMPARE(poll.json.value(QStringLiteral("question")).toString(),
             QStringLiteral("Sample poll: which fruit do you like best?"));
    QCOMPARE(poll.json.value(QStringLiteral("theme")).toString(), QStringLiteral("sample"));
    QVERIFY(waitFor([&] { return !sample->isVisible(); }));

    // Votes arrive within seconds and the console shows them.
    const qint64 expected = SamplePoll::Rounds * SamplePoll::VotesPerRound;
    QVERIFY(
        waitFor([&] { return UiTest::serverTotal(http, QStringLiteral("sample")) == expected; }));
    QVERIFY(
        waitFor([&] { return window.pollModel()->totalOf(QStringLiteral("sample")) == expected; }));
    const QMap<QString, qint64> counts = UiTest::serverResults(http, QStringLiteral("sample"));
    QCOMPARE(UiTest::describe(counts), QStringLiteral("A=80 B=60 C=40 D=20"));

    // Another sample does not replace the first: it takes the next free id.
    SamplePoll second(window.client());
    QSignalSpy created(&second, &SamplePoll::created);
    second.create();
    QVERIFY(waitFor([&] { return created.count() == 1; }));
    QCOMPARE(second.pollId(), QStringLiteral("sample-2"));
    QCOMPARE(created.at(0).at(0).toJsonObject().value(QStringLiteral("id")).toString(),
             QStringLiteral("sample-2"));
}

void TestUiFirstRun::layoutAndConnectionAreRestored()
{
    TallyProcess server;
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QList<int> sizes;
    {
        MainWindow window;
        window.setGeometry(0, 0, 1280, 800);
        window.show();
        QVERIFY(QTest::qWaitForWindowExposed(&window));
        window.connectTo(server.url());
        auto *shards = window.findChild<QDockWidget *>(QStringLiteral("shardsDock"));
        auto *health = window.findChild<QDockWidget *>(QStringLiteral("healthDock"));
        auto *polls = window.findChild<QDockWidget *>(QStringLiteral("pollsDock"));
        window.tabifyDockWidget(polls, shards);
        shards->raise(); // the Shards tab selected
        health->hide();
        auto *splitter = window.findChild<QSplitter *>(QStringLiteral("centralSplitter"));
        const int total = splitter->sizes().at(0) + splitter->sizes().at(1);
        splitter->setSizes({total - 300, 300});
        QCoreApplication::processEvents(); // the layout settles after the dock is hidden
        sizes = splitter->sizes();
        QVERIFY(qAbs(sizes.at(1) - 300) < 40);
        window.close();
    }
    QCOMPARE(MainWindow::lastConnection(), server.url());

    MainWindow window;
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    auto *shards = window.findChild<QDockWidget *>(QStringLiteral("shardsDock"));
    auto *health = window.findChild<QDockWidget *>(QStringLiteral("healthDock"));
    auto *polls = window.findChild<QDockWidget *>(QStringLiteral("pollsDock"));
    QCOMPARE(window.geometry().size(), QSize(1280, 800));
    QVERIFY(health->isHidden());
    QCOMPARE(window.tabifiedDockWidgets(polls), QList<QDockWidget *>{shards});
    QVERIFY(!shards->visibleRegion().isEmpty()); // its tab is the selected one
    QVERIFY(polls->visibleRegion().isEmpty());
    // The vote caster keeps its height; the chart takes what the hidden dock left.
    QCOMPARE(window.findChild<QSplitter *>(QStringLiteral("centralSplitter"))->sizes().at(1),
             sizes.at(1));
}

QTEST_MAIN(TestUiFirstRun)
#include "tst_ui_firstrun.moc"
