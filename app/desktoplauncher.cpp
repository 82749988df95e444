#include "desktoplauncher.h"
#include "core/logcategories.h"
#include "liveclient.h"
#include "mainwindow.h"
#include "serverclient.h"
#include "singleinstance.h"
#include "tallyserver.h"

#include <QApplication>
#include <QSettings>
#include <QTimer>

namespace {
const QString EmbeddedUrlKey = QStringLiteral("connection/embedded");

QString displayHost(const QString &bind)
{
    return bind == u"0.0.0.0" || bind == u"*" ? QStringLiteral("127.0.0.1") : bind;
}
} // namespace

DesktopLauncher::DesktopLauncher(const LaunchConfig &config, QObject *parent)
    : QObject(parent), m_config(config)
{
}

DesktopLauncher::~DesktopLauncher()
{
    delete m_dialog;
    m_window.reset();
}

StartupDialog::Problem DesktopLauncher::problemOf(int failure)
{
    switch (TallyServer::Failure(failure)) {
    case TallyServer::Failure::PortInUse:
        return StartupDialog::Problem::PortInUse;
    case TallyServer::Failure::PortTakenByTally:
        return StartupDialog::Problem::PortTakenByTally;
    case TallyServer::Failure::DataDirLocked:
        return StartupDialog::Problem::DataDirLocked;
    case TallyServer::Failure::DataDirUnwritable:
        return StartupDialog::Problem::DataDirUnwritable;
    case TallyServer::Failure::Storage:
        return StartupDialog::Problem::StorageFailed;
    case TallyServer::Failure::None:
    case TallyServer::Failure::Other:
        break;
    }
    return StartupDialog::Problem::Other;
}

bool DesktopLauncher::handOverToRunning()
{
    if (!m_config.connectUrl().isEmpty())
        return false; // watching another server takes no data directory
    return SingleInstance(m_config.dataDir()).activateRunning();
}

void DesktopLauncher::start()
{
    QApplication::setQuitOnLastWindowClosed(false);
    m_window = std::make_unique<MainWindow>(m_config.adminToken());
    // --api-prefix is where the embedded server serves the API and where the console
    // looks for it, on a server given with --connect too.
    m_window->liveClient()->setApiPrefix(m_config.apiPrefix());
    connect(m_window.get(), &MainWindow::closed, this, &DesktopLauncher::onWindowClosed);
    m_window->show();
    if (!m_config.connectUrl().isEmpty()) {
        m_window->connectTo(QUrl(m_config.connectUrl()));
        return;
    }
    listenForLaterLaunches();
    startServer();
}

void DesktopLauncher::startWithInvalidSettings(const QString &message)
{
    QApplication::setQuitOnLastWindowClosed(false);
    m_window = std::make_unique<MainWindow>();
    connect(m_window.get(), &MainWindow::closed, this, &DesktopLauncher::onWindowClosed);
    m_window->show();
    m_unresolved = true;
    m_failureExitCode = 2;
    StartupDialog::Details details;
    details.problem = StartupDialog::Problem::InvalidSettings;
    details.technical = message;
    showProblem(details);
}

void DesktopLauncher::listenForLaterLaunches()
{
    delete m_instance;
    m_instance = new SingleInstance(m_config.dataDir(), this);
    connect(m_instance, &SingleInstance::activationRequested, this, &DesktopLauncher::bringToFront);
    if (!m_instance->listen())
        qCWarning(lcApp, "tally: cannot listen for later launches on %s",
                  qPrintable(m_instance->name()));
}

void DesktopLauncher::bringToFront()
{
    if (!m_window)
        return;
    m_window->setWindowState((m_window->windowState() & ~Qt::WindowMinimized) | Qt::WindowActive);
    m_window->show();
    m_window->raise();
    m_window->activateWindow();
    if (m_dialog) {
        m_dialog->raise();
        m_dialog->activateWindow();
    }
    Q_EMIT activated();
}

void DesktopLauncher::startServer()
{
    m_unresolved = false;
    m_server = new TallyServer(m_config, this);
    connect(m_server, &TallyServer::started, this, [this](const QUrl &url) {
        QSettings settings;
        const QUrl previousEmbedded(settings.value(EmbeddedUrlKey).toString());
        settings.setValue(EmbeddedUrlKey, url.toString());
        // The console reopens on the server it watched last: another server when the
        // operator switched to one, else this embedded one.
        const QUrl last = MainWindow::lastConnection();
        if (last.isValid() && !last.isEmpty() && last != previousEmbedded && last != url)
            connectWindow(last, MainWindow::rememberedToken(last));
        else
            connectWindow(url, m_server->adminToken());
        Q_EMIT serverStarted(url);
    });
    connect(m_server, &TallyServer::failed, this, &DesktopLauncher::onServerFailed);
    connect(m_server, &TallyServer::stopped, this, [this] {
        m_finishing = true;
        Q_EMIT finished(0);
    });
    m_server->start();
}

void DesktopLauncher::connectWindow(const QUrl &url, const QString &token)
{
    if (!token.isEmpty())
        m_window->client()->setAdminToken(token);
    m_window->connectTo(url);
}

void DesktopLauncher::onServerFailed(const QString &reason)
{
    // Said in the log too (stderr), for the terminal and the journal.
    qCCritical(lcApp, "tally: %s", qPrintable(reason));
    m_unresolved = true;
    m_failureExitCode = 1;
    Q_EMIT serverFailed(reason);

    StartupDialog::Details details;
    details.problem = problemOf(int(m_server->failure()));
    details.address = m_config.bindAddress();
    details.port = m_config.port();
    details.otherPid = m_server->otherPid();
    details.dataDir = m_config.dataDir();
    details.technical = reason;
    if (details.problem == StartupDialog::Problem::PortTakenByTally) {
        details.runningUrl.setScheme(QStringLiteral("http"));
        details.runningUrl.setHost(displayHost(m_config.bindAddress()));
        details.runningUrl.setPort(m_config.port());
    } else if (details.problem == StartupDialog::Problem::DataDirLocked) {
        details.runningUrl = TallyServer::runningUrl(m_config.dataDir());
    }
    m_otherTally = details.runningUrl;
    discardServer();
    showProblem(details);
}

void DesktopLauncher::discardServer()
{
    if (!m_server)
        return;
    // Releases the locks it may hold before another server tries them.
    m_server->disconnect(this);
    TallyServer *server = m_server;
    m_server = nullptr;
    server->deleteLater();
}

void DesktopLauncher::showProblem(const StartupDialog::Details &details)
{
    delete m_dialog;
    m_dialog = new StartupDialog(details, m_window.get());
    m_dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(m_dialog, &StartupDialog::chosen, this, [this](StartupDialog::Choice choice) {
        const QString dataDir = m_dialog->chosenDataDir();
        // Let the dialog close first; the choice may open another one.
        QTimer::singleShot(0, this, [this, choice, dataDir] { onChoice(choice, dataDir); });
    });
    m_dialog->open();
}

void DesktopLauncher::onChoice(StartupDialog::Choice choice, const QString &dataDir)
{
    switch (choice) {
    case StartupDialog::Choice::ConnectToRunning:
        m_unresolved = false;
        m_window->connectTo(m_otherTally);
        return;
    case StartupDialog::Choice::FreePort:
        m_config.setPort(0);
        startServer();
        return;
    case StartupDialog::Choice::OtherDataDir:
        m_config.setDataDir(dataDir);
        if (handOverToRunning()) {
            // A console already shows that directory: it is in front now.
            m_finishing = true;
            Q_EMIT finished(0);
            return;
        }
        listenForLaterLaunches();
        startServer();
        return;
    case StartupDialog::Choice::DefaultSettings: {
        m_config = LaunchConfig::defaults();
        if (handOverToRunning()) {
            m_finishing = true;
            Q_EMIT finished(0);
            return;
        }
        listenForLaterLaunches();
        startServer();
        return;
    }
    case StartupDialog::Choice::Quit:
        m_finishing = true;
        Q_EMIT finished(m_failureExitCode);
        return;
    }
}

void DesktopLauncher::shutdown()
{
    if (m_window && m_window->isVisible())
        m_window->close(); // comes back through MainWindow::closed
    else
        onWindowClosed();
}

void DesktopLauncher::onWindowClosed()
{
    if (m_finishing)
        return;
    if (m_server) {
        m_server->stop(); // finished(0) once pending votes are flushed
        return;
    }
    m_finishing = true;
    Q_EMIT finished(m_unresolved ? m_failureExitCode : 0);
}
