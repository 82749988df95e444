// Voting from the console against a real server: single clicks and bursts (REST
// bulk, REST single and, when the server has it, the WebSocket). Afterwards the bar
// chart, the poll list's totals and the shard table must show exactly what the REST
// API reports.
#include "elidedlabel.h"
#include "healthcharts.h"
#include "lagmeter.h"
#include "resultschart.h"
#include "resultspanel.h"
#include "shardview.h"
#include "tallyprocess.h"
#include "timeserieschart.h"
#include "uitestsupport.h"
#include "voteburst.h"
#include "votecaster.h"

#include <QComboBox>
#include <QJsonArray>
#include <QJsonDocument>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSpinBox>
#include <QTableWidget>

#include <memory>

class TestUiVotes : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void singleClicksCastOneVoteEach();
    void restBulkBurstIsExactAndResponsive();
    void heavyBurstKeepsTheConsoleResponsive();
    void restSingleBurst();
    void burstCanBeCancelled();
    void webSocketBurst();
    void transportChoiceSurvivesPollChanges();
    void pollListTotalsMatchTheServer();
    void shardViewMatchesStatsAndRing();
    void healthChartsFollowStats();
    void restFallbackStaysExact();
    void oneVotePerVoterPollsGetFreshVoters();
    void fullBulkChunksFitTheServer();

private:
    void runBurst(int count, int rate, VoteBurst::Transport transport, const QList<int> &weights);

    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<HttpClient> m_http;
    std::unique_ptr<MainWindow> m_window;
    QMap<QString, qint64> m_expected;
};

void TestUiVotes::initTestCase()
{
    UiTest::isolateSettings();
    // A short flush interval so stored (shard) counts catch up quickly.
    m_server = std::make_unique<TallyProcess>(
        QStringList{QStringLiteral("--batch-interval"), QStringLiteral("0.2")});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_http = std::make_unique<HttpClient>(m_server->url());
    UiTest::createPoll(*m_http, QStringLiteral("snack"), QStringLiteral("Best snack?"),
                       {QStringLiteral("Pizza"), QStringLiteral("Tacos"), QStringLiteral("Soup")},
                       QStringLiteral("food"));
    UiTest::createPoll(*m_http, QStringLiteral("other"), QStringLiteral("Tabs or spaces?"),
                       {QStringLiteral("Tabs"), QStringLiteral("Spaces")}, QStringLiteral("tech"));
    m_window = std::make_unique<MainWindow>();
    m_window->resize(1280, 800);
    m_window->show();
    m_window->connectTo(m_server->url());
    QTRY_VERIFY2_WITH_TIMEOUT(m_window->liveClient()->isConnected(),
                              qPrintable(m_window->connectionText()), 15000);
    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("snack")));
    m_expected = {{QStringLiteral("A"), 0}, {QStringLiteral("B"), 0}, {QStringLiteral("C"), 0}};
}

void TestUiVotes::cleanupTestCase()
{
    m_window.reset();
    m_http.reset();
    if (m_server)
        QCOMPARE(m_server->stop(), 0);
}

void TestUiVotes::singleClicksCastOneVoteEach()
{
    VoteCaster *caster = m_window->voteCaster();
    QPushButton *pizza = caster->optionButton(QStringLiteral("A"));
    QPushButton *tacos = caster->optionButton(QStringLiteral("B"));
    QVERIFY(pizza && tacos);
    QCOMPARE(pizza->text(), QStringLiteral("A · Pizza"));
    for (int i = 0; i < 3; ++i)
        QTest::mouseClick(pizza, Qt::LeftButton);
    QTest::mouseClick(tacos, Qt::LeftButton);
    QTRY_COMPARE_WITH_TIMEOUT(caster->singleVotesAccepted(), 4, 10000);
    m_expected[QStringLiteral("A")] += 3;
    m_expected[QStringLiteral("B")] += 1;
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->values(), m_expected, 10000);
    QCOMPARE(UiTest::serverResults(*m_http, QStringLiteral("snack")), m_expected);
    QCOMPARE(m_window->resultsPanel()->chart()->labelText(QStringLiteral("A")),
             QStringLiteral("3 · 75.0%"));
    QTRY_COMPARE(m_window->resultsPanel()->totalLabel()->text(), QStringLiteral("Total: 4 votes"));
}

void TestUiVotes::runBurst(int count, int rate, VoteBurst::Transport transport,
                           const QList<int> &weights)
{
    VoteCaster *caster = m_window->voteCaster();
    caster->countBox()->setValue(count);
    caster->rateBox()->setValue(rate);
    caster->transportBox()->setCurrentIndex(caster->transportBox()->findData(int(transport)));
    QCOMPARE(caster->transportBox()->currentData().toInt(), int(transport));
    const QStringList ids{QStringLiteral("A"), QStringLiteral("B"), QStringLiteral("C")};
    for (int i = 0; i < ids.size(); ++i)
        caster->weightBox(ids[i])->setValue(weights[i]);
    QVERIFY(caster->startButton()->isEnabled());
    QTest::mouseClick(caster->startButton(), Qt::LeftButton);
    QVERIFY(caster->burst()->isRunning());
    QVERIFY(caster->cancelButton()->isEnabled());
    QVERIFY(!caster->startButton()->isEnabled());
    QTRY_VERIFY_WITH_TIMEOUT(!caster->burst()->isRunning(), 60000);
    QCOMPARE(caster->burst()->errors(), 0);
    QCOMPARE(caster->burst()->accepted(), count);
    QCOMPARE(caster->progressBar()->value(), count);
    QCOMPARE(caster->progressBar()->maximum(), count);
    QVERIFY(caster->startButton()->isEnabled());
    // The weights are honoured exactly (smooth weighted round robin).
    const int sum = weights[0] + weights[1] + weights[2];
    for (int i = 0; i < ids.size(); ++i) {
        QCOMPARE(caster->burst()->perOption().value(ids[i]), count * weights[i] / sum);
        m_expected[ids[i]] += count * weights[i] / sum;
    }
}

void TestUiVotes::restBulkBurstIsExactAndResponsive()
{
    VoteCaster *caster = m_window->voteCaster();
    runBurst(200, 400, VoteBurst::Transport::RestBulk, {2, 1, 1});
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->values(), m_expected, 10000);
    QCOMPARE(UiTest::serverResults(*m_http, QStringLiteral("snack")), m_expected);
    QCOMPARE(m_window->resultsPanel()->chart()->values(),
             UiTest::serverResults(*m_http, QStringLiteral("snack")));
    // The achieved rate is reported and the GUI thread stayed responsive.
    QVERIFY2(caster->burst()->achievedRate() > 50, qPrintable(caster->burstLabel()->text()));
    QVERIFY(caster->burstLabel()->text().startsWith(
        QStringLiteral("Sent 200 of 200 · accepted 200 · errors 0 · ")));
    QVERIFY(caster->lagMeter()->samples() > 10);
    QVERIFY2(caster->lagMeter()->maxMs() < 1000, qPrintable(caster->lagLabel()->text()));
    QVERIFY(caster->lagLabel()->text().startsWith(
        QStringLiteral("Event loop delay during the burst: avg ")));
    qInfo("%s | %s", qPrintable(caster->burstLabel()->text()),
          qPrintable(caster->lagLabel()->text()));
}

void TestUiVotes::heavyBurstKeepsTheConsoleResponsive()
{
    VoteCaster *caster = m_window->voteCaster();
    runBurst(6000, 6000, VoteBurst::Transport::RestBulk, {1, 1, 1});
    qInfo("%s | %s", qPrintable(caster->burstLabel()->text()),
          qPrintable(caster->lagLabel()->text()));
    // Generous bounds for a loaded 2-core machine: the point is that the GUI thread
    // never waits on the network.
    QVERIFY2(caster->lagMeter()->maxMs() < 1000, qPrintable(caster->lagLabel()->text()));
    QVERIFY2(caster->lagMeter()->averageMs() < 50, qPrintable(caster->lagLabel()->text()));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->values(), m_expected, 10000);
    QCOMPARE(UiTest::serverResults(*m_http, QStringLiteral("snack")), m_expected);
}

void TestUiVotes::restSingleBurst()
{
    runBurst(60, 300, VoteBurst::Transport::RestSingle, {1, 1, 1});
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->values(), m_expected, 10000);
    QCOMPARE(m_window->resultsPanel()->chart()->values(),
             UiTest::serverResults(*m_http, QStringLiteral("snack")));
}

void TestUiVotes::burstCanBeCancelled()
{
    VoteCaster *caster = m_window->voteCaster();
    caster->countBox()->setValue(100000);
    caster->rateBox()->setValue(50);
    caster->transportBox()->setCurrentIndex(0);
    caster->startButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(caster->burst()->dispatched() >= 10, 10000);
    QTest::mouseClick(caster->cancelButton(), Qt::LeftButton);
    QVERIFY(!caster->burst()->isRunning());
    QVERIFY(caster->burst()->dispatched() < 100000);
    QVERIFY(caster->burstLabel()->text().endsWith(QStringLiteral(" — cancelled")));
    QVERIFY(caster->startButton()->isEnabled());
    // Whatever reached the server is counted and shown: the chart follows the server.
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->values(),
                              UiTest::serverResults(*m_http, QStringLiteral("snack")), 10000);
    m_expected = UiTest::serverResults(*m_http, QStringLiteral("snack"));
}

void TestUiVotes::webSocketBurst()
{
    // The WebSocket is optional: a server without it is watched over REST.
    QTest::qWait(LiveClient::FirstSocketRetryMs * 2);
    if (!m_window->liveClient()->socketLive())
        QSKIP("this server offers no WebSocket; the console polls REST instead");
    runBurst(300, 1000, VoteBurst::Transport::WebSocket, {1, 1, 1});
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->values(), m_expected, 10000);
    QCOMPARE(m_window->resultsPanel()->chart()->values(),
             UiTest::serverResults(*m_http, QStringLiteral("snack")));
}

void TestUiVotes::transportChoiceSurvivesPollChanges()
{
    // The operator's transport stays chosen when the selected poll changes or is
    // refreshed; only a transport the poll or the connection cannot use is replaced.
    VoteCaster *caster = m_window->voteCaster();
    QComboBox *transport = caster->transportBox();
    QList<VoteBurst::Transport> choices{VoteBurst::Transport::RestBulk};
    if (m_window->liveClient()->socketLive())
        choices.append(VoteBurst::Transport::WebSocket);
    for (VoteBurst::Transport choice : std::as_const(choices)) {
        transport->setCurrentIndex(transport->findData(int(choice)));
        QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("other")));
        QCOMPARE(transport->currentData().toInt(), int(choice));
        QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("snack")));
        QCOMPARE(transport->currentData().toInt(), int(choice));
    }
}

void TestUiVotes::pollListTotalsMatchTheServer()
{
    UiTest::createPoll(*m_http, QStringLiteral("third"), QStringLiteral("Best season?"),
                       {QStringLiteral("Spring"), QStringLiteral("Autumn")});
    QList<HttpRequest> votes;
    for (int i = 0; i < 7; ++i)
        votes.append({"POST", QStringLiteral("/api/v1/vote/other"), R"({"option_id":"B"})"});
    for (const HttpResponse &response : m_http->sendAll(votes))
        QCOMPARE(response.status, 202);
    PollListModel *model = m_window->pollModel();
    for (const QString &id :
         {QStringLiteral("snack"), QStringLiteral("other"), QStringLiteral("third")}) {
        QTRY_COMPARE_WITH_TIMEOUT(model->totalOf(id), UiTest::serverTotal(*m_http, id), 10000);
        QCOMPARE(model->index(model->rowOf(id), PollListModel::VotesColumn).data().toString(),
                 QLocale().toString(UiTest::serverTotal(*m_http, id)));
    }
    QCOMPARE(model->totalOf(QStringLiteral("other")), 7);
    QCOMPARE(model->totalOf(QStringLiteral("third")), 0);
}

void TestUiVotes::shardViewMatchesStatsAndRing()
{
    ShardView *view = m_window->shardView();
    QTableWidget *table = view->table();
    // Wait for every vote to be flushed so the stored counts hold still, then
    // compare the table with the API cell by cell.
    QTRY_VERIFY_WITH_TIMEOUT(m_http->get(QStringLiteral("/api/v1/stats"))
                                     .json.value(QStringLiteral("buffer"))
                                     .toObject()
                                     .value(QStringLiteral("depth"))
                                     .toInteger() == 0,
                             10000);
    const auto matches = [&] {
        const QJsonObject stats = m_http->get(QStringLiteral("/api/v1/stats")).json;
        const QJsonObject ring = m_http->get(QStringLiteral("/api/v1/ring")).json;
        const QJsonArray shards = stats.value(QStringLiteral("shards")).toArray();
        if (shards.isEmpty() || table->rowCount() != shards.size())
            return false;
        const QLocale locale;
        for (const QJsonValue &value : shards) {
            const QJsonObject shard = value.toObject();
            const int row = view->rowOf(shard.value(QStringLiteral("name")).toString());
            if (row < 0)
                return false;
            const auto cell = [&](int column) { return table->item(row, column)->text(); };
            if (cell(ShardView::KindColumn) != shard.value(QStringLiteral("kind")).toString() ||
                cell(ShardView::AddressColumn) !=
                    shard.value(QStringLiteral("address")).toString() ||
                cell(ShardView::StateColumn) != shard.value(QStringLiteral("state")).toString() ||
                cell(ShardView::PollsColumn) !=
                    locale.toString(shard.value(QStringLiteral("polls")).toInteger()) ||
                cell(ShardView::VotesColumn) !=
                    locale.toString(shard.value(QStringLiteral("votes")).toInteger()))
                return false;
            for (const QJsonValue &node : ring.value(QStringLiteral("nodes")).toArray()) {
                if (node.toObject().value(QStringLiteral("name")) !=
                    shard.value(QStringLiteral("name")))
                    continue;
                const double share = node.toObject().value(QStringLiteral("share")).toDouble();
                if (cell(ShardView::ShareColumn) != locale.toString(share * 100.0, 'f', 1) + u'%')
                    return false;
            }
        }
        return true;
    };
    QTRY_VERIFY_WITH_TIMEOUT(matches(), 15000);
    // Every vote cast in this test is stored on some shard.
    qint64 stored = 0;
    for (int row = 0; row < table->rowCount(); ++row)
        stored += QLocale().toLongLong(table->item(row, ShardView::VotesColumn)->text());
    qint64 total = 0;
    for (const QString &id :
         {QStringLiteral("snack"), QStringLiteral("other"), QStringLiteral("third")})
        total += UiTest::serverTotal(*m_http, id);
    QCOMPARE(stored, total);
    // The owner of the selected poll is named and marked.
    const QString owner = m_http->get(QStringLiteral("/api/v1/polls/snack"))
                              .json.value(QStringLiteral("shard"))
                              .toString();
    QCOMPARE(view->ownerLabel()->text(),
             QStringLiteral("“Best snack?” is stored on %1.").arg(owner));
    QVERIFY(table->item(view->rowOf(owner), ShardView::NameColumn)->font().bold());
}

void TestUiVotes::healthChartsFollowStats()
{
    HealthCharts *health = m_window->healthCharts();
    QTRY_VERIFY_WITH_TIMEOUT(health->requestRate()->pointCount() >= 2, 10000);
    QVERIFY(health->bufferDepth()->pointCount() >= 2);
    QVERIFY(health->requestRate()->lastValue() >= 0);
    const double ratio = m_http->get(QStringLiteral("/api/v1/stats"))
                             .json.value(QStringLiteral("cache"))
                             .toObject()
                             .value(QStringLiteral("hit_ratio"))
                             .toDouble();
    QVERIFY(health->cacheHitRatio()->lastValue() >= 0 &&
            health->cacheHitRatio()->lastValue() <= 100);
    Q_UNUSED(ratio);
    QVERIFY(!m_window->versionText().isEmpty());
    QCOMPARE(m_window->versionText(), QStringLiteral("Server version %1")
                                          .arg(m_http->get(QStringLiteral("/api/v1/stats"))
                                                   .json.value(QStringLiteral("version"))
                                                   .toString()));
}

void TestUiVotes::restFallbackStaysExact()
{
    // A console that cannot open the WebSocket (here: a path the server does not
    // upgrade) polls REST and still shows exact numbers.
    MainWindow polling;
    polling.liveClient()->setSocketPath(QStringLiteral("/api/v1/no-websocket-here"));
    polling.resize(1280, 800);
    polling.show();
    polling.connectTo(m_server->url());
    QTRY_COMPARE_WITH_TIMEOUT(polling.liveClient()->state(), LiveClient::State::Polling, 15000);
    QTRY_VERIFY(polling.connectionText().contains(QStringLiteral("· polling")));
    QVERIFY(!polling.liveClient()->socketLive());
    QVERIFY(UiTest::selectPoll(polling, QStringLiteral("other")));
    QList<HttpRequest> votes;
    for (int i = 0; i < 5; ++i)
        votes.append({"POST", QStringLiteral("/api/v1/vote/other"), R"({"option_id":"A"})"});
    for (const HttpResponse &response : m_http->sendAll(votes))
        QCOMPARE(response.status, 202);
    QTRY_COMPARE_WITH_TIMEOUT(polling.resultsPanel()->chart()->values(),
                              UiTest::serverResults(*m_http, QStringLiteral("other")), 10000);
    QCOMPARE(polling.resultsPanel()->chart()->values().value(QStringLiteral("A")), 5);
    QTRY_COMPARE_WITH_TIMEOUT(polling.pollModel()->totalOf(QStringLiteral("snack")),
                              UiTest::serverTotal(*m_http, QStringLiteral("snack")), 10000);
    QTRY_VERIFY_WITH_TIMEOUT(polling.healthCharts()->bufferDepth()->pointCount() >= 2, 10000);
    // The WebSocket transport is not offered without a socket.
    VoteCaster *caster = polling.voteCaster();
    QVERIFY(!caster->transportBox()->model()->index(2, 0).flags().testFlag(Qt::ItemIsEnabled));
    // A burst over REST works as before.
    caster->countBox()->setValue(40);
    caster->rateBox()->setValue(400);
    caster->transportBox()->setCurrentIndex(0);
    caster->startButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(!caster->burst()->isRunning(), 30000);
    QCOMPARE(caster->burst()->accepted(), 40);
    QTRY_COMPARE_WITH_TIMEOUT(polling.resultsPanel()->chart()->values(),
                              UiTest::serverResults(*m_http, QStringLiteral("other")), 10000);
    QCOMPARE(polling.pollModel()->totalOf(QStringLiteral("other")), 5 + 7 + 40);
}

void TestUiVotes::oneVotePerVoterPollsGetFreshVoters()
{
    const HttpResponse created = m_http->postJson(
        QStringLiteral("/api/v1/polls"),
        {{QStringLiteral("id"), QStringLiteral("secret")},
         {QStringLiteral("question"), QStringLiteral("Secret ballot?")},
         {QStringLiteral("options"), QJsonArray{QStringLiteral("Aye"), QStringLiteral("Nay")}},
         {QStringLiteral("one_vote_per_voter"), true}});
    QCOMPARE(created.status, 201);
    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("secret")));
    VoteCaster *caster = m_window->voteCaster();
    // Bulk requests cannot carry voter ids: not offered for this poll.
    QTRY_VERIFY(!caster->transportBox()->model()->index(0, 0).flags().testFlag(Qt::ItemIsEnabled));
    QVERIFY(caster->transportBox()->currentIndex() != 0);
    // Each click is a new voter.
    for (int i = 0; i < 3; ++i)
        caster->optionButton(QStringLiteral("A"))->click();
    QTRY_COMPARE_WITH_TIMEOUT(caster->singleVotesAccepted(), 3, 10000);
    caster->countBox()->setValue(30);
    caster->rateBox()->setValue(300);
    caster->transportBox()->setCurrentIndex(1);
    caster->weightBox(QStringLiteral("A"))->setValue(1);
    caster->weightBox(QStringLiteral("B"))->setValue(2);
    caster->startButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(!caster->burst()->isRunning(), 30000);
    QCOMPARE(caster->burst()->errors(), 0);
    QCOMPARE(caster->burst()->accepted(), 30);
    const QMap<QString, qint64> expected{{QStringLiteral("A"), 13}, {QStringLiteral("B"), 20}};
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->values(), expected, 10000);
    QCOMPARE(UiTest::serverResults(*m_http, QStringLiteral("secret")), expected);
}

void TestUiVotes::fullBulkChunksFitTheServer()
{
    // A generated-length (12-character) poll id, the default count and transport, and a
    // rate high enough that every REST bulk request carries a full chunk, against a
    // server with the default body limits.
    const QString pollId = QStringLiteral("keynote-2026");
    UiTest::createPoll(
        *m_http, pollId, QStringLiteral("Best talk?"),
        {QStringLiteral("Opening"), QStringLiteral("Closing"), QStringLiteral("Panel")},
        QStringLiteral("conf"));
    QVERIFY(UiTest::selectPoll(*m_window, pollId));
    VoteCaster *caster = m_window->voteCaster();
    caster->countBox()->setValue(1000); // the default; earlier tests changed it
    QCOMPARE(VoteBurst::Transport(caster->transportBox()->itemData(0).toInt()),
             VoteBurst::Transport::RestBulk);
    caster->transportBox()->setCurrentIndex(0);
    caster->rateBox()->setValue(caster->rateBox()->maximum());
    QTest::mouseClick(caster->startButton(), Qt::LeftButton);
    QVERIFY(caster->burst()->isRunning());
    QTRY_VERIFY_WITH_TIMEOUT(!caster->burst()->isRunning(), 60000);
    QVERIFY2(caster->burst()->errors() == 0, qPrintable(caster->burst()->lastError()));
    QCOMPARE(caster->burst()->accepted(), 1000);
    QCOMPARE(caster->burst()->bulkChunk(), VoteBurst::MaxBulkChunk);
    const QMap<QString, qint64> results = UiTest::serverResults(*m_http, pollId);
    qint64 total = 0;
    for (qint64 votes : results)
        total += votes;
    QCOMPARE(total, 1000);

    // Against a server that kept the 16 KiB limit for bulk bodies too, the chunks would
    // shrink to fit it.
    const int fitting = VoteBurst::bulkChunkFor(pollId, 1000, 16384);
    QVERIFY(fitting < VoteBurst::MaxBulkChunk);
    QJsonArray items;
    for (int i = 0; i < fitting + 1; ++i)
        items.append(QJsonObject{{QStringLiteral("poll_id"), pollId},
                                 {QStringLiteral("option_id"), QStringLiteral("A")}});
    const auto size = [&items] {
        return QJsonDocument(QJsonObject{{QStringLiteral("votes"), items}})
            .toJson(QJsonDocument::Compact)
            .size();
    };
    QVERIFY(size() > 16384);
    items.removeLast();
    QVERIFY(size() <= 16384);
}

QTEST_MAIN(TestUiVotes)
#include "tst_ui_votes.moc"
