// Accessibility of the console against a real server: every interactive widget of the
// main window and its dialogs has an accessible name, charts describe their values
// as text, Tab walks the window in reading order, every shortcut is listed in a
// menu, and the series colours stay apart for colour-blind readers.
#include "chartstyle.h"
#include "connectdialog.h"
#include "createpolldialog.h"
#include "healthcharts.h"
#include "pollactions.h"
#include "resultschart.h"
#include "resultspanel.h"
#include "shardview.h"
#include "tallyprocess.h"
#include "timeserieschart.h"
#include "uitestsupport.h"
#include "votecaster.h"

#include <QAbstractButton>
#include <QAbstractItemView>
#include <QAbstractSlider>
#include <QAbstractSpinBox>
#include <QAccessible>
#include <QAction>
#include <QApplication>
#include <QChartView>
#include <QComboBox>
#include <QDockWidget>
#include <QHeaderView>
#include <QLineEdit>
#include <QMenu>
#include <QMenuBar>
#include <QMessageBox>
#include <QPieSeries>
#include <QPieSlice>
#include <QPushButton>
#include <QScrollBar>
#include <QSpinBox>
#include <QTableView>
#include <QTableWidget>

#include <memory>

class TestUiAccessibility : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();
    void everyInteractiveWidgetHasAName();
    void chartsDescribeTheirValues();
    void tabFollowsTheReadingOrder();
    void everyShortcutIsInAMenu();
    void seriesColoursStayApart();

private:
    // Interactive widgets (buttons, inputs, lists, charts) under `root` without an
    // accessible name, as "class objectName" strings.
    static QStringList unnamed(QWidget *root);
    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<MainWindow> m_window;
};

void TestUiAccessibility::initTestCase()
{
    UiTest::isolateSettings();
    m_server = std::make_unique<TallyProcess>();
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    HttpClient http(m_server->url());
    UiTest::createPoll(http, QStringLiteral("a11y"), QStringLiteral("Readable by everyone?"),
                       {QStringLiteral("Yes"), QStringLiteral("No"), QStringLiteral("Maybe")},
                       QStringLiteral("access"));
    for (const char *option : {"A", "A", "C"})
        QCOMPARE(http.postJson(QStringLiteral("/api/v1/vote/a11y"),
                               {{QStringLiteral("option_id"), QLatin1String(option)}})
                     .status,
                 202);
    m_window = std::make_unique<MainWindow>();
    m_window->resize(1280, 800);
    m_window->show();
    m_window->connectTo(m_server->url());
    QTRY_VERIFY_WITH_TIMEOUT(m_window->liveClient()->isConnected(), 15000);
    QVERIFY(UiTest::selectPoll(*m_window, QStringLiteral("a11y")));
    QTRY_COMPARE_WITH_TIMEOUT(m_window->resultsPanel()->chart()->total(), 3, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->shardView()->table()->rowCount() > 0, 10000);
    QTRY_VERIFY_WITH_TIMEOUT(m_window->healthCharts()->bufferDepth()->pointCount() > 0, 10000);
}

void TestUiAccessibility::cleanupTestCase()
{
    m_window.reset();
    if (m_server)
        QCOMPARE(m_server->stop(), 0);
}

QStringList TestUiAccessibility::unnamed(QWidget *root)
{
    QStringList missing;
    QList<QWidget *> widgets = root->findChildren<QWidget *>();
    widgets.prepend(root);
    for (QWidget *widget : std::as_const(widgets)) {
        if (!widget->isVisibleTo(root) && widget != root)
            continue;
        const bool interactive =
            qobject_cast<QAbstractButton *>(widget) || qobject_cast<QComboBox *>(widget) ||
            qobject_cast<QLineEdit *>(widget) || qobject_cast<QAbstractSpinBox *>(widget) ||
            qobject_cast<QAbstractItemView *>(widget) || qobject_cast<QChartView *>(widget) ||
            (qobject_cast<QAbstractSlider *>(widget) && !qobject_cast<QScrollBar *>(widget));
        // A table's header is part of the table, which carries the name.
        if (!interactive || qobject_cast<QHeaderView *>(widget))
            continue;
        // The line edit inside an editable combo box or a spin box is part of it; the
        // box carries the name.
        if (qobject_cast<QLineEdit *>(widget) &&
            (qobject_cast<QComboBox *>(widget->parentWidget()) ||
             qobject_cast<QAbstractSpinBox *>(widget->parentWidget())))
            continue;
        QAccessibleInterface *accessible = QAccessible::queryAccessibleInterface(widget);
        const QString name = accessible ? accessible->text(QAccessible::Name).trimmed() : QString();
        if (name.isEmpty())
            missing.append(QStringLiteral("%1 \"%2\" in %3")
                               .arg(QString::fromLatin1(widget->metaObject()->className()),
                                    widget->objectName(),
                                    widget->parentWidget()
                                        ? QString::fromLatin1(
                                              widget->parentWidget()->metaObject()->className())
                                        : QString()));
    }
    return missing;
}

void TestUiAccessibility::everyInteractiveWidgetHasAName()
{
    QStringList missing = unnamed(m_window.get());
    QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QStringLiteral("\n"))));

    m_window->showCreateDialog();
    CreatePollDialog *create = m_window->createDialog();
    QVERIFY(create);
    create->addOption();
    missing = unnamed(create);
    QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QStringLiteral("\n"))));
    create->reject();

    m_window->showConnectDialog();
    auto *connect = m_window->findChild<ConnectDialog *>();
    QVERIFY(connect);
    missing = unnamed(connect);
    QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QStringLiteral("\n"))));
    connect->reject();

    m_window->pollActions()->deletePoll()->trigger();
    QMessageBox *confirmation = m_window->pollActions()->confirmation();
    QVERIFY(confirmation);
    missing = unnamed(confirmation);
    QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QStringLiteral("\n"))));
    confirmation->reject();
}

void TestUiAccessibility::chartsDescribeTheirValues()
{
    ResultsChart *chart = m_window->resultsPanel()->chart();
    QCOMPARE(chart->accessibleName(), QStringLiteral("Results chart"));
    QCOMPARE(chart->accessibleDescription(),
             QStringLiteral("Yes: 2 votes, 66.7%; No: 0 votes, 0.0%; Maybe: 1 vote, 33.3%"));
    for (TimeSeriesChart *health : m_window->healthCharts()->charts()) {
        if (health->isHidden())
            continue;
        const QString description = health->accessibleDescription();
        if (health->pointCount() == 0) {
            QCOMPARE(description, health->name() + QStringLiteral(": no data yet."));
            continue;
        }
        QVERIFY2(description.startsWith(health->titleText() + QStringLiteral(". Lowest ")),
                 qPrintable(description));
    }
    QVERIFY2(m_window->shardView()->pieText().startsWith(QStringLiteral("Ring share per shard: ")),
             qPrintable(m_window->shardView()->pieText()));
}

void TestUiAccessibility::tabFollowsTheReadingOrder()
{
    QApplication::setActiveWindow(m_window.get());
    QVERIFY(QTest::qWaitForWindowActive(m_window.get()));
    m_window->pollsView()->themeFilter()->setFocus(Qt::TabFocusReason);
    QTRY_COMPARE(QApplication::focusWidget(),
                 static_cast<QWidget *>(m_window->pollsView()->themeFilter()));
    QList<QWidget *> visited;
    for (int i = 0; i < 60 && !visited.contains(QApplication::focusWidget()); ++i) {
        visited.append(QApplication::focusWidget());
        QTest::keyClick(QApplication::focusWidget(), Qt::Key_Tab);
    }
    const QList<QWidget *> landmarks{
        m_window->pollsView()->table(),
        m_window->resultsPanel()->chart(),
        m_window->voteCaster()->optionButton(QStringLiteral("A")),
        m_window->voteCaster()->countBox(),
        m_window->shardView()->table(),
        m_window->shardView()->pieView(),
        m_window->healthCharts()->bufferDepth(),
        m_window->healthCharts()->requestRate(),
    };
    qsizetype last = -1;
    for (QWidget *landmark : landmarks) {
        QWidget *focused = landmark->focusProxy() ? landmark->focusProxy() : landmark;
        const qsizetype at = visited.indexOf(focused);
        QVERIFY2(at > last, qPrintable(QStringLiteral("%1 reached at %2, after %3")
                                           .arg(landmark->objectName())
                                           .arg(at)
                                           .arg(last)));
        last = at;
    }
    // Ctrl+1..5 jump to each part of the window.
    QTest::keyClick(m_window.get(), Qt::Key_4, Qt::ControlModifier);
    QTRY_COMPARE(QApplication::focusWidget(),
                 static_cast<QWidget *>(m_window->shardView()->table()));
    QTest::keyClick(m_window.get(), Qt::Key_1, Qt::ControlModifier);
    QTRY_COMPARE(QApplication::focusWidget(),
                 static_cast<QWidget *>(m_window->pollsView()->table()));
}

void TestUiAccessibility::everyShortcutIsInAMenu()
{
    QSet<QAction *> inMenus;
    for (QMenu *menu : m_window->menuBar()->findChildren<QMenu *>()) {
        for (QAction *action : menu->actions())
            inMenus.insert(action);
    }
    QStringList missing;
    for (QAction *action : m_window->findChildren<QAction *>()) {
        if (!action->shortcut().isEmpty() && !inMenus.contains(action))
            missing.append(action->text() + u' ' + action->shortcut().toString());
    }
    QVERIFY2(missing.isEmpty(), qPrintable(missing.join(QStringLiteral(", "))));
    QVERIFY(inMenus.contains(m_window->pollActions()->deletePoll()));
}

void TestUiAccessibility::seriesColoursStayApart()
{
    QPalette light = m_window->palette();
    const QList<QColor> colours = ChartStyle::series(light, 7);
    // The Okabe-Ito palette, in its order (black left out).
    QCOMPARE(colours.first(), QColor(0x00, 0x72, 0xB2));
    QCOMPARE(colours.at(1), QColor(0xE6, 0x9F, 0x00));
    for (int i = 0; i < colours.size(); ++i)
        for (int j = i + 1; j < colours.size(); ++j)
            QVERIFY(colours.at(i) != colours.at(j));
    // On a dark palette the pie follows it: the slices' borders are the dark base.
    QPalette dark = light;
    dark.setColor(QPalette::Base, QColor(25, 25, 25));
    dark.setColor(QPalette::Window, QColor(40, 40, 40));
    dark.setColor(QPalette::WindowText, QColor(230, 230, 230));
    m_window->shardView()->setPalette(dark);
    QTRY_VERIFY(m_window->shardView()->pie()->count() > 0);
    QCOMPARE(m_window->shardView()->pie()->slices().first()->borderColor(), QColor(25, 25, 25));
    QCOMPARE(m_window->shardView()->pie()->slices().first()->labelColor(), QColor(230, 230, 230));
}

QTEST_MAIN(TestUiAccessibility)
#include "tst_ui_accessibility.moc"
