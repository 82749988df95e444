#pragma once

#include <QProcess>
#include <QProcessEnvironment>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <memory>

class QTemporaryDir;

// The tally binary as a child process, for end-to-end tests. The binary is the one
// named by the TALLY_BINARY environment variable (CTest sets it). A server runs
// headless on a free port (--port 0) with a private temporary data directory unless
// one is given; start() returns once it printed its "Tally listening on" line.
//
// Settings from the test runner's environment (TALLY_*, REDIS_NODES, ...) are
// removed from the child's environment so that a developer's shell cannot change
// what a test sees; add values back with setEnvironmentValue().
class TallyProcess {
public:
    // A run to completion (see run()).
    struct Result {
        bool finished = false; // false: could not start, or killed at the deadline
        bool crashed = false;  // ended by a signal
        int exitCode = -1;
        QString out;
        QString err;
    };

    explicit TallyProcess(const QStringList &extraArgs = {}, const QString &dataDir = {});
    ~TallyProcess();
    TallyProcess(const TallyProcess &) = delete;
    TallyProcess &operator=(const TallyProcess &) = delete;

    void setEnvironmentValue(const QString &name, const QString &value);

    // Starts the server and waits until it listens. On failure (the process ended,
    // or no listening line before the deadline) returns false; errorString() and
    // diagnostics() tell why. A process that did not get ready is killed.
    bool start(int timeoutMs = 15000);
    bool isRunning() const;

    QUrl url() const { return m_url; }
    quint16 port() const { return quint16(m_url.port()); }
    QString dataDir() const { return m_dataDir; }
    QString instanceId() const { return m_instanceId; }
    qint64 pid() const;

    // SIGTERM, then waits for the process to end. Returns its exit code, or -1 when it
    // crashed or did not end before the deadline (it is then killed).
    int stop(int timeoutMs = 20000);
    // SIGKILL and wait: nothing is flushed.
    void kill();

    // Everything the process wrote so far.
    QString stdoutText();
    QString stderrText();
    QString errorString() const { return m_error; }
    // A paragraph for failure messages: the error, the command line, stdout and stderr.
    QString diagnostics();

    static QString binaryPath();
    // The test runner's environment without any Tally setting.
    static QProcessEnvironment cleanEnvironment();
    // Runs the binary with exactly `arguments` until it exits (e.g. --help, --check-config).
    static Result run(const QStringList &arguments, int timeoutMs = 15000,
                      const QProcessEnvironment &environment = cleanEnvironment());
    // Removes the port lock file a killed server left behind (not one a live one holds).
    static void releaseStalePortLock(const QString &host, int port);

private:
    void collect();
    void releaseStalePortLock();

    QStringList m_extraArgs;
    std::unique_ptr<QTemporaryDir> m_ownDir;
    QString m_dataDir;
    QProcessEnvironment m_environment;
    std::unique_ptr<QProcess> m_process;
    QStringList m_arguments;
    QByteArray m_out;
    QByteArray m_err;
    QUrl m_url;
    QString m_instanceId;
    QString m_error;
};
