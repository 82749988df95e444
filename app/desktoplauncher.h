#pragma once

#include "launchconfig.h"
#include "startupdialog.h"

#include <QObject>
#include <QPointer>
#include <QUrl>
#include <memory>

class MainWindow;
class SingleInstance;
class TallyServer;

// The desktop application: the console window on top of its embedded server (or of a
// server given with --connect). When the embedded server cannot start, the window
// still opens and a StartupDialog offers a way out; a second launch for the same data
// directory brings this window to the front instead of failing.
class DesktopLauncher : public QObject {
    Q_OBJECT
public:
    explicit DesktopLauncher(const LaunchConfig &config, QObject *parent = nullptr);
    ~DesktopLauncher() override;

    // True when a console already runs on this data directory and came to the front:
    // this launch has nothing left to do. Call before start().
    bool handOverToRunning();
    // Shows the console and starts the embedded server (or watches --connect).
    void start();
    // Shows the console with a settings problem; the default settings are offered.
    void startWithInvalidSettings(const QString &message);
    // Stops the embedded server (flushing pending votes), then finishes.
    void shutdown();

    MainWindow *window() const { return m_window.get(); }
    TallyServer *server() const { return m_server; }
    // The problem dialog while it is open.
    StartupDialog *startupDialog() const { return m_dialog; }
    const LaunchConfig &config() const { return m_config; }

    static StartupDialog::Problem problemOf(int failure);

Q_SIGNALS:
    void serverStarted(const QUrl &url);
    void serverFailed(const QString &reason);
    // A later launch asked for this window.
    void activated();
    // The application should quit with this exit code.
    void finished(int exitCode);

private:
    void startServer();
    void onWindowClosed();
    void onServerFailed(const QString &reason);
    void showProblem(const StartupDialog::Details &details);
    void onChoice(StartupDialog::Choice choice, const QString &dataDir);
    void discardServer();
    void connectWindow(const QUrl &url, const QString &token);
    void bringToFront();
    void listenForLaterLaunches();

    LaunchConfig m_config;
    std::unique_ptr<MainWindow> m_window;
    TallyServer *m_server = nullptr;
    SingleInstance *m_instance = nullptr;
    QPointer<StartupDialog> m_dialog;
    QUrl m_otherTally;         // the Tally the problem dialog offers to watch
    bool m_unresolved = false; // the server failed and nothing else was chosen yet
    int m_failureExitCode = 1; // as in headless mode: 1 for the server, 2 for the settings
    bool m_finishing = false;
};
