// The console's languages: the German catalogue has a finished translation for every
// string of the current sources (and nothing stale), the English one every plural form,
// and the German console at 1280x800 shows all of its text without clipping.
#include "consolelanguage.h"
#include "createpolldialog.h"
#include "healthcharts.h"
#include "httpclient.h"
#include "liveclient.h"
#include "mainwindow.h"
#include "polllistmodel.h"
#include "presenterview.h"
#include "startupdialog.h"
#include "tallyprocess.h"
#include "testkit.h"
#include "uitestsupport.h"
#include "uitext.h"

#include <QAbstractButton>
#include <QApplication>
#include <QCheckBox>
#include <QDeadlineTimer>
#include <QDialogButtonBox>
#include <QDir>
#include <QDockWidget>
#include <QFile>
#include <QGroupBox>
#include <QJsonArray>
#include <QLabel>
#include <QProcess>
#include <QPushButton>
#include <QTemporaryDir>
#include <QTest>
#include <QToolButton>
#include <QXmlStreamReader>

namespace {

struct CatalogueCheck {
    int messages = 0;
    QStringList problems; // one line per unfinished, stale or empty entry
};

// Runs lupdate over the console's sources into a copy of `tsFile` (as the
// update_translations target does, minus dropping stale entries) and lists what is not
// finished in the result.
CatalogueCheck checkCatalogue(const QString &tsFile, const QStringList &extraOptions,
                              QString *error)
{
    CatalogueCheck check;
    QTemporaryDir work(QDir::tempPath() + QStringLiteral("/tally-ts-XXXXXX"));
    const QString copy = work.filePath(QFileInfo(tsFile).fileName());
    if (!QFile::copy(tsFile, copy)) {
        *error = QStringLiteral("cannot copy %1").arg(tsFile);
        return check;
    }
    QProcess lupdate;
    lupdate.start(
        QStringLiteral(TALLY_LUPDATE),
        QStringList{QStringLiteral("-locations"), QStringLiteral("none")} + extraOptions +
            QStringList{QStringLiteral(TALLY_UI_SOURCE_DIR), QStringLiteral("-ts"), copy});
    if (!lupdate.waitForFinished(60000) || lupdate.exitCode() != 0) {
        *error = QStringLiteral("lupdate failed: %1")
                     .arg(QString::fromUtf8(lupdate.readAllStandardError()));
        return check;
    }
    QFile file(copy);
    if (!file.open(QIODevice::ReadOnly)) {
        *error = QStringLiteral("cannot read %1").arg(copy);
        return check;
    }
    QXmlStreamReader xml(file.readAll());
    QString context, source, type, text;
    QStringList forms;
    bool numerus = false;
    bool inTranslation = false;
    while (!xml.atEnd()) {
        xml.readNext();
        if (xml.isStartElement()) {
            if (xml.name() == u"name") {
                context = xml.readElementText();
            } else if (xml.name() == u"message") {
                ++check.messages;
                numerus = xml.attributes().value(QStringLiteral("numerus")) == u"yes";
            } else if (xml.name() == u"source") {
                source = xml.readElementText();
            } else if (xml.name() == u"translation") {
                inTranslation = true;
                type = xml.attributes().value(QStringLiteral("type")).toString();
                forms.clear();
                text.clear();
            } else if (xml.name() == u"numerusform") {
                forms.append(xml.readElementText());
            }
        } else if (xml.isCharacters() && inTranslation) {
            text += xml.text();
        } else if (xml.isEndElement() && xml.name() == u"translation") {
            inTranslation = false;
            const QString where = QStringLiteral("%1: \"%2\"").arg(context, source);
            if (!type.isEmpty())
                check.problems.append(QStringLiteral("%1 (%2)").arg(where, type));
            else if (numerus ? forms.isEmpty() || forms.contains(QString())
                             : text.trimmed().isEmpty())
                check.problems.append(QStringLiteral("%1 (empty)").arg(where));
        }
    }
    if (xml.hasError())
        *error = xml.errorString();
    return check;
}

// Every visible text of `root` that does not fit the room its widget has.
QStringList clippedTexts(QWidget *root)
{
    QStringList clipped;
    auto describe = [](QWidget *widget, const QString &text, int needed, int has) {
        return QStringLiteral("%1 %2 \"%3\": needs %4 px, has %5")
            .arg(QString::fromLatin1(widget->metaObject()->className()), widget->objectName(), text)
            .arg(needed)
            .arg(has);
    };
    auto shown = [](QString text) {
        return text.replace(QStringLiteral("&&"), QStringLiteral("\x01"))
            .remove(u'&')
            .replace(u'\x01', u'&');
    };
    QList<QWidget *> widgets = root->findChildren<QWidget *>();
    widgets.prepend(root);
    for (QWidget *widget : std::as_const(widgets)) {
        if (!widget->isVisible() || widget->width() <= 0)
            continue;
        if (auto *label = qobject_cast<QLabel *>(widget)) {
            if (label->text().isEmpty() || label->textFormat() == Qt::RichText ||
                (label->textFormat() == Qt::AutoText && Qt::mightBeRichText(label->text())))
                continue;
            const QString text = label->buddy() ? shown(label->text()) : label->text();
            const int room =
                label->contentsRect().width() - 2 * label->margin() - qMax(label->indent(), 0);
            if (label->wordWrap()) {
                const int needed = label->heightForWidth(label->width());
                if (needed > label->height() + 1)
                    clipped.append(describe(label, text, needed, label->height()) +
                                   QStringLiteral(" (height)"));
                continue;
            }
            int needed = 0;
            for (const QString &line : text.split(u'\n'))
                needed = qMax(needed, label->fontMetrics().horizontalAdvance(line));
            if (needed > room)
                clipped.append(describe(label, text, needed, room));
        } else if (auto *button = qobject_cast<QAbstractButton *>(widget)) {
            if (button->text().isEmpty())
                continue;
            if (button->sizeHint().width() > button->width())
                clipped.append(describe(button, shown(button->text()), button->sizeHint().width(),
                                        button->width()));
        } else if (auto *group = qobject_cast<QGroupBox *>(widget)) {
            const int needed = group->fontMetrics().horizontalAdvance(shown(group->title())) + 16;
            if (!group->title().isEmpty() && needed > group->width())
                clipped.append(describe(group, group->title(), needed, group->width()));
        } else if (auto *dock = qobject_cast<QDockWidget *>(widget)) {
            // The title bar also holds the float button.
            const int needed = dock->fontMetrics().horizontalAdvance(dock->windowTitle()) + 48;
            if (!dock->isFloating() && needed > dock->width())
                clipped.append(describe(dock, dock->windowTitle(), needed, dock->width()));
        }
    }
    return clipped;
}

using TestKit::waitFor;

// With TALLY_SCREENSHOT_DIR set, the screenshots land there (docs/screenshots).
void saveScreenshot(QWidget *widget, const QString &name)
{
    const QString dir = qEnvironmentVariable("TALLY_SCREENSHOT_DIR");
    if (dir.isEmpty())
        return;
    QVERIFY(widget->grab().save(QDir(dir).filePath(name)));
}

// Screenshots show some health history; without them nothing waits.
void settleForScreenshot()
{
    if (!qEnvironmentVariableIsEmpty("TALLY_SCREENSHOT_DIR"))
        QTest::qWait(qEnvironmentVariableIntValue("TALLY_SCREENSHOT_SETTLE") * 1000 + 1000);
}

QPalette darkPalette()
{
    QPalette palette;
    palette.setColor(QPalette::Window, QColor(0x2b, 0x2d, 0x31));
    palette.setColor(QPalette::WindowText, QColor(0xe6, 0xe6, 0xe6));
    palette.setColor(QPalette::Base, QColor(0x1e, 0x1f, 0x22));
    palette.setColor(QPalette::AlternateBase, QColor(0x2b, 0x2d, 0x31));
    palette.setColor(QPalette::Text, QColor(0xe6, 0xe6, 0xe6));
    palette.setColor(QPalette::Button, QColor(0x3c, 0x3f, 0x44));
    palette.setColor(QPalette::ButtonText, QColor(0xe6, 0xe6, 0xe6));
    palette.setColor(QPalette::ToolTipBase, QColor(0x3c, 0x3f, 0x44));
    palette.setColor(QPalette::ToolTipText, QColor(0xe6, 0xe6, 0xe6));
    palette.setColor(QPalette::Highlight, QColor(0x4f, 0x9c, 0xf5));
    palette.setColor(QPalette::HighlightedText, QColor(0x10, 0x10, 0x10));
    palette.setColor(QPalette::PlaceholderText, QColor(0x9a, 0x9d, 0xa3));
    palette.setColor(QPalette::Link, QColor(0x7a, 0xb7, 0xff));
    palette.setColor(QPalette::Mid, QColor(0x55, 0x58, 0x5e));
    palette.setColor(QPalette::Dark, QColor(0x18, 0x19, 0x1b));
    palette.setColor(QPalette::Light, QColor(0x4a, 0x4d, 0x52));
    palette.setColor(QPalette::Disabled, QPalette::WindowText, QColor(0x80, 0x80, 0x80));
    palette.setColor(QPalette::Disabled, QPalette::Text, QColor(0x80, 0x80, 0x80));
    palette.setColor(QPalette::Disabled, QPalette::ButtonText, QColor(0x80, 0x80, 0x80));
    return palette;
}

} // namespace

class TestUiTranslations : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void germanCatalogueIsCompleteAndCurrent();
    void englishCatalogueHasEveryPluralForm();
    void germanIsInstalledWithItsNumbersAndPlurals();
    void germanConsoleFitsItsText();
    void germanStartupDialogFitsItsText();
    void darkConsole();

private:
    void fillDemoPolls(HttpClient &http);
    std::unique_ptr<TallyProcess> m_server;
};

void TestUiTranslations::initTestCase()
{
    UiTest::isolateSettings();
    QApplication::setStyle(QStringLiteral("Fusion"));
    const QLocale locale = ConsoleLanguage::install(qApp, QStringLiteral("de"));
    QCOMPARE(locale.language(), QLocale::German);
    m_server = std::make_unique<TallyProcess>();
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    HttpClient http(m_server->url());
    fillDemoPolls(http);
}

void TestUiTranslations::fillDemoPolls(HttpClient &http)
{
    UiTest::createPoll(
        http, QStringLiteral("keynote"),
        QStringLiteral("Which keynote topic should open next year's conference?"),
        {QStringLiteral("Distributed systems in practice"), QStringLiteral("Developer experience"),
         QStringLiteral("Security by default"), QStringLiteral("Open source sustainability")},
        QStringLiteral("conference"));
    UiTest::createPoll(http, QStringLiteral("lunch"),
                       QStringLiteral("Where should the team lunch be on Friday?"),
                       {QStringLiteral("Thai place on 5th"), QStringLiteral("Pizza downstairs"),
                        QStringLiteral("Food trucks in the park")},
                       QStringLiteral("conference"));
    UiTest::createPoll(http, QStringLiteral("retro"), QStringLiteral("How did this sprint feel?"),
                       {QStringLiteral("Great"), QStringLiteral("Good"), QStringLiteral("Okay"),
                        QStringLiteral("Rough")},
                       QStringLiteral("team"));
    const int counts[] = {1412, 287, 198, 133};
    QJsonArray votes;
    for (int option = 0; option < 4; ++option)
        for (int i = 0; i < counts[option]; ++i)
            votes.append(QJsonObject{{QStringLiteral("poll_id"), QStringLiteral("keynote")},
                                     {QStringLiteral("option_id"), QString(QChar(u'A' + option))}});
    for (qsizetype start = 0; start < votes.size(); start += 100) {
        QJsonArray chunk;
        for (qsizetype i = start; i < qMin(votes.size(), start + 100); ++i)
            chunk.append(votes.at(i));
        QCOMPARE(http.postJson(QStringLiteral("/api/v1/votes"),
                               QJsonObject{{QStringLiteral("votes"), chunk}})
                     .status,
                 202);
    }
    QCOMPARE(http.post(QStringLiteral("/api/v1/polls/retro/close"), {}).status, 200);
}

void TestUiTranslations::germanCatalogueIsCompleteAndCurrent()
{
    QString error;
    const CatalogueCheck check =
        checkCatalogue(QStringLiteral(TALLY_UI_SOURCE_DIR "/translations/tally_de.ts"), {}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY(check.messages > 100);
    QVERIFY2(
        check.problems.isEmpty(),
        qPrintable(QStringLiteral("%1 of %2 entries need work (run the update_translations target, "
                                  "then translate):\n%3")
                       .arg(check.problems.size())
                       .arg(check.messages)
                       .arg(check.problems.join(u'\n'))));
}

void TestUiTranslations::englishCatalogueHasEveryPluralForm()
{
    QString error;
    const CatalogueCheck check =
        checkCatalogue(QStringLiteral(TALLY_UI_SOURCE_DIR "/translations/tally_en.ts"),
                       {QStringLiteral("-pluralonly")}, &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    QVERIFY2(check.problems.isEmpty(), qPrintable(check.problems.join(u'\n')));
}

void TestUiTranslations::germanIsInstalledWithItsNumbersAndPlurals()
{
    QCOMPARE(UiText::number(1234567), QStringLiteral("1.234.567"));
    QCOMPARE(StartupDialog::tr("Port %1 is already in use").arg(8000),
             QStringLiteral("Port 8000 wird bereits verwendet"));
    MainWindow window;
    auto *polls = window.findChild<QDockWidget *>(QStringLiteral("pollsDock"));
    QVERIFY(polls);
    QCOMPARE(polls->windowTitle(), QStringLiteral("Umfragen"));
    // Qt's own catalogue: standard buttons of the confirmations and dialogs.
    QDialogButtonBox buttons(QDialogButtonBox::Ok | QDialogButtonBox::Cancel);
    QCOMPARE(buttons.button(QDialogButtonBox::Cancel)->text(), QStringLiteral("Abbrechen"));
    QCOMPARE(CreatePollDialog::tr("%n poll(s)", nullptr, 1), QStringLiteral("1 Umfrage"));
    QCOMPARE(CreatePollDialog::tr("%n poll(s)", nullptr, 3), QStringLiteral("3 Umfragen"));
}

void TestUiTranslations::germanConsoleFitsItsText()
{
    MainWindow window;
    window.setGeometry(0, 0, 1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.connectTo(m_server->url());
    QVERIFY(UiTest::selectPoll(window, QStringLiteral("keynote")));
    QVERIFY(
        waitFor([&] { return window.pollModel()->totalOf(QStringLiteral("keynote")) == 2030; }));
    QVERIFY(waitFor([&] { return !window.versionText().isEmpty(); })); // stats arrived
    settleForScreenshot();
    QCOMPARE(window.size(), QSize(1280, 800));
    QCoreApplication::processEvents(); // layouts follow the last texts set
    QStringList clipped = clippedTexts(&window);
    // The presenter view of the same poll, at the same size.
    window.showPresenter();
    QWidget *presenter = window.presenter();
    QVERIFY(presenter);
    presenter->showNormal();
    presenter->setGeometry(0, 0, 1280, 800);
    QVERIFY(QTest::qWaitForWindowExposed(presenter));
    clipped += clippedTexts(presenter);
    saveScreenshot(presenter, QStringLiteral("presenter-de-1280x800.png"));
    presenter->close();
    QVERIFY2(clipped.isEmpty(), qPrintable(clipped.join(u'\n')));
}

void TestUiTranslations::germanStartupDialogFitsItsText()
{
    MainWindow window;
    window.setGeometry(0, 0, 1280, 800);
    window.show();
    StartupDialog::Details details;
    details.problem = StartupDialog::Problem::DataDirLocked;
    details.otherPid = 4242;
    details.dataDir = QStringLiteral("/home/operator/.local/share/tally");
    details.runningUrl = QUrl(QStringLiteral("http://127.0.0.1:8000"));
    details.technical =
        QStringLiteral("another Tally (pid 4242) is already using the data directory "
                       "/home/operator/.local/share/tally; stop it or choose another --data-dir");
    StartupDialog dialog(details, &window);
    dialog.show();
    QVERIFY(QTest::qWaitForWindowExposed(&dialog));
    QCOMPARE(dialog.title(),
             QStringLiteral("Das Datenverzeichnis wird von einem anderen Tally verwendet"));
    const QStringList clipped = clippedTexts(&dialog);
    saveScreenshot(&dialog, QStringLiteral("startup-dialog-de.png"));
    QVERIFY2(clipped.isEmpty(), qPrintable(clipped.join(u'\n')));
}

void TestUiTranslations::darkConsole()
{
    const QPalette original = QApplication::palette();
    QApplication::setPalette(darkPalette());
    MainWindow window;
    window.setGeometry(0, 0, 1280, 800);
    window.show();
    QVERIFY(QTest::qWaitForWindowExposed(&window));
    window.connectTo(m_server->url());
    QVERIFY(UiTest::selectPoll(window, QStringLiteral("keynote")));
    QVERIFY(
        waitFor([&] { return window.pollModel()->totalOf(QStringLiteral("keynote")) == 2030; }));
    QVERIFY(waitFor([&] { return !window.versionText().isEmpty(); }));
    settleForScreenshot();
    // The window paints with the dark palette (not a light default somewhere).
    const QImage image = window.grab().toImage();
    QVERIFY(qGray(image.pixel(640, 780)) < 128);
    saveScreenshot(&window, QStringLiteral("console-dark-de-1280x800.png"));
    QApplication::setPalette(original);
}

QTEST_MAIN(TestUiTranslations)
#include "tst_ui_translations.moc"
