// Console behaviour found wanting by use, against a real server: the selected poll's
// counts at once, admin failures and successes that are seen, reconnection after
// HTTP errors, a deleted poll that is announced and long texts at 1280x800.
#include "elidedlabel.h"
#include "healthcharts.h"
#include "pollactions.h"
#include "pollsview.h"
#include "resultschart.h"
#include "resultspanel.h"
#include "serverclient.h"
#include "shardview.h"
#include "tallyprocess.h"
#include "timeserieschart.h"
#include "uitestsupport.h"
#include "votecaster.h"

#include <QAction>
#include <QDateTimeAxis>
#include <QDockWidget>
#include <QFontMetrics>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QStatusBar>
#include <QTcpServer>
#include <QTcpSocket>

#include <memory>

class TestUiDefects : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void closedPollShowsItsCountsWhenSelected();
    void deletingTheShownPollIsAnnounced();
    void failedAdminActionSaysWhy();
    void longTextsFitAt1280x800();
    void edgesAndHealthSpanAt1280x800();
    void tooManyConnectionsIsRetried();
    void badGatewayIsRetried();

private:
    std::unique_ptr<MainWindow> openWindow(const QUrl &url, const QString &token = {});
    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<HttpClient> m_http;
};

void TestUiDefects::initTestCase()
{
    UiTest::isolateSettings();
    m_server = std::make_unique<TallyProcess>();
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_http = std::make_unique<HttpClient>(m_server->url());
}

void TestUiDefects::cleanupTestCase()
{
    m_http.reset();
    if (m_server)
        QCOMPARE(m_server->stop(), 0);
}

std::unique_ptr<MainWindow> TestUiDefects::openWindow(const QUrl &url, const QString &token)
{
    auto window = std::make_unique<MainWindow>(token);
    window->resize(1280, 800);
    window->show();
    window->connectTo(url);
    return window;
}

void TestUiDefects::closedPollShowsItsCountsWhenSelected()
{
    UiTest::createPoll(*m_http, QStringLiteral("shown-first"), QStringLiteral("Shown first?"),
                       {QStringLiteral("Yes"), QStringLiteral("No")});
    UiTest::createPoll(*m_http, QStringLiteral("final"), QStringLiteral("Final results?"),
                       {QStringLiteral("Red"), QStringLiteral("Blue")});
    for (const char *option : {"A", "A", "B"})
        QCOMPARE(m_http
                     ->postJson(QStringLiteral("/api/v1/vote/final"),
                                {{QStringLiteral("option_id"), QLatin1String(option)}})
                     .status,
                 202);
    QCOMPARE(m_http->post(QStringLiteral("/api/v1/polls/final/close")).status, 200);

    auto window = openWindow(m_server->url());
    QTRY_VERIFY_WITH_TIMEOUT(window->liveClient()->socketLive(), 15000);
    // The list knows the closed poll's total (pushed on subscribing) before it is shown.
    QTRY_COMPARE_WITH_TIMEOUT(window->pollModel()->totalOf(QStringLiteral("final")), 3, 10000);
    QVERIFY(UiTest::selectPoll(*window, QStringLiteral("final")));
    // No vote will ever come for it: its counts must show at once, not after a change.
    const QMap<QString, qint64> expected{{QStringLiteral("A"), 2}, {QStringLiteral("B"), 1}};
    QCOMPARE(window->resultsPanel()->chart()->values(), expected);
    QCOMPARE(window->resultsPanel()->totalLabel()->text(), QStringLiteral("Total: 3 votes"));
    // And they stay after a refresh (the REST answer for a subscribed poll counts too).
    window->liveClient()->refresh();
    QTest::qWait(300);
    QCOMPARE(window->resultsPanel()->chart()->values(), expected);

    // One vote: the singular.
    UiTest::createPoll(*m_http, QStringLiteral("single"), QStringLiteral("Just one?"),
                       {QStringLiteral("Yes"), QStringLiteral("No")});
    QCOMPARE(m_http
                 ->postJson(QStringLiteral("/api/v1/vote/single"),
                            {{QStringLiteral("option_id"), QStringLiteral("A")}})
                 .status,
             202);
    QVERIFY(UiTest::selectPoll(*window, QStringLiteral("single")));
    QTRY_COMPARE_WITH_TIMEOUT(window->resultsPanel()->totalLabel()->text(),
                              QStringLiteral("Total: 1 vote"), 10000);
}

void TestUiDefects::deletingTheShownPollIsAnnounced()
{
    UiTest::createPoll(*m_http, QStringLiteral("doomed"), QStringLiteral("Going away?"),
                       {QStringLiteral("Yes"), QStringLiteral("No")});
    UiTest::createPoll(*m_http, QStringLiteral("stays"), QStringLiteral("Staying?"),
                       {QStringLiteral("Yes"), QStringLiteral("No")});
    auto window = openWindow(m_server->url());
    QTRY_VERIFY_WITH_TIMEOUT(window->liveClient()->isConnected(), 15000);
    QVERIFY(UiTest::selectPoll(*window, QStringLiteral("doomed")));
    // Another client deletes it.
    QCOMPARE(m_http->del(QStringLiteral("/api/v1/polls/doomed")).status, 204);
    auto *empty = window->resultsPanel()->findChild<QLabel *>(QStringLiteral("resultsEmptyLabel"));
    QVERIFY(empty);
    const QString notice = QStringLiteral("The poll “Going away?” was deleted.");
    QTRY_COMPARE_WITH_TIMEOUT(empty->text(), notice, 10000);
    QVERIFY(empty->isVisible());
    QCOMPARE(window->resultsPanel()->pollId(), QString());
    QCOMPARE(window->statusBar()->currentMessage(), notice);
    // A later poll list does not replace the notice with another poll.
    window->liveClient()->refresh();
    QTRY_VERIFY(window->pollModel()->rowOf(QStringLiteral("stays")) >= 0);
    QTest::qWait(500);
    QCOMPARE(empty->text(), notice);
    QCOMPARE(window->pollsView()->selectedPollId(), QString());
    QVERIFY(UiTest::selectPoll(*window, QStringLiteral("stays")));
    QCOMPARE(window->resultsPanel()->pollId(), QStringLiteral("stays"));
}

void TestUiDefects::failedAdminActionSaysWhy()
{
    TallyProcess guarded({QStringLiteral("--admin-token"), QStringLiteral("s3cret")});
    QVERIFY2(guarded.start(), qPrintable(guarded.diagnostics()));
    HttpClient http(guarded.url());
    http.setDefaultHeader("Authorization", "Bearer s3cret");
    UiTest::createPoll(http, QStringLiteral("guarded"), QStringLiteral("Guarded?"),
                       {QStringLiteral("Yes"), QStringLiteral("No")});

    auto window = openWindow(guarded.url()); // no token
    QTRY_VERIFY_WITH_TIMEOUT(window->liveClient()->isConnected(), 15000);
    QVERIFY(UiTest::selectPoll(*window, QStringLiteral("guarded")));
    PollActions *actions = window->pollActions();
    QTRY_VERIFY(actions->closePoll()->isEnabled());
    actions->closePoll()->trigger();
    QVERIFY(actions->confirmation());
    actions->confirmation()->findChild<QPushButton *>(QStringLiteral("confirmButton"))->click();
    // The refusal is shown until dismissed, with the status and what to do.
    QTRY_VERIFY_WITH_TIMEOUT(actions->errorBox(), 10000);
    const QString text = actions->errorBox()->text();
    QVERIFY2(text.startsWith(QStringLiteral("The poll was not closed. HTTP 401: ")),
             qPrintable(text));
    QVERIFY2(
        text.endsWith(QStringLiteral("Set the admin token with Server › Connect to… (Ctrl+L).")),
        qPrintable(text));
    QVERIFY(actions->errorBox()->isVisible());
    QCOMPARE(http.get(QStringLiteral("/api/v1/polls/guarded"))
                 .json.value(QStringLiteral("status"))
                 .toString(),
             QStringLiteral("open"));
    actions->errorBox()->close();

    // With the token it works, and the message has room in the status bar: the
    // permanent widgets on its right leave it the space it needs.
    window->client()->setAdminToken(QStringLiteral("s3cret"));
    actions->closePoll()->trigger();
    actions->confirmation()->findChild<QPushButton *>(QStringLiteral("confirmButton"))->click();
    QTRY_COMPARE_WITH_TIMEOUT(window->statusBar()->currentMessage(), QStringLiteral("Poll closed."),
                              10000);
    auto *connection = window->findChild<QLabel *>(QStringLiteral("connectionLabel"));
    QVERIFY(connection);
    const int room = connection->mapTo(window->statusBar(), QPoint(0, 0)).x();
    const int needed =
        window->statusBar()->fontMetrics().horizontalAdvance(window->statusBar()->currentMessage());
    QVERIFY2(room >= needed, qPrintable(QStringLiteral("%1 px for %2 px").arg(room).arg(needed)));
    QTRY_VERIFY(!actions->errorBox());
    QCOMPARE(guarded.stop(), 0);
}

void TestUiDefects::longTextsFitAt1280x800()
{
    QString question = QStringLiteral("Which of these long answers");
    while (question.size() < 500)
        question += QStringLiteral(" is best");
    question.truncate(499);
    question += u'?';
    QCOMPARE(question.size(), 500);
    QStringList options;
    for (int i = 0; i < 10; ++i)
        options.append(QStringLiteral("Answer %1 ").arg(i) + QString(191, u'w'));
    for (const QString &option : options)
        QCOMPARE(option.size(), 200);
    UiTest::createPoll(*m_http, QStringLiteral("long"), question, options);
    for (int i = 0; i < 10; ++i)
        for (int vote = 0; vote <= i; ++vote)
            QCOMPARE(m_http
                         ->postJson(QStringLiteral("/api/v1/vote/long"),
                                    {{QStringLiteral("option_id"), QString(QChar(u'A' + i))}})
                         .status,
                     202);

    auto window = openWindow(m_server->url());
    QTRY_VERIFY_WITH_TIMEOUT(window->liveClient()->isConnected(), 15000);
    QVERIFY(UiTest::selectPoll(*window, QStringLiteral("long")));
    ResultsChart *chart = window->resultsPanel()->chart();
    QTRY_COMPARE_WITH_TIMEOUT(window->resultsPanel()->chart()->total(), 55, 10000);
    QTest::qWait(50); // one layout pass

    // The question: at most three lines, cut with "…", the whole text as tooltip.
    ElidedLabel *label = window->resultsPanel()->questionLabel();
    const int line = label->fontMetrics().lineSpacing();
    QVERIFY2(label->height() <= 3 * line + 4, qPrintable(QString::number(label->height())));
    QVERIFY(label->isElided());
    QVERIFY(label->text().endsWith(u'…'));
    QVERIFY(label->toolTip().contains(question.left(60)));
    QCOMPARE(label->accessibleName(), question);

    // The chart keeps room for every bar and its label.
    const int textHeight = chart->fontMetrics().height();
    QVERIFY2(chart->height() >= 10 * textHeight,
             qPrintable(QStringLiteral("chart %1 px high").arg(chart->height())));
    const QStringList categories = chart->categories();
    QCOMPARE(categories.size(), 10);
    for (int i = 0; i < 10; ++i)
        QVERIFY2(categories.at(i).startsWith(QStringLiteral("Answer %1 ").arg(i)),
                 qPrintable(categories.at(i)));
    const QList<QRectF> labels = chart->labelRects();
    QCOMPARE(labels.size(), 10);
    for (int i = 0; i < labels.size(); ++i) {
        QVERIFY(chart->rect().contains(labels.at(i).toRect()));
        for (int j = i + 1; j < labels.size(); ++j)
            QVERIFY2(!labels.at(i).intersects(labels.at(j)),
                     qPrintable(QStringLiteral("labels %1 and %2 overlap").arg(i).arg(j)));
    }
    QVERIFY(chart->accessibleDescription().startsWith(
        QStringLiteral("%1: 1 vote, 1.8%; ").arg(options.at(0))));

    // The shard line: two lines at most.
    ElidedLabel *owner = window->shardView()->ownerLabel();
    QVERIFY2(owner->height() <= 2 * owner->fontMetrics().lineSpacing() + 4,
             qPrintable(QString::number(owner->height())));
    QVERIFY(owner->toolTip().contains(question.left(60)));

    // Option buttons: cut, with the whole text as tooltip; the window is not wider.
    for (int i = 0; i < 10; ++i) {
        QPushButton *button = window->voteCaster()->optionButton(QString(QChar(u'A' + i)));
        QVERIFY(button);
        QVERIFY(button->text().endsWith(u'…'));
        QVERIFY(button->toolTip().contains(options.at(i).left(40)));
    }
    QCOMPARE(window->size(), QSize(1280, 800));
}

void TestUiDefects::edgesAndHealthSpanAt1280x800()
{
    auto window = openWindow(m_server->url());
    QTRY_VERIFY_WITH_TIMEOUT(window->liveClient()->isConnected(), 15000);
    QTest::qWait(50); // one layout pass
    QCOMPARE(window->size(), QSize(1280, 800));

    // The labels at the left edge of the docks keep their first letter inside the
    // window, with room to spare.
    const auto labelIn = [](QWidget *parent, const QString &text) -> QLabel * {
        for (QLabel *label : parent->findChildren<QLabel *>()) {
            if (label->text() == text)
                return label;
        }
        return nullptr;
    };
    for (QLabel *label : {labelIn(window->pollsView(), QStringLiteral("&Theme:")),
                          labelIn(window->shardView(), QStringLiteral("Pi&e:"))}) {
        QVERIFY(label);
        QVERIFY(label->isVisible());
        const int textLeft = label->mapTo(window.get(), label->contentsRect().topLeft()).x();
        QVERIFY2(
            textLeft >= 3,
            qPrintable(QStringLiteral("“%1” starts at x = %2").arg(label->text()).arg(textLeft)));
    }

    // The health dock states no span of its own; its axes show the span of the data
    // (from one minute up to the whole window), and its tooltip says exactly that.
    auto *dock = window->findChild<QDockWidget *>(QStringLiteral("healthDock"));
    QVERIFY(dock);
    QCOMPARE(dock->windowTitle(), QStringLiteral("Health"));
    HealthCharts *health = window->healthCharts();
    health->clear();
    TimeSeriesChart *depth = health->charts().constFirst();
    QVERIFY(
        depth->toolTip().contains(QStringLiteral("From one minute up to the last five minutes")));
    const qint64 start = QDateTime::currentMSecsSinceEpoch();
    const QJsonObject stats{{QStringLiteral("buffer"), QJsonObject{{QStringLiteral("depth"), 1}}}};
    const auto span = [depth] {
        return depth->timeAxis()->min().msecsTo(depth->timeAxis()->max());
    };
    health->addStats(stats, start);
    health->addStats(stats, start + 30'000);
    QCOMPARE(span(), TimeSeriesChart::MinSpanMs);
    health->addStats(stats, start + 4 * 60'000);
    QCOMPARE(span(), 4 * 60'000);
    health->addStats(stats, start + 7 * 60'000);
    QCOMPARE(span(), TimeSeriesChart::DefaultWindowMs);
    QCOMPARE(TimeSeriesChart::DefaultWindowMs, 5 * 60'000);
}

// Holds connections open so that the server refuses more.
void TestUiDefects::tooManyConnectionsIsRetried()
{
    // Room for the console's own connections once the holders let go.
    constexpr int Limit = 16;
    TallyProcess limited({QStringLiteral("--max-connections"), QString::number(Limit),
                          QStringLiteral("--idle-timeout"), QStringLiteral("600")});
    QVERIFY2(limited.start(), qPrintable(limited.diagnostics()));
    std::vector<std::unique_ptr<QTcpSocket>> holders;
    for (int i = 0; i < Limit; ++i) {
        holders.push_back(std::make_unique<QTcpSocket>());
        holders.back()->connectToHost(QHostAddress::LocalHost, limited.port());
        QVERIFY(holders.back()->waitForConnected(5000));
    }
    QTest::qWait(200); // accepted by the server

    auto window = openWindow(limited.url());
    QTRY_COMPARE_WITH_TIMEOUT(window->liveClient()->state(), LiveClient::State::Reconnecting,
                              10000);
    // The server's own words, and attempts that keep coming (one per probe).
    QTRY_VERIFY_WITH_TIMEOUT(window->liveClient()->attempt() >= 3, 15000);
    const QString status = window->connectionText();
    QVERIFY2(status.startsWith(QStringLiteral("Reconnecting to %1 in")
                                   .arg(limited.url().toString(QUrl::StripTrailingSlash))),
             qPrintable(status));
    QVERIFY2(status.contains(QStringLiteral("HTTP 503: ")), qPrintable(status));
    QVERIFY(window->liveClient()->retryInMs() <= LiveClient::MaxProbeDelayMs);

    holders.clear(); // room again
    QTRY_VERIFY_WITH_TIMEOUT(window->liveClient()->isConnected(), 20000);
    QCOMPARE(window->liveClient()->lastProblem(), QString());
    QCOMPARE(limited.stop(), 0);
}

// A reverse proxy whose upstream is down answers 502 to everything.
void TestUiDefects::badGatewayIsRetried()
{
    QTcpServer proxy;
    QVERIFY(proxy.listen(QHostAddress::LocalHost));
    int statsRequests = 0;
    connect(&proxy, &QTcpServer::newConnection, &proxy, [&proxy, &statsRequests] {
        while (QTcpSocket *socket = proxy.nextPendingConnection()) {
            connect(socket, &QTcpSocket::readyRead, socket, [socket, &statsRequests] {
                const QByteArray request = socket->readAll();
                if (request.contains("GET /api/v1/stats "))
                    ++statsRequests;
                socket->write("HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\n"
                              "Content-Length: 11\r\nConnection: close\r\n\r\nBad Gateway");
                socket->disconnectFromHost();
            });
            connect(socket, &QTcpSocket::disconnected, socket, &QObject::deleteLater);
        }
    });
    auto window = openWindow(QUrl(QStringLiteral("http://127.0.0.1:%1").arg(proxy.serverPort())));
    QTRY_COMPARE_WITH_TIMEOUT(window->liveClient()->state(), LiveClient::State::Reconnecting,
                              10000);
    QTRY_VERIFY_WITH_TIMEOUT(window->liveClient()->attempt() >= 3, 15000);
    // Every attempt is one probe: the count matches the /stats requests made.
    QVERIFY2(window->liveClient()->attempt() == statsRequests ||
                 window->liveClient()->attempt() == statsRequests - 1,
             qPrintable(QStringLiteral("%1 attempts, %2 probes")
                            .arg(window->liveClient()->attempt())
                            .arg(statsRequests)));
    QVERIFY2(window->connectionText().contains(
                 QStringLiteral("The server answered with HTTP status 502.")),
             qPrintable(window->connectionText()));
}

QTEST_MAIN(TestUiDefects)
#include "tst_ui_defects.moc"
