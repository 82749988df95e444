// The poll settings of the console against a real server: the create dialog's
// choices per vote, results visibility and close time; the badges and countdown of
// the poll view; Reset, Reveal and Export; bursts that choose several options.
#include "createpolldialog.h"
#include "pollactions.h"
#include "pollbadges.h"
#include "resultschart.h"
#include "resultspanel.h"
#include "tallyprocess.h"
#include "uitestsupport.h"
#include "voteburst.h"
#include "votecaster.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDateTimeEdit>
#include <QDir>
#include <QFile>
#include <QFileDialog>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QSpinBox>
#include <QTemporaryDir>

#include <memory>

namespace {
const QString Token = QStringLiteral("poll-settings-token");
const HttpHeaders Admin{{"Authorization", "Bearer " + Token.toUtf8()}};
} // namespace

class TestUiPollSettings : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    void countdownReadsTheTimeLeft();
    void createDialogSendsTheSettings();
    void badgesShowTheSettings();
    void burstChoosesSeveralOptions_data();
    void burstChoosesSeveralOptions();
    void resetAsksWithTheTotalAndZeroes();
    void revealShowsTheResults();
    void exportSavesWhatTheServerSends_data();
    void exportSavesWhatTheServerSends();

private:
    QJsonObject createPoll(const QJsonObject &settings);
    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<HttpClient> m_http;
    std::unique_ptr<MainWindow> m_window;
};

void TestUiPollSettings::initTestCase()
{
    UiTest::isolateSettings();
    m_server = std::make_unique<TallyProcess>(QStringList{QStringLiteral("--admin-token"), Token});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_http = std::make_unique<HttpClient>(m_server->url());
}

void TestUiPollSettings::cleanupTestCase()
{
    m_http.reset();
    if (m_server)
        QCOMPARE(m_server->stop(), 0);
}

void TestUiPollSettings::init()
{
    m_window = std::make_unique<MainWindow>(Token);
    m_window->resize(1280, 800);
    m_window->show();
    m_window->connectTo(m_server->url());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->liveClient()->isConnected(), 15000);
}

void TestUiPollSettings::cleanup()
{
    m_window.reset();
}

QJsonObject TestUiPollSettings::createPoll(const QJsonObject &settings)
{
    QJsonObject body{
        {QStringLiteral("question"), QStringLiteral("Which talks?")},
        {QStringLiteral("options"), QJsonArray{QStringLiteral("Qt"), QStringLiteral("Rust"),
                                               QStringLiteral("Go"), QStringLiteral("Zig")}}};
    for (auto it = settings.begin(); it != settings.end(); ++it)
        body.insert(it.key(), it.value());
    const HttpResponse created = m_http->postJson(QStringLiteral("/api/v1/polls"), body, Admin);
    if (created.status != 201)
        qWarning("create: %s", qPrintable(created.describe()));
    return created.json;
}

void TestUiPollSettings::countdownReadsTheTimeLeft()
{
    PollInfo poll;
    poll.status = QStringLiteral("open");
    const QDateTime now =
        QDateTime::fromString(QStringLiteral("2026-11-30T10:00:00.250Z"), Qt::ISODateWithMs);
    QCOMPARE(PollBadges::countdownText(poll, now), QString()); // no close time
    poll.closesAt = now.addSecs(299);
    QCOMPARE(PollBadges::countdownText(poll, now), QStringLiteral("Closes in 4:59"));
    poll.closesAt = now.addMSecs(500);
    QCOMPARE(PollBadges::countdownText(poll, now), QStringLiteral("Closes in 0:01"));
    poll.closesAt = now.addSecs(3723);
    QCOMPARE(PollBadges::countdownText(poll, now), QStringLiteral("Closes in 1:02:03"));
    poll.closesAt = now.addSecs(-1);
    QCOMPARE(PollBadges::countdownText(poll, now), QStringLiteral("Closing…"));
    poll.status = QStringLiteral("closed");
    QCOMPARE(PollBadges::countdownText(poll, now), QString());
}

void TestUiPollSettings::createDialogSendsTheSettings()
{
    m_window->showCreateDialog();
    CreatePollDialog *dialog = m_window->createDialog();
    QVERIFY(dialog);
    dialog->questionEdit()->setText(QStringLiteral("Which workshops?"));
    dialog->optionEdits().at(0)->setText(QStringLiteral("Charts"));
    dialog->optionEdits().at(1)->setText(QStringLiteral("Sockets"));
    dialog->addOption(QStringLiteral("Tests"));
    dialog->idEdit()->setText(QStringLiteral("workshops"));
    // Defaults leave the body as an older server knows it.
    QCOMPARE(dialog->maxChoicesBox()->value(), 1);
    QCOMPARE(dialog->maxChoicesBox()->maximum(), 3);
    QVERIFY(!dialog->requestBody().contains(QStringLiteral("max_choices")));
    QVERIFY(!dialog->requestBody().contains(QStringLiteral("results_visibility")));
    QVERIFY(!dialog->requestBody().contains(QStringLiteral("closes_at")));
    QVERIFY(!dialog->closeTimeEdit()->isEnabled());

    dialog->maxChoicesBox()->setValue(2);
    dialog->visibilityBox()->setCurrentIndex(
        dialog->visibilityBox()->findData(QStringLiteral("hidden")));
    // A close time in the past is refused before the server sees it.
    dialog->closeAtBox()->setChecked(true);
    QVERIFY(dialog->closeTimeEdit()->isEnabled());
    dialog->closeTimeEdit()->setDateTime(QDateTime::currentDateTime().addSecs(-120));
    QVERIFY(!dialog->createButton()->isEnabled());
    QVERIFY(dialog->shownMessages().contains(
        QStringLiteral("The close time has passed: pick a time in the future.")));
    QDateTime closes = QDateTime::currentDateTimeUtc().addSecs(3600);
    closes.setTime(QTime(closes.time().hour(), closes.time().minute()));
    dialog->closeTimeEdit()->setDateTime(closes.toLocalTime());
    QVERIFY(dialog->createButton()->isEnabled());
    const QJsonObject body = dialog->requestBody();
    QCOMPARE(body.value(QStringLiteral("max_choices")).toInt(), 2);
    QCOMPARE(body.value(QStringLiteral("results_visibility")).toString(), QStringLiteral("hidden"));
    QCOMPARE(body.value(QStringLiteral("closes_at")).toString(),
             closes.toString(QStringLiteral("yyyy-MM-ddTHH:mm:00Z")));
    // Fewer options: fewer choices.
    dialog->removeOption(2);
    QCOMPARE(dialog->maxChoicesBox()->maximum(), 2);

    QTest::mouseClick(dialog->createButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->createDialog(), 10000);
    const QJsonObject poll = m_http->get(QStringLiteral("/api/v1/polls/workshops")).json;
    QCOMPARE(poll.value(QStringLiteral("max_choices")).toInt(), 2);
    QCOMPARE(poll.value(QStringLiteral("results_visibility")).toString(), QStringLiteral("hidden"));
    QCOMPARE(QDateTime::fromString(poll.value(QStringLiteral("closes_at")).toString(),
                                   Qt::ISODateWithMs),
             closes);
}

void TestUiPollSettings::badgesShowTheSettings()
{
    const QDateTime closes = QDateTime::currentDateTimeUtc().addSecs(600);
    createPoll({{QStringLiteral("id"), QStringLiteral("badges")},
                {QStringLiteral("max_choices"), 3},
                {QStringLiteral("results_visibility"), QStringLiteral("hidden")},
                {QStringLiteral("closes_at"), closes.toString(Qt::ISODate)}});
    createPoll({{QStringLiteral("id"), QStringLiteral("plain")}});
    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("badges")));
    PollBadges *badges = m_window->resultsPanel()->badges();
    QVERIFY(badges->isVisible());
    QVERIFY(badges->choicesBadge()->isVisible());
    QCOMPARE(badges->choicesBadge()->text(), QStringLiteral("Up to 3 choices per vote"));
    QVERIFY(badges->hiddenBadge()->isVisible());
    QCOMPARE(badges->hiddenBadge()->text(), QStringLiteral("Results hidden"));
    QVERIFY(badges->countdownLabel()->isVisible());
    const QString countdown = badges->countdownLabel()->text();
    QVERIFY2(countdown == u"Closes in 10:00" || countdown == u"Closes in 9:59" ||
                 countdown == u"Closes in 9:58",
             qPrintable(countdown));
    // The countdown moves on by itself.
    QTRY_VERIFY_WITH_TIMEOUT(badges->countdownLabel()->text() != countdown, 5000);
    // Reveal is offered for hidden results only.
    QVERIFY(m_window->pollActions()->revealResults()->isEnabled());

    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("plain")));
    QVERIFY(!badges->isVisible());
    QVERIFY(!m_window->pollActions()->revealResults()->isEnabled());
}

void TestUiPollSettings::burstChoosesSeveralOptions_data()
{
    QTest::addColumn<int>("transport");
    QTest::addRow("REST bulk") << int(VoteBurst::Transport::RestBulk);
    QTest::addRow("REST single") << int(VoteBurst::Transport::RestSingle);
    QTest::addRow("WebSocket") << int(VoteBurst::Transport::WebSocket);
}

void TestUiPollSettings::burstChoosesSeveralOptions()
{
    QFETCH(int, transport);
    const QString id = QStringLiteral("multi-%1").arg(transport);
    createPoll({{QStringLiteral("id"), id}, {QStringLiteral("max_choices"), 3}});
    QVERIFY(UiTest::selectPoll(*m_window, id));
    if (transport == int(VoteBurst::Transport::WebSocket))
        QTRY_VERIFY_WITH_TIMEOUT(m_window->liveClient()->socketLive(), 15000);
    VoteCaster *caster = m_window->voteCaster();
    caster->countBox()->setValue(30);
    caster->rateBox()->setValue(600);
    caster->transportBox()->setCurrentIndex(caster->transportBox()->findData(transport));
    QCOMPARE(caster->transportBox()->currentData().toInt(), transport);
    QTest::mouseClick(caster->startButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!caster->burst()->isRunning(), 30000);
    QCOMPARE(caster->burst()->errors(), 0);
    QCOMPARE(caster->burst()->accepted(), 30);
    // 1, 2, 3 options per vote in turn: 30 votes select 60 options, spread evenly.
    const QJsonObject results = m_http->get(QStringLiteral("/api/v1/results/") + id, Admin).json;
    QCOMPARE(results.value(QStringLiteral("total")).toInteger(), 60);
    QCOMPARE(results.value(QStringLiteral("voters")).toInteger(), 30);
    for (const char *option : {"A", "B", "C", "D"})
        QCOMPARE(results.value(QStringLiteral("results"))
                     .toObject()
                     .value(QLatin1String(option))
                     .toInteger(),
                 15);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->totalLabel()->text(),
                              QStringLiteral("Total: 60 choices · 30 voters"), 10000);
    // A share is of the voters, as on the audience page and in the export.
    QCOMPARE(m_window->resultsPanel()->chart()->labelText(QStringLiteral("A")),
             QStringLiteral("15 · 50.0%"));
    // A reset names what it discards: choices, on such a poll.
    PollActions *actions = m_window->pollActions();
    actions->resetPoll()->trigger();
    QVERIFY(actions->confirmation());
    QCOMPARE(actions->confirmation()->text(),
             QStringLiteral("Reset the poll “Which talks?” and discard its 60 counted choices?"));
    actions->confirmation()->button(QMessageBox::Cancel)->click();
    QTRY_VERIFY(!actions->confirmation());
}

void TestUiPollSettings::resetAsksWithTheTotalAndZeroes()
{
    createPoll({{QStringLiteral("id"), QStringLiteral("reset-me")}});
    for (const char *option : {"A", "B", "B"})
        QCOMPARE(m_http
                     ->postJson(QStringLiteral("/api/v1/vote/reset-me"),
                                {{QStringLiteral("option_id"), QLatin1String(option)}})
                     .status,
                 202);
    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("reset-me")));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->total(), 3, 10000);
    PollActions *actions = m_window->pollActions();
    QTRY_VERIFY(actions->resetPoll()->isEnabled());

    // Cancel keeps the votes.
    actions->resetPoll()->trigger();
    QVERIFY(actions->confirmation());
    QCOMPARE(actions->confirmation()->text(),
             QStringLiteral("Reset the poll “Which talks?” and discard its 3 counted votes?"));
    actions->confirmation()->button(QMessageBox::Cancel)->click();
    QTRY_VERIFY(!actions->confirmation());
    QCOMPARE(UiTest::serverTotal(*m_http, QStringLiteral("reset-me")), 3);

    actions->resetPoll()->trigger();
    actions->confirmation()->findChild<QPushButton *>(QStringLiteral("confirmButton"))->click();
    QTRY_COMPARE_WITH_TIMEOUT(UiTest::serverTotal(*m_http, QStringLiteral("reset-me")), 0, 10000);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->total(), 0, 10000);
    QTRY_COMPARE(m_window->resultsPanel()->totalLabel()->text(), QStringLiteral("Total: 0 votes"));
    QTRY_VERIFY(m_window->resultsPanel()->badges()->resetLabel()->isVisible());
    // Votes after the reset count from zero, in the console too.
    QCOMPARE(m_http
                 ->postJson(QStringLiteral("/api/v1/vote/reset-me"),
                            {{QStringLiteral("option_id"), QStringLiteral("A")}})
                 .status,
             202);
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->total(), 1, 10000);
}

void TestUiPollSettings::revealShowsTheResults()
{
    createPoll({{QStringLiteral("id"), QStringLiteral("secret")},
                {QStringLiteral("results_visibility"), QStringLiteral("hidden")}});
    QCOMPARE(m_http
                 ->postJson(QStringLiteral("/api/v1/vote/secret"),
                            {{QStringLiteral("option_id"), QStringLiteral("C")}})
                 .status,
             202);
    // The audience cannot see the counts; the console, with the token, can.
    QCOMPARE(m_http->get(QStringLiteral("/api/v1/results/secret")).errorCode(),
             QStringLiteral("results_hidden"));
    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("secret")));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->total(), 1, 10000);
    QVERIFY(m_window->resultsPanel()->badges()->hiddenBadge()->isVisible());

    PollActions *actions = m_window->pollActions();
    QTRY_VERIFY(actions->revealResults()->isEnabled());
    actions->revealResults()->trigger();
    QTRY_COMPARE_WITH_TIMEOUT(m_http->get(QStringLiteral("/api/v1/results/secret")).status, 200,
                              10000);
    QTRY_VERIFY(!m_window->resultsPanel()->badges()->hiddenBadge()->isVisible());
    QVERIFY(!actions->revealResults()->isEnabled());
}

void TestUiPollSettings::exportSavesWhatTheServerSends_data()
{
    QTest::addColumn<QString>("fileName");
    QTest::addColumn<QString>("format");
    QTest::addRow("csv") << QStringLiteral("counts.csv") << QStringLiteral("csv");
    QTest::addRow("json") << QStringLiteral("counts.json") << QStringLiteral("json");
}

void TestUiPollSettings::exportSavesWhatTheServerSends()
{
    QFETCH(QString, fileName);
    QFETCH(QString, format);
    const QString id = QStringLiteral("export-") + format;
    createPoll({{QStringLiteral("id"), id}});
    for (const char *option : {"A", "D", "D"})
        QCOMPARE(m_http
                     ->postJson(QStringLiteral("/api/v1/vote/") + id,
                                {{QStringLiteral("option_id"), QLatin1String(option)}})
                     .status,
                 202);
    QVERIFY(UiTest::selectPoll(*m_window, id));
    PollActions *actions = m_window->pollActions();
    QTRY_VERIFY(actions->exportResults()->isEnabled());
    actions->exportResults()->trigger();
    QFileDialog *dialog = actions->exportDialog();
    QVERIFY(dialog);
    QCOMPARE(dialog->acceptMode(), QFileDialog::AcceptSave);
    QCOMPARE(dialog->nameFilters().size(), 2);

    // Not the default template: isolateSettings() makes the application name a path.
    QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/tally-export-XXXXXX"));
    QVERIFY(dir.isValid());
    const QString path = dir.filePath(fileName);
    QSignalSpy exported(actions, &PollActions::exported);
    dialog->selectFile(path);
    QMetaObject::invokeMethod(dialog, "accept"); // as the Save button does
    QTRY_COMPARE_WITH_TIMEOUT(exported.size(), 1, 10000);
    QCOMPARE(exported.at(0).at(0).toString(), path);
    QFile file(path);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray saved = file.readAll();
    const HttpResponse expected =
        m_http->get(QStringLiteral("/api/v1/polls/%1/export?format=%2").arg(id, format), Admin);
    QCOMPARE(expected.status, 200);
    if (format == u"csv") {
        // Counts at the moment of the export: the same bytes as asked for again.
        QCOMPARE(saved, expected.body);
        QVERIFY2(saved.startsWith("option_id,option_text,votes,percent"), saved.constData());
        QVERIFY2(saved.contains("\"A\",\"Qt\",1,") || saved.contains("A,Qt,1,"), saved.constData());
    } else {
        // The same document but for the moment it was made.
        QJsonObject savedJson = QJsonDocument::fromJson(saved).object();
        QJsonObject expectedJson = QJsonDocument::fromJson(expected.body).object();
        QVERIFY(!savedJson.isEmpty());
        QVERIFY(QDateTime::fromString(savedJson.take(QStringLiteral("exported_at")).toString(),
                                      Qt::ISODateWithMs)
                    .isValid());
        expectedJson.remove(QStringLiteral("exported_at"));
        QCOMPARE(savedJson, expectedJson);
    }
}

QTEST_MAIN(TestUiPollSettings)
#include "tst_ui_pollsettings.moc"
