// Poll administration through the console against a real server: the create dialog
// (filled in and accepted like an operator would), server-side errors shown in the
// dialog, the admin token, and close / open / delete with their confirmations.
#include "connectdialog.h"
#include "createpolldialog.h"
#include "elidedlabel.h"
#include "pollactions.h"
#include "resultschart.h"
#include "resultspanel.h"
#include "tallyprocess.h"
#include "uitestsupport.h"
#include "votecaster.h"

#include <QAction>
#include <QCheckBox>
#include <QComboBox>
#include <QLabel>
#include <QLineEdit>
#include <QMessageBox>
#include <QPushButton>
#include <QSignalSpy>
#include <QTableView>

#include <memory>

class TestUiCreatePoll : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void init();
    void cleanup();

    void emptyServerShowsWhatToDo();
    void dialogCreatesThePoll();
    void dialogOffersExistingThemes();
    void dialogShowsServerErrors();
    void closeOpenAndDeleteAskFirst();
    void adminTokenIsSentOnAdminCalls();
    void keyboardShortcuts();

private:
    CreatePollDialog *openDialog();
    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<HttpClient> m_http;
    std::unique_ptr<MainWindow> m_window;
};

void TestUiCreatePoll::initTestCase()
{
    UiTest::isolateSettings();
    m_server = std::make_unique<TallyProcess>();
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_http = std::make_unique<HttpClient>(m_server->url());
}

void TestUiCreatePoll::cleanupTestCase()
{
    m_http.reset();
    if (m_server)
        QCOMPARE(m_server->stop(), 0);
}

void TestUiCreatePoll::init()
{
    m_window = std::make_unique<MainWindow>();
    m_window->resize(1280, 800);
    m_window->show();
    m_window->connectTo(m_server->url());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->liveClient()->isConnected(), 15000);
}

void TestUiCreatePoll::cleanup()
{
    m_window.reset();
}

CreatePollDialog *TestUiCreatePoll::openDialog()
{
    QAction *action = m_window->pollActions()->newPoll();
    if (!action->isEnabled() || action->shortcut() != QKeySequence(QKeySequence::New))
        return nullptr;
    action->trigger();
    CreatePollDialog *dialog = m_window->createDialog();
    return dialog && dialog->isVisible() ? dialog : nullptr;
}

void TestUiCreatePoll::emptyServerShowsWhatToDo()
{
    QTRY_COMPARE_WITH_TIMEOUT(m_window->pollsView()->emptyLabel()->text(),
                              QStringLiteral("No polls yet — press Ctrl+N to create one."), 10000);
    QVERIFY(m_window->pollsView()->emptyLabel()->isVisible());
    QVERIFY(m_window->pollActions()->newPoll()->isEnabled());
    QVERIFY(!m_window->pollActions()->deletePoll()->isEnabled());
}

void TestUiCreatePoll::dialogCreatesThePoll()
{
    CreatePollDialog *dialog = openDialog();
    QVERIFY(dialog);
    QTest::keyClicks(dialog->questionEdit(), QStringLiteral("Which talk should run longer?"));
    dialog->themeBox()->setEditText(QStringLiteral("conference"));
    dialog->optionEdits()[0]->setText(QStringLiteral("Keynote"));
    dialog->optionEdits()[1]->setText(QStringLiteral("Storage deep dive"));
    dialog->addOptionButton()->click();
    QCOMPARE(dialog->optionEdits().size(), 3);
    QTest::keyClicks(dialog->optionEdits()[2], QStringLiteral("Lightning talks"));
    dialog->idEdit()->setText(QStringLiteral("talks-1"));
    dialog->oneVoteBox()->setChecked(true);
    QVERIFY(dialog->createButton()->isEnabled());
    QTest::mouseClick(dialog->createButton(), Qt::LeftButton);
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->createDialog(), 10000); // accepted and closed

    const HttpResponse list = m_http->get(QStringLiteral("/api/v1/polls"));
    QCOMPARE(list.status, 200);
    const QJsonArray polls = list.json.value(QStringLiteral("polls")).toArray();
    QJsonObject created;
    for (const QJsonValue &poll : polls) {
        if (poll.toObject().value(QStringLiteral("id")).toString() == u"talks-1")
            created = poll.toObject();
    }
    QVERIFY2(!created.isEmpty(), list.body.constData());
    QCOMPARE(created.value(QStringLiteral("question")).toString(),
             QStringLiteral("Which talk should run longer?"));
    QCOMPARE(created.value(QStringLiteral("theme")).toString(), QStringLiteral("conference"));
    QCOMPARE(created.value(QStringLiteral("status")).toString(), QStringLiteral("open"));
    QCOMPARE(created.value(QStringLiteral("one_vote_per_voter")).toBool(), true);
    const QJsonArray expectedOptions{
        QJsonObject{{QStringLiteral("id"), QStringLiteral("A")},
                    {QStringLiteral("text"), QStringLiteral("Keynote")}},
        QJsonObject{{QStringLiteral("id"), QStringLiteral("B")},
                    {QStringLiteral("text"), QStringLiteral("Storage deep dive")}},
        QJsonObject{{QStringLiteral("id"), QStringLiteral("C")},
                    {QStringLiteral("text"), QStringLiteral("Lightning talks")}}};
    QCOMPARE(created.value(QStringLiteral("options")).toArray(), expectedOptions);

    // The console shows the new poll, selected, with an empty chart of its options.
    QCOMPARE(m_window->pollsView()->selectedPollId(), QStringLiteral("talks-1"));
    QCOMPARE(m_window->resultsPanel()->questionLabel()->text(),
             QStringLiteral("Which talk should run longer?"));
    QCOMPARE(m_window->resultsPanel()->chart()->categories(),
             (QStringList{QStringLiteral("Keynote"), QStringLiteral("Storage deep dive"),
                          QStringLiteral("Lightning talks")}));
    QTRY_COMPARE(m_window->resultsPanel()->chart()->values(),
                 (QMap<QString, qint64>{{QStringLiteral("A"), 0},
                                        {QStringLiteral("B"), 0},
                                        {QStringLiteral("C"), 0}}));
    QVERIFY(m_window->voteCaster()->optionButton(QStringLiteral("C")));
}

void TestUiCreatePoll::dialogOffersExistingThemes()
{
    UiTest::createPoll(*m_http, QStringLiteral("theme-a"), QStringLiteral("Tea or coffee?"),
                       {QStringLiteral("Tea"), QStringLiteral("Coffee")}, QStringLiteral("drinks"));
    CreatePollDialog *dialog = openDialog();
    QVERIFY(dialog);
    QTRY_VERIFY_WITH_TIMEOUT(dialog->themeBox()->findText(QStringLiteral("drinks")) >= 0, 10000);
    QVERIFY(dialog->themeBox()->findText(QStringLiteral("conference")) >= 0);
    QVERIFY(dialog->themeBox()->currentText().isEmpty()); // offered, not imposed
    dialog->reject();
    // The list's theme filter offers them too and filters.
    QComboBox *filter = m_window->pollsView()->themeFilter();
    QTRY_VERIFY(filter->findText(QStringLiteral("drinks")) >= 0);
    filter->setCurrentIndex(filter->findText(QStringLiteral("drinks")));
    QTRY_COMPARE(m_window->pollsView()->table()->model()->rowCount(), 1);
    QCOMPARE(m_window->pollsView()->table()->model()->index(0, 0).data().toString(),
             QStringLiteral("Tea or coffee?"));
}

void TestUiCreatePoll::dialogShowsServerErrors()
{
    CreatePollDialog *dialog = openDialog();
    QVERIFY(dialog);
    dialog->questionEdit()->setText(QStringLiteral("Duplicate?"));
    dialog->optionEdits()[0]->setText(QStringLiteral("Yes"));
    dialog->optionEdits()[1]->setText(QStringLiteral("No"));
    dialog->idEdit()->setText(QStringLiteral("theme-a")); // taken
    dialog->createButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(dialog->serverErrorLabel()->isVisible(), 10000);
    QVERIFY2(dialog->serverErrorLabel()->text().startsWith(
                 QStringLiteral("The server did not create the poll: ")),
             qPrintable(dialog->serverErrorLabel()->text()));
    QVERIFY(dialog->serverErrorLabel()->text().contains(QStringLiteral("theme-a")));
    QVERIFY(dialog->isVisible());
    QVERIFY(dialog->createButton()->isEnabled()); // fix it and try again
    dialog->idEdit()->setText(QStringLiteral("theme-b"));
    dialog->createButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(!m_window->createDialog(), 10000);
    QCOMPARE(m_http->get(QStringLiteral("/api/v1/polls/theme-b")).status, 200);
}

void TestUiCreatePoll::closeOpenAndDeleteAskFirst()
{
    UiTest::createPoll(*m_http, QStringLiteral("admin-1"), QStringLiteral("Ship it?"),
                       {QStringLiteral("Yes"), QStringLiteral("No")});
    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("admin-1")));
    PollActions *actions = m_window->pollActions();
    QTRY_VERIFY(actions->closePoll()->isEnabled());
    QVERIFY(!actions->openPoll()->isEnabled());

    // Cancel changes nothing.
    actions->closePoll()->trigger();
    QMessageBox *box = actions->confirmation();
    QVERIFY(box);
    QCOMPARE(box->textFormat(), Qt::PlainText);
    QCOMPARE(box->text(), QStringLiteral("Close the poll “Ship it?”?"));
    box->button(QMessageBox::Cancel)->click();
    QTRY_VERIFY(!actions->confirmation());
    QTest::qWait(200);
    QCOMPARE(m_http->get(QStringLiteral("/api/v1/polls/admin-1"))
                 .json.value(QStringLiteral("status"))
                 .toString(),
             QStringLiteral("open"));

    actions->closePoll()->trigger();
    QVERIFY(actions->confirmation());
    actions->confirmation()->findChild<QPushButton *>(QStringLiteral("confirmButton"))->click();
    QTRY_COMPARE_WITH_TIMEOUT(m_http->get(QStringLiteral("/api/v1/polls/admin-1"))
                                  .json.value(QStringLiteral("status"))
                                  .toString(),
                              QStringLiteral("closed"), 10000);
    QTRY_VERIFY(actions->openPoll()->isEnabled());
    QVERIFY(!m_window->voteCaster()->optionButton(QStringLiteral("A"))->isEnabled());

    actions->openPoll()->trigger();
    actions->confirmation()->findChild<QPushButton *>(QStringLiteral("confirmButton"))->click();
    QTRY_COMPARE_WITH_TIMEOUT(m_http->get(QStringLiteral("/api/v1/polls/admin-1"))
                                  .json.value(QStringLiteral("status"))
                                  .toString(),
                              QStringLiteral("open"), 10000);
    QTRY_VERIFY(m_window->voteCaster()->optionButton(QStringLiteral("A"))->isEnabled());

    // Del deletes (after the confirmation).
    QCOMPARE(actions->deletePoll()->shortcut(), QKeySequence(QKeySequence::Delete));
    actions->deletePoll()->trigger();
    QVERIFY(actions->confirmation());
    QVERIFY(actions->confirmation()->text().startsWith(
        QStringLiteral("Delete the poll “Ship it?” and")));
    actions->confirmation()->findChild<QPushButton *>(QStringLiteral("confirmButton"))->click();
    QTRY_COMPARE_WITH_TIMEOUT(m_http->get(QStringLiteral("/api/v1/polls/admin-1")).status, 404,
                              10000);
    QTRY_COMPARE(m_window->pollModel()->rowOf(QStringLiteral("admin-1")), -1);
    QVERIFY(m_window->pollsView()->selectedPollId() != QStringLiteral("admin-1"));
}

void TestUiCreatePoll::adminTokenIsSentOnAdminCalls()
{
    TallyProcess guarded({QStringLiteral("--admin-token"), QStringLiteral("s3cret")});
    QVERIFY2(guarded.start(), qPrintable(guarded.diagnostics()));

    // Without the token the server refuses, and the dialog says how to fix it.
    MainWindow anonymous;
    anonymous.show();
    anonymous.connectTo(guarded.url());
    QTRY_VERIFY_WITH_TIMEOUT(anonymous.liveClient()->isConnected(), 15000);
    anonymous.showCreateDialog();
    CreatePollDialog *dialog = anonymous.createDialog();
    QVERIFY(dialog);
    dialog->questionEdit()->setText(QStringLiteral("Guarded?"));
    dialog->optionEdits()[0]->setText(QStringLiteral("Yes"));
    dialog->optionEdits()[1]->setText(QStringLiteral("No"));
    dialog->createButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(dialog->serverErrorLabel()->isVisible(), 10000);
    QVERIFY2(dialog->serverErrorLabel()->text().contains(QStringLiteral("Connect to")),
             qPrintable(dialog->serverErrorLabel()->text()));
    dialog->reject();

    // The token given on the command line is used...
    MainWindow admin(QStringLiteral("s3cret"));
    admin.show();
    admin.connectTo(guarded.url());
    QTRY_VERIFY_WITH_TIMEOUT(admin.liveClient()->isConnected(), 15000);
    admin.showCreateDialog();
    dialog = admin.createDialog();
    QVERIFY(dialog);
    dialog->questionEdit()->setText(QStringLiteral("Guarded?"));
    dialog->optionEdits()[0]->setText(QStringLiteral("Yes"));
    dialog->optionEdits()[1]->setText(QStringLiteral("No"));
    dialog->idEdit()->setText(QStringLiteral("guarded"));
    dialog->createButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(!admin.createDialog(), 10000);
    HttpClient http(guarded.url());
    QCOMPARE(http.get(QStringLiteral("/api/v1/polls/guarded")).status, 200);

    // ...and so is one given in the Connect dialog, which also switches servers.
    MainWindow operatorWindow;
    operatorWindow.show();
    operatorWindow.connectTo(m_server->url());
    QTRY_VERIFY_WITH_TIMEOUT(operatorWindow.liveClient()->isConnected(), 15000);
    operatorWindow.showConnectDialog();
    auto *connect = operatorWindow.findChild<ConnectDialog *>();
    QVERIFY(connect);
    QCOMPARE(connect->url(), m_server->url().adjusted(QUrl::StripTrailingSlash));
    QVERIFY(connect->urlBox()->findText(guarded.url().toString()) >= 0); // a recent server
    connect->urlBox()->setEditText(guarded.url().toString());
    connect->tokenEdit()->setText(QStringLiteral("s3cret"));
    connect->accept();
    QCOMPARE(operatorWindow.serverUrl().port(), guarded.url().port());
    QTRY_VERIFY_WITH_TIMEOUT(operatorWindow.liveClient()->isConnected(), 15000);
    QTRY_VERIFY(operatorWindow.pollModel()->rowOf(QStringLiteral("guarded")) >= 0);
    QVERIFY(operatorWindow.pollModel()->rowOf(QStringLiteral("talks-1")) < 0); // the other server's
    operatorWindow.showCreateDialog();
    dialog = operatorWindow.createDialog();
    QVERIFY(dialog);
    dialog->questionEdit()->setText(QStringLiteral("Via the dialog?"));
    dialog->optionEdits()[0]->setText(QStringLiteral("Yes"));
    dialog->optionEdits()[1]->setText(QStringLiteral("No"));
    dialog->idEdit()->setText(QStringLiteral("via-dialog"));
    dialog->createButton()->click();
    QTRY_VERIFY_WITH_TIMEOUT(!operatorWindow.createDialog(), 10000);
    QCOMPARE(http.get(QStringLiteral("/api/v1/polls/via-dialog")).status, 200);
    QCOMPARE(guarded.stop(), 0);
}

void TestUiCreatePoll::keyboardShortcuts()
{
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QTRY_VERIFY(m_window->pollActions()->newPoll()->isEnabled());
    QTest::keyClick(m_window.get(), Qt::Key_N, Qt::ControlModifier);
    QTRY_VERIFY(m_window->createDialog());
    CreatePollDialog *dialog = m_window->createDialog();
    QVERIFY(QTest::qWaitForWindowActive(dialog));
    QTest::keyClick(dialog, Qt::Key_Escape);
    QTRY_VERIFY(!m_window->createDialog());

    const auto action = [this](const char *name) {
        return m_window->findChild<QAction *>(QLatin1String(name));
    };
    QVERIFY(action("refreshAction")->shortcuts().contains(QKeySequence(Qt::Key_F5)));
    QCOMPARE(action("deletePollAction")->shortcut(), QKeySequence(QKeySequence::Delete));
    QCOMPARE(action("quitAction")->shortcut(), QKeySequence(QStringLiteral("Ctrl+Q")));
    for (const char *name : {"newPollAction", "closePollAction", "openPollAction",
                             "deletePollAction", "refreshAction", "connectAction"})
        QVERIFY2(!action(name)->toolTip().isEmpty(), name);

    // Ctrl+Q closes the window, which tells the embedded server to stop.
    m_window->activateWindow();
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    QSignalSpy closed(m_window.get(), &MainWindow::closed);
    QTest::keyClick(m_window.get(), Qt::Key_Q, Qt::ControlModifier);
    QTRY_COMPARE(closed.count(), 1);
    QVERIFY(!m_window->isVisible());
}

QTEST_MAIN(TestUiCreatePoll)
#include "tst_ui_createpoll.moc"
