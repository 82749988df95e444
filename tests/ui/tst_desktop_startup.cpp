// The desktop application's start-up paths: a busy port, another Tally on the port or
// the data directory, an unwritable data directory, invalid settings and a second
// launch. The launcher runs in this process (the same code as the binary) with a real
// embedded server; the other Tally, and the binary's own behaviour, are real `tally`
// processes.
#include "commandline.h"
#include "desktoplauncher.h"
#include "httpclient.h"
#include "liveclient.h"
#include "mainwindow.h"
#include "polllistmodel.h"
#include "startupdialog.h"
#include "tallyprocess.h"
#include "tallyserver.h"
#include "testkit.h"
#include "uitestsupport.h"

#include <QAbstractButton>
#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QLabel>
#include <QLineEdit>
#include <QSettings>
#include <QSignalSpy>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>

namespace {

using Choice = StartupDialog::Choice;

LaunchConfig configFor(const QStringList &arguments)
{
    QStringList argv{QStringLiteral("tally")};
    argv += arguments;
    const Outcome<LaunchConfig> resolved =
        CommandLine::resolve(argv, TallyProcess::cleanEnvironment());
    if (!resolved)
        qFatal("test settings rejected: %s", qPrintable(resolved.error().message));
    return resolved.value();
}

// A private directory under the temporary directory (the default template would use
// the test's application name, which isolateSettings() sets to a path).
std::unique_ptr<QTemporaryDir> scratchDir()
{
    auto dir =
        std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/tally-desktop-XXXXXX"));
    if (!dir->isValid())
        qFatal("cannot create a temporary directory: %s", qPrintable(dir->errorString()));
    return dir;
}

using TestKit::waitFor;

StartupDialog *waitForDialog(DesktopLauncher &launcher)
{
    waitFor([&] { return launcher.startupDialog() && launcher.startupDialog()->isVisible(); });
    return launcher.startupDialog();
}

// The desktop binary (not headless) on the offscreen platform.
struct ConsoleProcess {
    QTemporaryDir config{QDir::tempPath() +
                         QStringLiteral("/tally-console-XXXXXX")}; // own settings
    QProcess process;
    QByteArray out;
    QByteArray err;

    void start(const QStringList &arguments)
    {
        QProcessEnvironment environment = TallyProcess::cleanEnvironment();
        environment.insert(QStringLiteral("QT_QPA_PLATFORM"), QStringLiteral("offscreen"));
        environment.insert(QStringLiteral("XDG_CONFIG_HOME"), config.path());
        process.setProcessEnvironment(environment);
        process.start(TallyProcess::binaryPath(), arguments);
    }
    void collect()
    {
        out += process.readAllStandardOutput();
        err += process.readAllStandardError();
    }
    bool waitForOutput(const QByteArray &text, bool onStderr, int timeoutMs = 15000)
    {
        const QDeadlineTimer deadline(timeoutMs);
        for (;;) {
            collect();
            if ((onStderr ? err : out).contains(text))
                return true;
            if (deadline.hasExpired() || process.state() == QProcess::NotRunning)
                return false;
            process.waitForReadyRead(int(qMin<qint64>(deadline.remainingTime(), 100)));
        }
    }
    int terminate()
    {
        if (process.state() != QProcess::NotRunning) {
            ::kill(pid_t(process.processId()), SIGTERM);
            if (!process.waitForFinished(20000)) {
                process.kill();
                process.waitForFinished();
                return -1;
            }
        }
        collect();
        return process.exitStatus() == QProcess::NormalExit ? process.exitCode() : -1;
    }
    QString describe() const
    {
        return QStringLiteral("--- stdout ---\n%1\n--- stderr ---\n%2")
            .arg(QString::fromUtf8(out), QString::fromUtf8(err));
    }
    ~ConsoleProcess() { terminate(); }
};

} // namespace

class TestDesktopStartup : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { UiTest::isolateSettings(); }
    void init() { QSettings().clear(); } // no last connection from another test

    void busyPortOffersAFreePort();
    void tallyOnThePortCanBeWatched();
    void lockedDataDirectoryOffersAnother();
    void lockHolderWithoutAPidIsNotNumbered();
    void unwritableDataDirectoryOffersAnotherOrQuit();
    void invalidSettingsOfferDefaultsOrQuit();
    void binaryOpensTheConsoleOnABusyPort();
    void binaryOpensTheConsoleOnInvalidSettings();
    void headlessKeepsItsExitCodes();
    void secondLaunchHandsOverToTheFirst();
    void secondLaunchBringsThisWindowToTheFront();
    void lastRemoteConnectionIsRestored();
};

void TestDesktopStartup::busyPortOffersAFreePort()
{
    QTcpServer other; // another program on the port
    QVERIFY(other.listen(QHostAddress::LocalHost));
    const quint16 port = other.serverPort();
    const auto dataDir = scratchDir();
    QTemporaryDir &data = *dataDir;
    DesktopLauncher launcher(configFor({QStringLiteral("--port"), QString::number(port),
                                        QStringLiteral("--data-dir"), data.path()}));
    QSignalSpy started(&launcher, &DesktopLauncher::serverStarted);
    QSignalSpy failed(&launcher, &DesktopLauncher::serverFailed);
    launcher.start();

    StartupDialog *dialog = waitForDialog(launcher);
    QVERIFY(dialog);
    QCOMPARE(failed.count(), 1);
    QCOMPARE(failed.at(0).at(0).toString().startsWith(
                 QStringLiteral("cannot listen on 127.0.0.1:%1").arg(port)),
             true);
    QVERIFY(launcher.window()->isVisible());
    QCOMPARE(dialog->title(), QStringLiteral("Port %1 is already in use").arg(port));
    QCOMPARE(dialog->explanation(),
             QStringLiteral("Another program is listening on port %1 of 127.0.0.1, so Tally cannot "
                            "start its server there. Tally can start on a free port instead.")
                 .arg(port));
    QCOMPARE(dialog->choices(), (QList<Choice>{Choice::FreePort, Choice::Quit}));
    QCOMPARE(dialog->button(Choice::FreePort)->text(), QStringLiteral("Start on a &free port"));

    dialog->button(Choice::FreePort)->click();
    QVERIFY(waitFor([&] { return started.count() == 1; }));
    const QUrl url = started.at(0).at(0).toUrl();
    QVERIFY(url.port() > 0);
    QVERIFY(url.port() != port);
    QCOMPARE(launcher.server()->url(), url);
    HttpClient http(url);
    QCOMPARE(http.get(QStringLiteral("/api/v1/polls")).status, 200);
    QVERIFY(waitFor([&] { return launcher.window()->liveClient()->isConnected(); }));
    QCOMPARE(launcher.window()->serverUrl(), url);

    QSignalSpy finished(&launcher, &DesktopLauncher::finished);
    launcher.shutdown();
    QVERIFY(waitFor([&] { return finished.count() == 1; }));
    QCOMPARE(finished.at(0).at(0).toInt(), 0);
}

void TestDesktopStartup::lockHolderWithoutAPidIsNotNumbered()
{
    // A lock taken an instant ago may not name its holder yet: the sentences then leave
    // the process out instead of saying "process 0".
    StartupDialog::Details details;
    details.problem = StartupDialog::Problem::DataDirLocked;
    details.dataDir = QStringLiteral("/srv/tally");
    details.runningUrl = QUrl(QStringLiteral("http://127.0.0.1:8000"));
    QCOMPARE(StartupDialog(details).explanation(),
             QStringLiteral("Another Tally keeps its polls in /srv/tally and serves them at "
                            "http://127.0.0.1:8000. Only one Tally can use a data directory at a "
                            "time: watch that one, or choose another directory for this one."));
    details.runningUrl = QUrl();
    QCOMPARE(StartupDialog(details).explanation(),
             QStringLiteral("Another Tally keeps its polls in /srv/tally. Only one Tally can use "
                            "a data directory at a time: choose another directory for this one."));
    details.otherPid = 4242;
    QCOMPARE(StartupDialog(details).explanation(),
             QStringLiteral("Another Tally (process 4242) keeps its polls in /srv/tally. Only one "
                            "Tally can use a data directory at a time: choose another directory "
                            "for this one."));
    details.problem = StartupDialog::Problem::PortTakenByTally;
    details.port = 8000;
    details.otherPid = 0;
    QCOMPARE(StartupDialog(details).explanation(),
             QStringLiteral("Another Tally is already listening on port 8000. You can watch that "
                            "server in this window, or start this one on a free port."));
}

void TestDesktopStartup::tallyOnThePortCanBeWatched()
{
    TallyProcess other;
    QVERIFY2(other.start(), qPrintable(other.diagnostics()));
    HttpClient otherHttp(other.url());
    UiTest::createPoll(otherHttp, QStringLiteral("theirs"), QStringLiteral("Whose poll?"),
                       {QStringLiteral("Theirs"), QStringLiteral("Ours")});
    const auto dataDir = scratchDir();
    QTemporaryDir &data = *dataDir;
    DesktopLauncher launcher(configFor({QStringLiteral("--port"), QString::number(other.port()),
                                        QStringLiteral("--data-dir"), data.path()}));
    launcher.start();

    StartupDialog *dialog = waitForDialog(launcher);
    QVERIFY(dialog);
    QCOMPARE(dialog->title(),
             QStringLiteral("Tally is already running on port %1").arg(other.port()));
    QCOMPARE(dialog->explanation(),
             QStringLiteral("Another Tally (process %1) is already listening on port %2. You can "
                            "watch that server in this window, or start this one on a free port.")
                 .arg(other.pid())
                 .arg(other.port()));
    QCOMPARE(dialog->choices(),
             (QList<Choice>{Choice::ConnectToRunning, Choice::FreePort, Choice::Quit}));

    dialog->button(Choice::ConnectToRunning)->click();
    QVERIFY(waitFor(
        [&] { return launcher.window()->pollModel()->rowOf(QStringLiteral("theirs")) >= 0; }));
    QCOMPARE(launcher.window()->serverUrl().port(), int(other.port()));
    QVERIFY(!launcher.server());

    QSignalSpy finished(&launcher, &DesktopLauncher::finished);
    launcher.shutdown();
    QVERIFY(waitFor([&] { return finished.count() == 1; }));
    QCOMPARE(finished.at(0).at(0).toInt(), 0); // the operator chose a way out
    QVERIFY(other.isRunning());
}

void TestDesktopStartup::lockedDataDirectoryOffersAnother()
{
    TallyProcess other;
    QVERIFY2(other.start(), qPrintable(other.diagnostics()));
    DesktopLauncher launcher(configFor({QStringLiteral("--port"), QStringLiteral("0"),
                                        QStringLiteral("--data-dir"), other.dataDir()}));
    QSignalSpy started(&launcher, &DesktopLauncher::serverStarted);
    launcher.start();

    StartupDialog *dialog = waitForDialog(launcher);
    QVERIFY(dialog);
    QCOMPARE(dialog->title(), QStringLiteral("The data directory is in use by another Tally"));
    QCOMPARE(dialog->explanation(),
             QStringLiteral("Another Tally (process %1) keeps its polls in %2 and serves them at "
                            "%3. Only one Tally can use a data directory at a time: watch that "
                            "one, or choose another directory for this one.")
                 .arg(other.pid())
                 .arg(other.dataDir(), other.url().toString(QUrl::StripTrailingSlash)));
    QCOMPARE(dialog->choices(),
             (QList<Choice>{Choice::ConnectToRunning, Choice::OtherDataDir, Choice::Quit}));

    const auto elsewhereDir = scratchDir();
    QTemporaryDir &elsewhere = *elsewhereDir;
    const QString chosen = elsewhere.filePath(QStringLiteral("new data"));
    dialog->dataDirEdit()->setText(chosen);
    dialog->button(Choice::OtherDataDir)->click();
    QVERIFY(waitFor([&] { return started.count() == 1; }));
    QCOMPARE(launcher.server()->dataDir(), chosen);
    QVERIFY(QFile::exists(chosen + QStringLiteral("/tally.lock")));
    HttpClient http(started.at(0).at(0).toUrl());
    QCOMPARE(http.get(QStringLiteral("/api/v1/polls")).status, 200);
    QVERIFY(other.isRunning());
}

void TestDesktopStartup::unwritableDataDirectoryOffersAnotherOrQuit()
{
    const auto scratchHolder = scratchDir();
    QTemporaryDir &scratch = *scratchHolder;
    QFile blocker(scratch.filePath(QStringLiteral("a-file")));
    QVERIFY(blocker.open(QIODevice::WriteOnly));
    blocker.close();
    const QString impossible = blocker.fileName() + QStringLiteral("/data"); // under a file
    DesktopLauncher launcher(configFor(
        {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"), impossible}));
    QSignalSpy finished(&launcher, &DesktopLauncher::finished);
    launcher.start();

    StartupDialog *dialog = waitForDialog(launcher);
    QVERIFY(dialog);
    QCOMPARE(dialog->title(), QStringLiteral("Tally cannot write to its data directory"));
    QCOMPARE(dialog->explanation(),
             QStringLiteral("Tally keeps its polls in %1, but cannot create or write files there. "
                            "Choose a directory you can write to.")
                 .arg(impossible));
    QCOMPARE(dialog->choices(), (QList<Choice>{Choice::OtherDataDir, Choice::Quit}));

    dialog->button(Choice::Quit)->click();
    QVERIFY(waitFor([&] { return finished.count() == 1; }));
    QCOMPARE(finished.at(0).at(0).toInt(), 1);
}

void TestDesktopStartup::invalidSettingsOfferDefaultsOrQuit()
{
    DesktopLauncher launcher(LaunchConfig::defaults());
    QSignalSpy finished(&launcher, &DesktopLauncher::finished);
    launcher.startWithInvalidSettings(QStringLiteral("port: 70000 is above the maximum 65535"));

    StartupDialog *dialog = waitForDialog(launcher);
    QVERIFY(dialog);
    QVERIFY(launcher.window()->isVisible());
    QCOMPARE(dialog->title(), QStringLiteral("The settings are not valid"));
    QCOMPARE(dialog->choices(), (QList<Choice>{Choice::DefaultSettings, Choice::Quit}));
    auto *technical = dialog->findChild<QLabel *>(QStringLiteral("startupTechnical"));
    QVERIFY(technical);
    QCOMPARE(technical->text(), QStringLiteral("Details: port: 70000 is above the maximum 65535"));

    // Closing the dialog is quitting: no server would be left to show.
    dialog->reject();
    QVERIFY(waitFor([&] { return finished.count() == 1; }));
    QCOMPARE(finished.at(0).at(0).toInt(), 2); // as headless
    QVERIFY(!launcher.server());
}

void TestDesktopStartup::binaryOpensTheConsoleOnABusyPort()
{
    QTcpServer other;
    QVERIFY(other.listen(QHostAddress::LocalHost));
    const auto dataDir = scratchDir();
    QTemporaryDir &data = *dataDir;
    ConsoleProcess console;
    console.start({QStringLiteral("--port"), QString::number(other.serverPort()),
                   QStringLiteral("--data-dir"), data.path()});
    const QByteArray reason =
        QStringLiteral("tally: cannot listen on 127.0.0.1:%1").arg(other.serverPort()).toUtf8();
    QVERIFY2(console.waitForOutput(reason, true), qPrintable(console.describe()));
    // The problem is on stderr and the console stays open with its dialog.
    QCOMPARE(console.process.state(), QProcess::Running);
    QCOMPARE(console.terminate(), 1);
}

void TestDesktopStartup::binaryOpensTheConsoleOnInvalidSettings()
{
    ConsoleProcess console;
    console.start({QStringLiteral("--port"), QStringLiteral("70000")});
    QVERIFY2(console.waitForOutput("Run 'tally --help' for the list of settings.", true),
             qPrintable(console.describe()));
    QVERIFY2(console.err.contains("tally: port"), qPrintable(console.describe()));
    QCOMPARE(console.process.state(), QProcess::Running);
    QCOMPARE(console.terminate(), 2);
}

void TestDesktopStartup::headlessKeepsItsExitCodes()
{
    const TallyProcess::Result invalid = TallyProcess::run(
        {QStringLiteral("--headless"), QStringLiteral("--port"), QStringLiteral("70000")});
    QVERIFY(invalid.finished);
    QCOMPARE(invalid.exitCode, 2);
    QVERIFY2(invalid.err.startsWith(QStringLiteral("tally: port")), qPrintable(invalid.err));

    QTcpServer other;
    QVERIFY(other.listen(QHostAddress::LocalHost));
    const auto dataDir = scratchDir();
    QTemporaryDir &data = *dataDir;
    const TallyProcess::Result busy = TallyProcess::run(
        {QStringLiteral("--headless"), QStringLiteral("--port"),
         QString::number(other.serverPort()), QStringLiteral("--data-dir"), data.path()});
    QVERIFY(busy.finished);
    QCOMPARE(busy.exitCode, 1);
    QVERIFY2(busy.err.contains(
                 QStringLiteral("tally: cannot listen on 127.0.0.1:%1").arg(other.serverPort())),
             qPrintable(busy.err));
}

void TestDesktopStartup::secondLaunchHandsOverToTheFirst()
{
    const auto dataDir = scratchDir();
    QTemporaryDir &data = *dataDir;
    const QStringList arguments{QStringLiteral("--port"), QStringLiteral("0"),
                                QStringLiteral("--data-dir"), data.path()};
    ConsoleProcess first;
    first.start(arguments);
    QVERIFY2(first.waitForOutput("Tally listening on http://", false),
             qPrintable(first.describe()));

    ConsoleProcess second;
    second.start(arguments);
    QVERIFY(second.process.waitForFinished(15000));
    second.collect();
    QCOMPARE(second.process.exitStatus(), QProcess::NormalExit);
    QCOMPARE(second.process.exitCode(), 0);
    QCOMPARE(QString::fromUtf8(second.out),
             QStringLiteral(
                 "Tally is already running for the data directory %1: switched to its window\n")
                 .arg(data.path()));
    QVERIFY2(first.waitForOutput("A second launch asked for this window", false),
             qPrintable(first.describe()));
    QCOMPARE(first.process.state(), QProcess::Running);
    QCOMPARE(first.terminate(), 0);
}

void TestDesktopStartup::secondLaunchBringsThisWindowToTheFront()
{
    const auto dataDir = scratchDir();
    QTemporaryDir &data = *dataDir;
    DesktopLauncher launcher(configFor({QStringLiteral("--port"), QStringLiteral("0"),
                                        QStringLiteral("--data-dir"), data.path()}));
    QSignalSpy started(&launcher, &DesktopLauncher::serverStarted);
    QSignalSpy activated(&launcher, &DesktopLauncher::activated);
    launcher.start();
    QVERIFY(waitFor([&] { return started.count() == 1; }));
    launcher.window()->showMinimized();

    ConsoleProcess second;
    second.start({QStringLiteral("--data-dir"), data.path()});
    QVERIFY(waitFor([&] { return second.process.state() == QProcess::NotRunning; }));
    QCOMPARE(second.process.exitCode(), 0);
    QCOMPARE(activated.count(), 1);
    QVERIFY(!launcher.window()->isMinimized());
    QVERIFY(launcher.window()->isVisible());
}

void TestDesktopStartup::lastRemoteConnectionIsRestored()
{
    TallyProcess remote;
    QVERIFY2(remote.start(), qPrintable(remote.diagnostics()));
    const auto dataDir = scratchDir();
    QTemporaryDir &data = *dataDir;
    const LaunchConfig config = configFor(
        {QStringLiteral("--port"), QStringLiteral("0"), QStringLiteral("--data-dir"), data.path()});
    {
        // First start: the console watches its embedded server, then the operator
        // switches to the remote one and quits.
        DesktopLauncher launcher(config);
        QSignalSpy started(&launcher, &DesktopLauncher::serverStarted);
        QSignalSpy finished(&launcher, &DesktopLauncher::finished);
        launcher.start();
        QVERIFY(waitFor([&] { return started.count() == 1; }));
        QCOMPARE(launcher.window()->serverUrl(), started.at(0).at(0).toUrl());
        launcher.window()->connectTo(remote.url());
        launcher.shutdown();
        QVERIFY(waitFor([&] { return finished.count() == 1; }));
    }
    DesktopLauncher launcher(config);
    QSignalSpy started(&launcher, &DesktopLauncher::serverStarted);
    launcher.start();
    QVERIFY(waitFor([&] { return started.count() == 1; }));
    QCOMPARE(launcher.window()->serverUrl(), remote.url());
    // Switching back to the embedded server is remembered the same way.
    launcher.window()->connectTo(started.at(0).at(0).toUrl());
    QCOMPARE(MainWindow::lastConnection(), started.at(0).at(0).toUrl());
}

QTEST_MAIN(TestDesktopStartup)
#include "tst_desktop_startup.moc"
