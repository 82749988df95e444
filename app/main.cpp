#include "core/config.h"
#include "core/logcategories.h"
#include "core/logger.h"
#include "signalwatcher.h"
#include "tallyserver.h"

#include <QCoreApplication>
#include <QProcessEnvironment>
#include <cstdio>

#ifdef TALLY_WITH_GUI
#include "mainwindow.h"
#include "serverclient.h"
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
    return env.contains(QStringLiteral("DISPLAY")) || env.contains(QStringLiteral("WAYLAND_DISPLAY")) ||
           env.contains(QStringLiteral("QT_QPA_PLATFORM"));
}

// Wires a server to the application: logs where it listens, stops it cleanly on
// SIGINT/SIGTERM, and quits with a failure status if it cannot start.
void runServer(TallyServer *server, QCoreApplication *app)
{
    auto *watcher = new SignalWatcher(app);
    QObject::connect(watcher, &SignalWatcher::terminationRequested, server, [server](int number) {
        qCInfo(lcApp, "Signal %d: stopping, flushing pending votes", number);
        server->stop();
    });
    QObject::connect(server, &TallyServer::started, app, [server](const QUrl &url) {
        std::printf("Tally listening on %s (instance %s, data %s)\n", qPrintable(url.toString()),
                    qPrintable(server->instanceId()), qPrintable(server->dataDir()));
        std::fflush(stdout);
    });
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
    const Outcome<Config> resolved = Config::resolve(argumentsOf(argc, argv), env, &exitText);
    if (!exitText.isEmpty()) {
        std::fputs(qPrintable(exitText), stdout);
        return 0;
    }
    if (!resolved) {
        std::fprintf(stderr, "tally: %s\nRun 'tally --help' for the list of settings.\n",
                     qPrintable(resolved.error().message));
        return 2;
    }
    const Config &config = resolved.value();
    Logger::install(config.value(QStringLiteral("log-format")).toString() == u"json" ? Logger::Format::Json
                                                                                    : Logger::Format::Text,
                    config.value(QStringLiteral("access-log")).toBool());
    if (config.checkOnly()) {
        std::fputs(qPrintable(QStringLiteral("Configuration is valid.\n") + config.describe()), stdout);
        return 0;
    }

    bool headless = config.headless();
#ifdef TALLY_WITH_GUI
    if (!headless && !displayAvailable(env)) {
        qCWarning(lcApp, "tally: no display found, running headless (pass --headless to silence this)");
        headless = true;
    }
    if (!headless) {
        QApplication app(argc, argv);
        QApplication::setApplicationName(QStringLiteral("Tally"));
        QApplication::setOrganizationName(QStringLiteral("Tally"));
        QApplication::setApplicationVersion(QStringLiteral(TALLY_VERSION));
        QApplication::setWindowIcon(QIcon(QStringLiteral(":/tally/tally.png")));
        MainWindow window(config.adminToken());
        if (config.connectUrl().isEmpty()) {
            // The console of the embedded server: closing it stops the server, which
            // flushes pending votes before the application quits.
            QApplication::setQuitOnLastWindowClosed(false);
            auto *server = new TallyServer(config, &app);
            // The server may have generated its admin token (bound beyond loopback).
            QObject::connect(server, &TallyServer::started, &window, [&window, server](const QUrl &url) {
                window.client()->setAdminToken(server->adminToken());
                window.connectTo(url);
            });
            QObject::connect(&window, &MainWindow::closed, server, &TallyServer::stop);
            runServer(server, &app);
        } else {
            window.connectTo(QUrl(config.connectUrl()));
        }
        window.show();
        return app.exec();
    }
#else
    Q_UNUSED(displayAvailable);
    if (!headless)
        qCWarning(lcApp, "tally: built without the console, running headless");
#endif
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("Tally"));
    QCoreApplication::setApplicationVersion(QStringLiteral(TALLY_VERSION));
    auto *server = new TallyServer(config, &app);
    runServer(server, &app);
    return app.exec();
}
