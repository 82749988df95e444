#pragma once

#include <QProcess>
#include <QString>
#include <QTemporaryDir>
#include <QUrl>

// A throwaway nginx for tests: its own private prefix directory and a free loopback
// port, run in the foreground (daemon off) with a master process, stopped by PID.
class NginxProcess {
public:
    NginxProcess();
    ~NginxProcess();
    NginxProcess(const NginxProcess &) = delete;
    NginxProcess &operator=(const NginxProcess &) = delete;

    // The nginx executable (PATH, then /usr/sbin and /usr/local/sbin); empty when none.
    static QString binary();

    QString prefix() const { return m_dir.path(); }
    // The loopback port the configuration should listen on (chosen at construction).
    quint16 port() const { return m_port; }
    QUrl url() const;

    // Writes `text` to `name` in the prefix directory (e.g. a site configuration that
    // `httpDirectives` includes).
    bool writeFile(const QString &name, const QString &text);
    // Writes nginx.conf (one worker, pid, error log and temporary paths in the prefix,
    // no access log, `httpDirectives` inside the http block), starts nginx and waits
    // until GET /health through it answers 200. On failure errorString() tells why.
    bool start(const QString &httpDirectives);
    // SIGQUIT (a graceful stop that also closes proxied WebSocket connections), then
    // SIGTERM, then SIGKILL, each after a deadline.
    void stop();

    QString errorString() const { return m_error; }
    // nginx's own output and the end of its error log, for failure messages.
    QString diagnostics();

private:
    QTemporaryDir m_dir;
    QProcess m_process;
    quint16 m_port = 0;
    QString m_error;
};
