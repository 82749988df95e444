#include "commandline.h"
#include "core/logcategories.h"
#include "core/logger.h"
#include "rebalancerun.h"
#include "signalwatcher.h"
#include "tallyserver.h"

#include <QCoreApplication>
#include <QProcessEnvironment>
#include <cstdio>

#ifdef TALLY_WITH_GUI
#include "consolelanguage.h"
#include "desktoplauncher.h"
#include <QApplication>
#include <QIcon>
#endif

namespace {

QStringList argumentsOf(int argc, char **argv)
{
    QStringList arguments;
    for (int i = 0; i < argc; ++i)
        arguments.append(QString::fromLocal8Bit(argv[i]));
    return arguments;
}

bool displayAvailable(const QProcessEnvironment &env)
{
    return env.contains(QStringLiteral("DISPLAY")) ||
           env.contains(QStringLiteral("WAYLAND_DISPLAY")) ||
           env.contains(QStringLiteral("QT_QPA_PLATFORM"));
}

void printListening(const QUrl &url, const TallyServer *server)
{
    std::printf("Tally listening on %s (instance %s, data %s)\n", qPrintable(url.toString()),
                qPrintable(server->instanceId()), qPrintable(server->dataDir()));
    std::fflush(stdout);
}

// What the command line and environment ask for before the settings are known to be
// valid: the console (unless headless or a one-shot request) and its language.
bool wantsConsole(const QStringList &arguments, const QProcessEnvironment &env)
{
    for (const QString &argument : arguments.mid(1)) {
        if (argument == u"--headless" || argument == u"--check-config" ||
            argument == u"--rebalance" || argument == u"--help" || argument == u"-h" ||
            argument == u"--version" || argument == u"-v")
            return false;
    }
    const QString headless = env.value(QStringLiteral("TALLY_HEADLESS")).toLower();
    return headless.isEmpty() || headless == u"0" || headless == u"false" || headless == u"no";
}

QString requestedLanguage(const QStringList &arguments, const QProcessEnvironment &env)
{
    for (qsizetype i = 1; i < arguments.size(); ++i) {
        if (arguments[i].startsWith(QStringLiteral("--lang=")))
            return arguments[i].mid(7);
        if (arguments[i] == u"--lang" && i + 1 < arguments.size())
            return arguments[i + 1];
    }
    return env.value(QStringLiteral("TALLY_LANG"));
}

#ifdef TALLY_WITH_GUI
void setUpConsoleApplication(const QString &language)
{
    QApplication::setApplicationName(QStringLiteral("Tally"));
    QApplication::setOrganizationName(QStringLiteral("Tally"));
    QApplication::setApplicationVersion(QStringLiteral(TALLY_VERSION));
    QApplication::setWindowIcon(QIcon(QStringLiteral(":/tally/tally.png")));
    ConsoleLanguage::install(qApp, language);
}

// The desktop application's lifetime: its exit code, its lines on stdout, and a clean
// stop (flushing pending votes) on SIGINT/SIGTERM.
void wireLauncher(DesktopLauncher *launcher, QApplication *app)
{
    QObject::connect(launcher, &DesktopLauncher::finished, app, &QCoreApplication::exit);
    QObject::connect(launcher, &DesktopLauncher::serverStarted, app,
                     [launcher](const QUrl &url) { printListening(url, launcher->server()); });
    QObject::connect(launcher, &DesktopLauncher::activated, app, [] {
        std::printf("A second launch asked for this window\n");
        std::fflush(stdout);
    });
    auto *watcher = new SignalWatcher(app);
    QObject::connect(watcher, &SignalWatcher::terminationRequested, launcher,
                     [launcher](int number) {
                         qCInfo(lcApp, "Signal %d: stopping, flushing pending votes", number);
                         launcher->shutdown();
                     });
}
#endif

// Wires a server to the application: logs where it listens, stops it cleanly on
// SIGINT/SIGTERM, and quits with a failure status if it cannot start.
void runServer(TallyServer *server, QCoreApplication *app)
{
    auto *watcher = new SignalWatcher(app);
    QObject::connect(watcher, &SignalWatcher::terminationRequested, server, [server](int number) {
        qCInfo(lcApp, "Signal %d: stopping, flushing pending votes", number);
        server->stop();
    });
    QObject::connect(server, &TallyServer::started, app,
                     [server](const QUrl &url) { printListening(url, server); });
    QObject::connect(server, &TallyServer::failed, app, [](const QString &reason) {
        qCCritical(lcApp, "tally: %s", qPrintable(reason));
        QCoreApplication::exit(1);
    });
    // Exit status 3: votes were accepted that exist nowhere once the process is gone.
    QObject::connect(server, &TallyServer::stopped, app,
                     [server] { QCoreApplication::exit(server->votesLost() > 0 ? 3 : 0); });
    server->start();
}

} // namespace

int main(int argc, char **argv)
{
    // Qt's GLib event dispatcher walks a list of every socket on a thread each time a
    // write notifier toggles, which costs 20x in latency with thousands of WebSockets;
    // the plain UNIX dispatcher does not.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    const QProcessEnvironment env = QProcessEnvironment::systemEnvironment();
    QString exitText;
    const QStringList arguments = argumentsOf(argc, argv);
    const Outcome<LaunchConfig> resolved = CommandLine::resolve(arguments, env, &exitText);
    if (!exitText.isEmpty()) {
        std::fputs(qPrintable(exitText), stdout);
        return 0;
    }
    if (!resolved) {
        const auto complain = [&resolved] {
            std::fprintf(stderr, "tally: %s\nRun 'tally --help' for the list of settings.\n",
                         qPrintable(resolved.error().message));
        };
#ifdef TALLY_WITH_GUI
        // A desktop launch has no terminal to read that: the console says it too.
        if (wantsConsole(arguments, env) && displayAvailable(env)) {
            QApplication app(argc, argv);
            setUpConsoleApplication(requestedLanguage(arguments, env));
            DesktopLauncher launcher(LaunchConfig::defaults());
            wireLauncher(&launcher, &app);
            complain();
            launcher.startWithInvalidSettings(resolved.error().message);
            return app.exec();
        }
#endif
        complain();
        return 2;
    }
    const LaunchConfig &config = resolved.value();
    Logger::install(config.jsonLogs() ? Logger::Format::Json : Logger::Format::Text,
                    config.accessLog());
    if (config.checkOnly()) {
        std::fputs(qPrintable(QStringLiteral("Configuration is valid.\n") + config.describe()),
                   stdout);
        return 0;
    }

    bool headless = config.headless() || config.rebalanceOnly();
#ifdef TALLY_WITH_GUI
    if (!headless && !displayAvailable(env)) {
        qCWarning(lcApp,
                  "tally: no display found, running headless (pass --headless to silence this)");
        headless = true;
    }
    if (!headless) {
        QApplication app(argc, argv);
        setUpConsoleApplication(config.lang());
        DesktopLauncher launcher(config);
        if (launcher.handOverToRunning()) {
            std::printf(
                "Tally is already running for the data directory %s: switched to its window\n",
                qPrintable(config.dataDir()));
            return 0;
        }
        wireLauncher(&launcher, &app);
        launcher.start();
        return app.exec();
    }
#else
    Q_UNUSED(displayAvailable);
    Q_UNUSED(wantsConsole);
    Q_UNUSED(requestedLanguage);
    if (!headless)
        qCWarning(lcApp, "tally: built without the console, running headless");
#endif
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("Tally"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TALLY_VERSION));
    if (config.rebalanceOnly()) {
        Config runConfig = config;
        // Beside instances that serve: a port of its own unless one was asked for.
        if (config.source(QStringLiteral("port")) == u"default")
            runConfig.set(QStringLiteral("port"), 0);
        auto *run = new RebalanceRun(runConfig, &app);
        QObject::connect(run, &RebalanceRun::finished, &app, &QCoreApplication::exit);
        run->start();
        return app.exec();
    }
    auto *server = new TallyServer(config, &app);
    runServer(server, &app);
    return app.exec();
}
