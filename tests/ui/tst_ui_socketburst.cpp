// The vote caster's WebSocket bursts against a real server: exact counts over weights, a
// window of unacknowledged votes that is filled and never passed, multiple-choice votes
// from fresh voters, cancel, the socket closing mid-burst, and votes the server asks to
// send again later.
#include "resultschart.h"
#include "resultspanel.h"
#include "tallyprocess.h"
#include "tcpproxy.h"
#include "uitestsupport.h"
#include "voteburst.h"
#include "votecaster.h"

#include <QComboBox>
#include <QLabel>
#include <QPushButton>
#include <QScopeGuard>
#include <QSignalSpy>
#include <QSpinBox>
#include <QThread>

#include <csignal>
#include <memory>

class TestUiSocketBurst : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void cleanup();

    void windowFollowsTheRate();
    void burstIsExactOverWeights();
    void windowIsFilledAndNeverPassed();
    void multipleChoiceVotesFromFreshVoters();
    void cancelledBurstCountsWhatWasSent();
    void socketClosingFailsTheBurst();
    void rateLimitedVotesAreSentAgain();

private:
    // A console connected to `url` with its WebSocket open and `pollId` selected.
    static std::unique_ptr<MainWindow> openConsole(const QUrl &url, const QString &pollId);
    static bool startBurst(MainWindow &window, int count, int rate, const QList<int> &weights);
    void createPoll(const QString &id, const QJsonObject &extra = {});

    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<HttpClient> m_http;
    std::unique_ptr<MainWindow> m_window;
};

namespace {
const QStringList Options{QStringLiteral("A"), QStringLiteral("B"), QStringLiteral("C")};

QMap<QString, qint64> asCounts(const QMap<QString, int> &perOption)
{
    QMap<QString, qint64> counts;
    for (const QString &id : Options)
        counts.insert(id, perOption.value(id));
    return counts;
}
} // namespace

void TestUiSocketBurst::initTestCase()
{
    UiTest::isolateSettings();
    m_server = std::make_unique<TallyProcess>(
        QStringList{QStringLiteral("--batch-interval"), QStringLiteral("0.2")});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_http = std::make_unique<HttpClient>(m_server->url());
    for (const char *id : {"weights", "window", "cancel", "cut"})
        createPoll(QLatin1String(id));
    m_window = openConsole(m_server->url(), QStringLiteral("weights"));
    QVERIFY(m_window);
}

void TestUiSocketBurst::cleanupTestCase()
{
    m_window.reset();
    m_http.reset();
    if (m_server)
        QCOMPARE(m_server->stop(), 0);
}

void TestUiSocketBurst::cleanup()
{
    // A test that failed mid-burst leaves the next one a console that can start one.
    if (m_window)
        m_window->voteCaster()->burst()->cancel();
}

void TestUiSocketBurst::createPoll(const QString &id, const QJsonObject &extra)
{
    QJsonObject body{
        {QStringLiteral("id"), id},
        {QStringLiteral("question"), QStringLiteral("Poll %1?").arg(id)},
        {QStringLiteral("options"),
         QJsonArray{QStringLiteral("One"), QStringLiteral("Two"), QStringLiteral("Three")}}};
    for (auto it = extra.begin(); it != extra.end(); ++it)
        body.insert(it.key(), it.value());
    const HttpResponse response = m_http->postJson(QStringLiteral("/api/v1/polls"), body);
    QVERIFY2(response.status == 201, qPrintable(response.describe()));
}

std::unique_ptr<MainWindow> TestUiSocketBurst::openConsole(const QUrl &url, const QString &pollId)
{
    auto window = std::make_unique<MainWindow>();
    window->resize(1280, 800);
    window->show();
    window->connectTo(url);
    QDeadlineTimer deadline(15000);
    while (!window->liveClient()->socketLive() && !deadline.hasExpired())
        QTest::qWait(20);
    if (!window->liveClient()->socketLive() || !UiTest::selectPoll(*window, pollId)) {
        qWarning("the console did not come up live on %s with poll %s: %s",
                 qPrintable(url.toString()), qPrintable(pollId),
                 qPrintable(window->connectionText()));
        return {};
    }
    return window;
}

bool TestUiSocketBurst::startBurst(MainWindow &window, int count, int rate,
                                   const QList<int> &weights)
{
    VoteCaster *caster = window.voteCaster();
    caster->countBox()->setValue(count);
    caster->rateBox()->setValue(rate);
    QComboBox *transport = caster->transportBox();
    transport->setCurrentIndex(transport->findData(int(VoteBurst::Transport::WebSocket)));
    if (transport->currentData().toInt() != int(VoteBurst::Transport::WebSocket))
        return false;
    for (int i = 0; i < weights.size(); ++i)
        caster->weightBox(Options.at(i))->setValue(weights.at(i));
    QTest::mouseClick(caster->startButton(), Qt::LeftButton);
    return caster->burst()->isRunning();
}

void TestUiSocketBurst::windowFollowsTheRate()
{
    // 250 ms of the rate, at least 500 and at most 10,000 unacknowledged votes.
    QCOMPARE(VoteBurst::socketWindowFor(1), 500);
    QCOMPARE(VoteBurst::socketWindowFor(2000), 500);
    QCOMPARE(VoteBurst::socketWindowFor(8000), 2000);
    QCOMPARE(VoteBurst::socketWindowFor(20000), 5000);
    QCOMPARE(VoteBurst::socketWindowFor(50000), 10000);
    QCOMPARE(VoteBurst::socketWindowFor(1000000), 10000);
    // Twice a 20 ms tick's share, at least 500 votes in one tick.
    QCOMPARE(VoteBurst::socketVotesPerTickFor(1000), 500);
    QCOMPARE(VoteBurst::socketVotesPerTickFor(20000), 800);
    QCOMPARE(VoteBurst::socketVotesPerTickFor(50000), 2000);
}

void TestUiSocketBurst::burstIsExactOverWeights()
{
    VoteBurst *burst = m_window->voteCaster()->burst();
    QVERIFY(startBurst(*m_window, 20000, 20000, {5, 3, 2}));
    QCOMPARE(burst->socketWindow(), 5000);
    QTRY_VERIFY_WITH_TIMEOUT(!burst->isRunning(), 60000);
    QCOMPARE(burst->errors(), 0);
    QCOMPARE(burst->accepted(), 20000);
    QCOMPARE(burst->retried(), 0);
    const QMap<QString, qint64> expected{
        {QStringLiteral("A"), 10000}, {QStringLiteral("B"), 6000}, {QStringLiteral("C"), 4000}};
    QCOMPARE(asCounts(burst->perOption()), expected);
    QCOMPARE(UiTest::serverResults(*m_http, QStringLiteral("weights")), expected);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->values(), expected, 10000);
    QVERIFY(m_window->voteCaster()->burstLabel()->text().startsWith(
        QStringLiteral("Sent 20,000 of 20,000 · accepted 20,000 · errors 0 · ")));
}

void TestUiSocketBurst::windowIsFilledAndNeverPassed()
{
    // With the server paused nothing is acknowledged: the burst sends exactly its window,
    // a bounded number of votes a tick, and then waits, however many votes are due.
    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("window")));
    QVERIFY(m_window->liveClient()->socketLive());
    VoteBurst *burst = m_window->voteCaster()->burst();
    const pid_t pid = pid_t(m_server->pid());
    QCOMPARE(::kill(pid, SIGSTOP), 0);
    auto resume = qScopeGuard([pid] { ::kill(pid, SIGCONT); });
    // The votes each tick sends (a tick ends with progressed()).
    int lastSent = 0;
    int mostInOneTick = 0;
    const QMetaObject::Connection ticks = connect(burst, &VoteBurst::progressed, this, [&] {
        mostInOneTick = qMax(mostInOneTick, burst->dispatched() - lastSent);
        lastSent = burst->dispatched();
    });
    auto disconnectTicks = qScopeGuard([ticks] { QObject::disconnect(ticks); });
    QVERIFY(startBurst(*m_window, 12000, 20000, {3, 2, 1}));
    // A GUI thread held up for 300 ms finds 6000 votes due at its next tick: that tick
    // sends twice its share (800), not the whole window.
    QThread::msleep(300);
    QTRY_COMPARE_WITH_TIMEOUT(burst->inFlight(), 5000, 10000);
    QCOMPARE(mostInOneTick, 800);
    QCOMPARE(burst->socketWindow(), 5000);
    // Every vote is due after 600 ms; still no more than the window went out.
    QTRY_VERIFY_WITH_TIMEOUT(burst->elapsedMs() > 700, 10000);
    QCOMPARE(burst->dispatched(), 5000);
    QCOMPARE(burst->inFlight(), 5000);
    QCOMPARE(burst->accepted(), 0);
    resume.dismiss();
    QCOMPARE(::kill(pid, SIGCONT), 0);
    QTRY_VERIFY_WITH_TIMEOUT(!burst->isRunning(), 60000);
    QCOMPARE(burst->errors(), 0);
    QCOMPARE(burst->accepted(), 12000);
    const QMap<QString, qint64> expected{
        {QStringLiteral("A"), 6000}, {QStringLiteral("B"), 4000}, {QStringLiteral("C"), 2000}};
    QCOMPARE(asCounts(burst->perOption()), expected);
    QCOMPARE(UiTest::serverResults(*m_http, QStringLiteral("window")), expected);
}

void TestUiSocketBurst::multipleChoiceVotesFromFreshVoters()
{
    createPoll(QStringLiteral("ballot"),
               {{QStringLiteral("one_vote_per_voter"), true}, {QStringLiteral("max_choices"), 2}});
    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("ballot")));
    VoteBurst *burst = m_window->voteCaster()->burst();
    QVERIFY(startBurst(*m_window, 40, 400, {1, 1, 1}));
    QVERIFY(burst->plan().uniqueVoters);
    QCOMPARE(burst->plan().maxChoices, 2);
    QTRY_VERIFY_WITH_TIMEOUT(!burst->isRunning(), 30000);
    QCOMPARE(burst->errors(), 0);
    QCOMPARE(burst->accepted(), 40);
    // One and two options in turn: 60 choices by 40 voters, each its own.
    const QJsonObject results = m_http->get(QStringLiteral("/api/v1/results/ballot")).json;
    QCOMPARE(results.value(QStringLiteral("total")).toInteger(), 60);
    QCOMPARE(results.value(QStringLiteral("voters")).toInteger(), 40);
    const QMap<QString, qint64> expected{
        {QStringLiteral("A"), 20}, {QStringLiteral("B"), 20}, {QStringLiteral("C"), 20}};
    QCOMPARE(asCounts(burst->perOption()), expected);
    QCOMPARE(UiTest::serverResults(*m_http, QStringLiteral("ballot")), expected);
}

void TestUiSocketBurst::cancelledBurstCountsWhatWasSent()
{
    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("cancel")));
    VoteCaster *caster = m_window->voteCaster();
    VoteBurst *burst = caster->burst();
    QSignalSpy finished(burst, &VoteBurst::finished);
    QVERIFY(startBurst(*m_window, 100000, 2000, {1, 1, 1}));
    QTRY_VERIFY_WITH_TIMEOUT(burst->accepted() >= 1000, 20000);
    QTest::mouseClick(caster->cancelButton(), Qt::LeftButton);
    QVERIFY(!burst->isRunning());
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(0).toBool(), true);
    const int sent = burst->dispatched();
    const int accepted = burst->accepted();
    QVERIFY(sent < 100000);
    QCOMPARE(burst->errors(), 0);
    QVERIFY(accepted <= sent);
    QCOMPARE(burst->inFlight(), 0);
    QVERIFY(caster->burstLabel()->text().endsWith(QStringLiteral(" — cancelled")));
    // Every vote sent is counted (those still unanswered at the cancel too), none of the
    // votes never sent, and the burst counts nothing more.
    QTRY_COMPARE_WITH_TIMEOUT(UiTest::serverTotal(*m_http, QStringLiteral("cancel")), qint64(sent),
                              10000);
    QCOMPARE(UiTest::serverResults(*m_http, QStringLiteral("cancel")),
             asCounts(burst->perOption()));
    QCOMPARE(burst->dispatched(), sent);
    QCOMPARE(burst->accepted(), accepted);
    QVERIFY(caster->startButton()->isEnabled());
}

void TestUiSocketBurst::socketClosingFailsTheBurst()
{
    // A console behind a proxy that then cuts every connection.
    TcpProxy proxy(m_server->port());
    QVERIFY(proxy.listen());
    std::unique_ptr<MainWindow> window = openConsole(
        QUrl(QStringLiteral("http://127.0.0.1:%1").arg(proxy.port())), QStringLiteral("cut"));
    QVERIFY(window);
    VoteBurst *burst = window->voteCaster()->burst();
    QSignalSpy finished(burst, &VoteBurst::finished);
    QVERIFY(startBurst(*window, 100000, 2000, {1, 1, 1}));
    QTRY_VERIFY_WITH_TIMEOUT(burst->accepted() >= 500, 20000);
    proxy.setCut(true);
    QTRY_VERIFY_WITH_TIMEOUT(!burst->isRunning(), 20000);
    QCOMPARE(finished.size(), 1);
    QCOMPARE(finished.at(0).at(0).toBool(), false); // failed, not cancelled
    QCOMPARE(burst->lastError(), QStringLiteral("The WebSocket closed during the burst."));
    // Every vote is accounted for: accepted, or an error (unanswered or never sent).
    QVERIFY(burst->errors() > 0);
    QCOMPARE(burst->accepted() + burst->errors(), 100000);
    QCOMPARE(burst->dispatched(), 100000);
    QCOMPARE(burst->inFlight(), 0);
    // The server counted every acknowledged vote, and at most the window more.
    const qint64 total = UiTest::serverTotal(*m_http, QStringLiteral("cut"));
    QVERIFY2(
        total >= burst->accepted() && total <= burst->accepted() + burst->socketWindow(),
        qPrintable(QStringLiteral("server %1, accepted %2").arg(total).arg(burst->accepted())));
    window.reset();
}

void TestUiSocketBurst::rateLimitedVotesAreSentAgain()
{
    // 50 votes/s for this (loopback) client, bursts of 100: most of the burst is refused
    // with retry_after at first and must be sent again, not counted as errors.
    TallyProcess limited({QStringLiteral("--rate-votes"), QStringLiteral("50"),
                          QStringLiteral("--rate-limit-loopback")});
    QVERIFY2(limited.start(), qPrintable(limited.diagnostics()));
    auto stop = qScopeGuard([&limited] { limited.stop(); });
    HttpClient http(limited.url());
    UiTest::createPoll(http, QStringLiteral("budget"), QStringLiteral("Within budget?"),
                       {QStringLiteral("One"), QStringLiteral("Two"), QStringLiteral("Three")});
    std::unique_ptr<MainWindow> window = openConsole(limited.url(), QStringLiteral("budget"));
    QVERIFY(window);
    VoteBurst *burst = window->voteCaster()->burst();
    QVERIFY(startBurst(*window, 300, 1000, {1, 1, 1}));
    QTRY_VERIFY_WITH_TIMEOUT(!burst->isRunning(), 60000);
    QCOMPARE(burst->errors(), 0);
    QCOMPARE(burst->accepted(), 300);
    QVERIFY(burst->retried() > 0);
    const QMap<QString, qint64> expected{
        {QStringLiteral("A"), 100}, {QStringLiteral("B"), 100}, {QStringLiteral("C"), 100}};
    QCOMPARE(asCounts(burst->perOption()), expected);
    QCOMPARE(UiTest::serverResults(http, QStringLiteral("budget")), expected);
    window.reset();
}

QTEST_MAIN(TestUiSocketBurst)
#include "tst_ui_socketburst.moc"
