#include "nginxprocess.h"
#include "httpclient.h"
#include "testkit.h"

#include <QDir>
#include <QFile>
#include <QStandardPaths>

#include <csignal>
#include <unistd.h>

NginxProcess::NginxProcess()
    : m_dir(QDir::tempPath() + QStringLiteral("/tally-nginx-XXXXXX")),
      m_port(TestKit::freeLoopbackPort())
{
}

NginxProcess::~NginxProcess()
{
    stop();
}

QString NginxProcess::binary()
{
    QString found = QStandardPaths::findExecutable(QStringLiteral("nginx"));
    if (found.isEmpty())
        found = QStandardPaths::findExecutable(
            QStringLiteral("nginx"),
            {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin")});
    return found;
}

QUrl NginxProcess::url() const
{
    return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port));
}

bool NginxProcess::writeFile(const QString &name, const QString &text)
{
    QFile file(prefix() + u'/' + name);
    if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0) {
        m_error = QStringLiteral("cannot write %1").arg(file.fileName());
        return false;
    }
    return true;
}

bool NginxProcess::start(const QString &httpDirectives)
{
    if (!m_dir.isValid() || m_port == 0) {
        m_error = QStringLiteral("no temporary directory or no free port");
        return false;
    }
    const QString config =
        QStringLiteral("daemon off;\nmaster_process on;\nworker_processes 1;\n%1"
                       "pid %2/nginx.pid;\nerror_log %2/error.log warn;\n"
                       "events { worker_connections 512; }\n"
                       "http {\n    access_log off;\n    client_body_temp_path %2/body;\n"
                       "    proxy_temp_path %2/proxy;\n    fastcgi_temp_path %2/fastcgi;\n"
                       "    uwsgi_temp_path %2/uwsgi;\n    scgi_temp_path %2/scgi;\n%3}\n")
            // Workers must be able to enter the private (0700) prefix.
            .arg(::geteuid() == 0 ? QStringLiteral("user root;\n") : QString(), prefix(),
                 httpDirectives);
    if (!writeFile(QStringLiteral("nginx.conf"), config))
        return false;
    m_process.setProcessChannelMode(QProcess::MergedChannels);
    m_process.start(binary(), {QStringLiteral("-p"), prefix(), QStringLiteral("-c"),
                               prefix() + QStringLiteral("/nginx.conf"), QStringLiteral("-e"),
                               prefix() + QStringLiteral("/error.log")});
    if (!m_process.waitForStarted(5000)) {
        m_error = QStringLiteral("cannot start nginx: %1").arg(m_process.errorString());
        return false;
    }
    // Ready when it proxies a request through to an instance.
    HttpClient http(url(), 2000);
    const HttpResponse health = http.waitFor(
        QStringLiteral("/health"), [](const HttpResponse &r) { return r.status == 200; }, 10000,
        50);
    if (health.status != 200) {
        m_error = QStringLiteral("nginx does not answer /health: %1\n%2")
                      .arg(health.describe(), diagnostics());
        return false;
    }
    return true;
}

void NginxProcess::stop()
{
    if (m_process.state() == QProcess::NotRunning)
        return;
    // The master's PID: QProcess started it in the foreground.
    ::kill(pid_t(m_process.processId()), SIGQUIT);
    if (!m_process.waitForFinished(5000)) {
        ::kill(pid_t(m_process.processId()), SIGTERM);
        if (!m_process.waitForFinished(5000))
            m_process.kill();
        m_process.waitForFinished(2000);
    }
}

QString NginxProcess::diagnostics()
{
    QFile log(prefix() + QStringLiteral("/error.log"));
    const QByteArray errors =
        log.open(QIODevice::ReadOnly) ? log.readAll().right(4000) : QByteArray();
    return QStringLiteral("nginx output: %1\nerror.log: %2")
        .arg(QString::fromUtf8(m_process.readAll()), QString::fromUtf8(errors));
}
