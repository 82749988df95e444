// The presenter view (offscreen) against a real server: F11 opens it full screen on
// the selected poll, its chart equals GET /results and follows new votes, its QR code
// decodes (with zbarimg, a real decoder) to exactly the join URL built from the
// server's --public-url, poll text is plain text, and Esc leaves it. "Copy join link"
// puts the same URL on the clipboard.
#include "uitestsupport.h"

#include "pollactions.h"
#include "presenterview.h"
#include "qrcode.h"
#include "resultschart.h"
#include "tallyprocess.h"

#include <QAction>
#include <QClipboard>
#include <QGuiApplication>
#include <QLabel>
#include <QProcess>
#include <QStandardPaths>
#include <QTemporaryDir>

#include <memory>

namespace {
const QString PublicUrl = QStringLiteral("http://vote.example.test:8080");

// The text zbarimg reads from an image, or the reason it could not.
QString decodeQr(const QImage &image, const QString &dir, QString *error)
{
    const QString zbarimg = QStandardPaths::findExecutable(QStringLiteral("zbarimg"));
    if (zbarimg.isEmpty()) {
        *error = QStringLiteral("zbarimg not found (packaging/deps.sh installs zbar-tools)");
        return {};
    }
    const QString path = dir + QStringLiteral("/qr.png");
    if (!image.save(path)) {
        *error = QStringLiteral("cannot write %1").arg(path);
        return {};
    }
    QProcess process;
    process.start(zbarimg, {QStringLiteral("--raw"), QStringLiteral("-q"), path});
    if (!process.waitForFinished(15000) || process.exitCode() != 0) {
        *error = QStringLiteral("zbarimg failed (%1): %2")
                     .arg(process.exitCode())
                     .arg(QString::fromLocal8Bit(process.readAllStandardError()));
        return {};
    }
    return QString::fromUtf8(process.readAllStandardOutput()).trimmed();
}

void vote(HttpClient &http, const QString &pollId, const QString &option, int times)
{
    for (int i = 0; i < times; ++i) {
        const HttpResponse response = http.postJson(QStringLiteral("/api/v1/vote/") + pollId,
                                                    {{QStringLiteral("option_id"), option}});
        QVERIFY2(response.status == 202, qPrintable(response.describe()));
    }
}
} // namespace

class TestUiPresenter : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void qrCodeEncodesTheText();
    void joinUrlOfAPoll();
    void presentShowsThePollFullScreen();
    void chartFollowsResults();
    void qrCodeDecodesToTheJoinUrl();
    void closingThePollShows();
    void escapeLeaves();
    void copyJoinLink();
    void pollTextIsPlain();

private:
    bool waitForChart(PresenterView *view, const QString &pollId);

    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<HttpClient> m_http;
    std::unique_ptr<MainWindow> m_window;
    QTemporaryDir m_dir;
};

void TestUiPresenter::initTestCase()
{
    UiTest::isolateSettings();
    QVERIFY(m_dir.isValid());
    m_server = std::make_unique<TallyProcess>(QStringList{QStringLiteral("--public-url"), PublicUrl,
                                                          QStringLiteral("--workers"),
                                                          QStringLiteral("1")});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_http = std::make_unique<HttpClient>(m_server->url());
    QVERIFY(!UiTest::createPoll(
                 *m_http, QStringLiteral("quiz"), QStringLiteral("Which planet is largest?"),
                 {QStringLiteral("Jupiter"), QStringLiteral("Saturn"), QStringLiteral("Neptune")})
                 .isEmpty());
    vote(*m_http, QStringLiteral("quiz"), QStringLiteral("A"), 3);
    vote(*m_http, QStringLiteral("quiz"), QStringLiteral("B"), 1);
    vote(*m_http, QStringLiteral("quiz"), QStringLiteral("C"), 2);
    m_window = std::make_unique<MainWindow>();
    m_window->resize(1280, 800);
    m_window->connectTo(m_server->url());
    m_window->show();
    QVERIFY(QTest::qWaitForWindowExposed(m_window.get()));
    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("quiz")));
    // The console learns the public URL from the server's stats.
    QTRY_COMPARE_WITH_TIMEOUT(m_window->pollActions()->publicUrl(), QUrl(PublicUrl), 10000);
}

void TestUiPresenter::cleanupTestCase()
{
    m_window.reset();
    if (m_server && m_server->isRunning())
        QCOMPARE(m_server->stop(), 0);
}

bool TestUiPresenter::waitForChart(PresenterView *view, const QString &pollId)
{
    QDeadlineTimer deadline(10000);
    QMap<QString, qint64> expected;
    while (!deadline.hasExpired()) {
        expected = UiTest::serverResults(*m_http, pollId);
        if (view->chart()->values() == expected &&
            view->total() == UiTest::serverTotal(*m_http, pollId))
            return true;
        QTest::qWait(50);
    }
    qWarning("chart %s, server %s", qPrintable(UiTest::describe(view->chart()->values())),
             qPrintable(UiTest::describe(expected)));
    return false;
}

void TestUiPresenter::qrCodeEncodesTheText()
{
    const QrCode code(QStringLiteral("http://vote.example.test:8080/p/quiz"));
    QVERIFY(code.isValid());
    QCOMPARE(code.moduleCount(), 29); // version 3 at level M holds up to 42 bytes
    const QImage image = code.image(370);
    QCOMPARE(image.width(), 370);                          // (29 + 2 * 4) modules of 10 px
    QCOMPARE(image.pixelColor(5, 5), QColor(Qt::white));   // quiet zone
    QCOMPARE(image.pixelColor(45, 45), QColor(Qt::black)); // finder pattern corner
    QString error;
    QCOMPARE(decodeQr(image, m_dir.path(), &error), code.text());
    QVERIFY2(error.isEmpty(), qPrintable(error));
}

void TestUiPresenter::joinUrlOfAPoll()
{
    QCOMPARE(PollActions::joinUrl(QUrl(PublicUrl), QStringLiteral("quiz")).toString(),
             PublicUrl + QStringLiteral("/p/quiz"));
    QCOMPARE(PollActions::joinUrl(QUrl(QStringLiteral("https://example.test/events/")),
                                  QStringLiteral("a_b-1"))
                 .toString(),
             QStringLiteral("https://example.test/events/p/a_b-1"));
}

void TestUiPresenter::presentShowsThePollFullScreen()
{
    QVERIFY(m_window->pollActions()->present()->isEnabled());
    QCOMPARE(m_window->pollActions()->present()->shortcut(), QKeySequence(Qt::Key_F11));
    m_window->activateWindow();
    QTest::keyClick(m_window.get(), Qt::Key_F11);
    QTRY_VERIFY(m_window->presenter() != nullptr);
    PresenterView *view = m_window->presenter();
    QVERIFY(view->isFullScreen());
    QCOMPARE(view->pollId(), QStringLiteral("quiz"));
    QCOMPARE(view->questionLabel()->text(), QStringLiteral("Which planet is largest?"));
    QCOMPARE(view->joinUrl().toString(), PublicUrl + QStringLiteral("/p/quiz"));
    QCOMPARE(view->joinLabel()->text(), PublicUrl + QStringLiteral("/p/quiz"));
    QCOMPARE(view->stateLabel()->text(), QStringLiteral("Voting is open"));
}

void TestUiPresenter::chartFollowsResults()
{
    PresenterView *view = m_window->presenter();
    QVERIFY(view);
    QVERIFY(waitForChart(view, QStringLiteral("quiz")));
    QCOMPARE(view->chart()->values(), (QMap<QString, qint64>{{"A", 3}, {"B", 1}, {"C", 2}}));
    QCOMPARE(view->totalLabel()->text(), QStringLiteral("6 votes"));
    // Votes cast while presenting reach the chart.
    vote(*m_http, QStringLiteral("quiz"), QStringLiteral("B"), 4);
    QVERIFY(waitForChart(view, QStringLiteral("quiz")));
    QCOMPARE(view->chart()->values(), (QMap<QString, qint64>{{"A", 3}, {"B", 5}, {"C", 2}}));
    QCOMPARE(view->chart()->labelText(QStringLiteral("B")), QStringLiteral("5 · 50.0%"));
    QCOMPARE(view->totalLabel()->text(), QStringLiteral("10 votes"));
    QVERIFY(view->rateLabel()->text().endsWith(QStringLiteral(" votes/s")));
}

void TestUiPresenter::qrCodeDecodesToTheJoinUrl()
{
    PresenterView *view = m_window->presenter();
    QVERIFY(view);
    // A projector's size; the offscreen screen is smaller.
    view->setWindowState(Qt::WindowNoState);
    view->resize(1920, 1080);
    QTRY_COMPARE(view->size(), QSize(1920, 1080));
    // Laid out for that size: the code is on screen whole.
    QTRY_VERIFY(view->qrLabel()->width() >= view->qrImage().width() &&
                view->qrLabel()->height() >= view->qrImage().height());
    const QImage shown = view->grab().toImage();
    const QString screenshot = qEnvironmentVariable("TALLY_PRESENTER_SCREENSHOT");
    if (!screenshot.isEmpty())
        QVERIFY(shown.save(screenshot));
    QString error;
    // The whole view as rendered, not the code alone: nothing else on screen may
    // confuse a phone's camera.
    QCOMPARE(decodeQr(shown, m_dir.path(), &error), PublicUrl + QStringLiteral("/p/quiz"));
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QCOMPARE(decodeQr(view->qrImage(), m_dir.path(), &error),
             PublicUrl + QStringLiteral("/p/quiz"));
    QVERIFY(view->qrImage().width() >= 400); // a quarter of the width
}

void TestUiPresenter::closingThePollShows()
{
    PresenterView *view = m_window->presenter();
    QVERIFY(view);
    VERIFY_STATUS(m_http->post(QStringLiteral("/api/v1/polls/quiz/close")), 200);
    QTRY_COMPARE_WITH_TIMEOUT(view->stateLabel()->text(),
                              QStringLiteral("Voting is closed · final results"), 10000);
    VERIFY_STATUS(m_http->post(QStringLiteral("/api/v1/polls/quiz/open")), 200);
    QTRY_COMPARE_WITH_TIMEOUT(view->stateLabel()->text(), QStringLiteral("Voting is open"), 10000);
}

void TestUiPresenter::escapeLeaves()
{
    QPointer<PresenterView> view = m_window->presenter();
    QVERIFY(view);
    QTest::keyClick(view.data(), Qt::Key_Escape);
    QTRY_VERIFY(view.isNull());
    QVERIFY(m_window->presenter() == nullptr);
}

void TestUiPresenter::copyJoinLink()
{
    QAction *copy = m_window->pollActions()->copyJoinLink();
    QVERIFY(copy->isEnabled());
    QGuiApplication::clipboard()->clear();
    copy->trigger();
    QCOMPARE(QGuiApplication::clipboard()->text(), PublicUrl + QStringLiteral("/p/quiz"));
}

void TestUiPresenter::pollTextIsPlain()
{
    const QString question = QStringLiteral("<b>Bold?</b> <img src=x> & <i>more</i>");
    QVERIFY(!UiTest::createPoll(*m_http, QStringLiteral("markup"), question,
                                {QStringLiteral("<u>yes</u>"), QStringLiteral("no &amp; maybe")})
                 .isEmpty());
    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("markup")));
    m_window->pollActions()->present()->trigger();
    QTRY_VERIFY(m_window->presenter() != nullptr);
    PresenterView *view = m_window->presenter();
    QCOMPARE(view->pollId(), QStringLiteral("markup"));
    QCOMPARE(view->questionLabel()->textFormat(), Qt::PlainText);
    QCOMPARE(view->questionLabel()->text(), question);
    // Chart categories are rendered as HTML by Qt Charts: they arrive escaped. On a
    // projector-sized view they have room to show whole.
    view->resize(1920, 1080);
    QTRY_COMPARE(view->size(), QSize(1920, 1080));
    QTRY_COMPARE(view->chart()->categories(), (QStringList{QStringLiteral("&lt;u&gt;yes&lt;/u&gt;"),
                                                           QStringLiteral("no &amp;amp; maybe")}));
    view->close();
    QTRY_VERIFY(m_window->presenter() == nullptr);
}

QTEST_MAIN(TestUiPresenter)
#include "tst_ui_presenter.moc"
