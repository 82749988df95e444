// Poll administration behind the shipped nginx configuration (packaging/nginx/tally.conf,
// adapted only in ports and paths) in front of Tally started with the shipped systemd
// unit's command line (packaging/systemd/tally.service, its state directory moved to a
// temporary one):
//  - the unit's Tally generates its admin token on first start, mode 0600, and keeps it
//    across restarts; through nginx, admin calls need that token;
//  - a Tally without any token answers admin calls through nginx with 401 and says how
//    to set one, while the same call made directly from loopback succeeds.
#include "httpclient.h"
#include "tallyprocess.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QRegularExpression>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

#include <csignal>
#include <memory>
#include <sys/stat.h>
#include <unistd.h>

namespace {

const QString Polls = QStringLiteral("/api/v1/polls");
const QString StateDirectory = QStringLiteral("/var/lib/tally");

QString sourceFile(const QString &relative)
{
    return QStringLiteral(TALLY_SOURCE_DIR "/") + relative;
}

QString readText(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? QString::fromUtf8(file.readAll()) : QString();
}

int fileMode(const QString &path)
{
    struct stat info {};
    if (::stat(QFile::encodeName(path).constData(), &info) != 0)
        return -1;
    return int(info.st_mode & 07777);
}

QJsonObject pollBody(const QString &id)
{
    return {{QStringLiteral("id"), id},
            {QStringLiteral("question"), QStringLiteral("Through the proxy?")},
            {QStringLiteral("options"), QJsonArray{QStringLiteral("Yes"), QStringLiteral("No")}}};
}

HttpHeaders bearer(const QString &token)
{
    return {{"Authorization", "Bearer " + token.toLatin1()}};
}

quint16 freeLoopbackPort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

// The shipped site configuration with its listen address and upstream servers replaced,
// inside a minimal nginx.conf of its own prefix directory; stopped by PID.
class ShippedNginx {
public:
    ~ShippedNginx() { stop(); }

    static QString binary()
    {
        QString found = QStandardPaths::findExecutable(QStringLiteral("nginx"));
        if (found.isEmpty())
            found = QStandardPaths::findExecutable(
                QStringLiteral("nginx"),
                {QStringLiteral("/usr/sbin"), QStringLiteral("/usr/local/sbin")});
        return found;
    }

    bool start(quint16 upstream)
    {
        const QString prefix = m_dir.path();
        m_port = freeLoopbackPort();
        QString site = readText(sourceFile(QStringLiteral("packaging/nginx/tally.conf")));
        const QRegularExpression listen(QStringLiteral(R"(^\s*listen 80;$)"),
                                        QRegularExpression::MultilineOption);
        const QRegularExpression servers(
            QStringLiteral(R"(^\s*server 127\.0\.0\.1:800[12] [^\n]*;$)"),
            QRegularExpression::MultilineOption);
        if (!site.contains(listen) || site.count(servers) != 2) {
            m_error =
                QStringLiteral("the shipped nginx configuration changed shape: adapt this test");
            return false;
        }
        site.replace(listen, QStringLiteral("    listen 127.0.0.1:%1;").arg(m_port));
        site.replace(servers, QString());
        site.replace(QStringLiteral("least_conn;"),
                     QStringLiteral("least_conn;\n    server 127.0.0.1:%1;").arg(upstream));
        writeFile(prefix + QStringLiteral("/tally.conf"), site);
        writeFile(
            prefix + QStringLiteral("/nginx.conf"),
            QStringLiteral("daemon off;\nmaster_process on;\nworker_processes 1;\n%1"
                           "pid %2/nginx.pid;\nerror_log %2/error.log warn;\n"
                           "events { worker_connections 256; }\n"
                           "http {\n    access_log off;\n    client_body_temp_path %2/body;\n"
                           "    proxy_temp_path %2/proxy;\n    fastcgi_temp_path %2/fastcgi;\n"
                           "    uwsgi_temp_path %2/uwsgi;\n    scgi_temp_path %2/scgi;\n"
                           "    include %2/tally.conf;\n}\n")
                // Workers must be able to enter the private (0700) prefix.
                .arg(::geteuid() == 0 ? QStringLiteral("user root;\n") : QString(), prefix));
        m_process.setProcessChannelMode(QProcess::MergedChannels);
        m_process.start(binary(), {QStringLiteral("-p"), prefix, QStringLiteral("-c"),
                                   prefix + QStringLiteral("/nginx.conf"), QStringLiteral("-e"),
                                   prefix + QStringLiteral("/error.log")});
        if (!m_process.waitForStarted(5000)) {
            m_error = QStringLiteral("cannot start nginx: %1").arg(m_process.errorString());
            return false;
        }
        HttpClient http(url(), 2000);
        const HttpResponse health = http.waitFor(
            QStringLiteral("/health"), [](const HttpResponse &r) { return r.status == 200; }, 10000,
            50);
        if (health.status != 200) {
            m_error = QStringLiteral("nginx does not answer /health: %1\n%2\n%3")
                          .arg(health.describe(), QString::fromUtf8(m_process.readAll()),
                               readText(prefix + QStringLiteral("/error.log")));
            return false;
        }
        return true;
    }

    void stop()
    {
        if (m_process.state() == QProcess::NotRunning)
            return;
        ::kill(pid_t(m_process.processId()), SIGQUIT);
        if (!m_process.waitForFinished(5000)) {
            m_process.kill();
            m_process.waitForFinished(2000);
        }
    }

    QUrl url() const { return QUrl(QStringLiteral("http://127.0.0.1:%1").arg(m_port)); }
    QString errorString() const { return m_error; }

private:
    void writeFile(const QString &path, const QString &text)
    {
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly) || file.write(text.toUtf8()) < 0)
            m_error = QStringLiteral("cannot write %1").arg(path);
    }

    QTemporaryDir m_dir{QDir::tempPath() + QStringLiteral("/tally-nginx-XXXXXX")};
    QProcess m_process;
    quint16 m_port = 0;
    QString m_error;
};

// The unit's ExecStart arguments, with its state directory moved to `stateDir`.
// --headless and --data-dir are checked here and left to TallyProcess, which adds them.
QStringList unitArguments(const QString &stateDir, QString *error)
{
    const QString unit = readText(sourceFile(QStringLiteral("packaging/systemd/tally.service")));
    if (!unit.contains(QStringLiteral("\nStateDirectory=tally\n"))) {
        *error = QStringLiteral("the unit has no StateDirectory=tally");
        return {};
    }
    const QRegularExpressionMatch exec =
        QRegularExpression(QStringLiteral(R"(\nExecStart=(\S+)([^\n]*)\n)")).match(unit);
    if (!exec.hasMatch()) {
        *error = QStringLiteral("the unit has no ExecStart line");
        return {};
    }
    QStringList arguments = exec.captured(2).split(u' ', Qt::SkipEmptyParts);
    const bool headless = arguments.removeOne(QStringLiteral("--headless"));
    const qsizetype dataDir = arguments.indexOf(QStringLiteral("--data-dir"));
    if (!headless || dataDir < 0 ||
        arguments.value(dataDir + 1) != StateDirectory) {
        *error = QStringLiteral("the unit must run --headless --data-dir %1").arg(StateDirectory);
        return {};
    }
    arguments.remove(dataDir, 2);
    for (QString &argument : arguments)
        argument.replace(StateDirectory, stateDir);
    return arguments;
}

} // namespace

class TestNginxAdmin : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void packagedServiceMakesItsTokenAndNginxCallersNeedIt();
    void withoutTokenNginxCallersAreRefused();
};

void TestNginxAdmin::initTestCase()
{
    if (ShippedNginx::binary().isEmpty())
        QSKIP("nginx is not installed");
}

void TestNginxAdmin::packagedServiceMakesItsTokenAndNginxCallersNeedIt()
{
    QTemporaryDir state(QDir::tempPath() + QStringLiteral("/tally-state-XXXXXX"));
    QVERIFY(state.isValid());
    QString error;
    const QStringList arguments = unitArguments(state.path(), &error);
    QVERIFY2(error.isEmpty(), qPrintable(error));
    const QString tokenFile = QDir(state.path()).filePath(QStringLiteral("admin-token"));
    QVERIFY(!QFile::exists(tokenFile));

    QString token;
    for (int run = 0; run < 2; ++run) {
        TallyProcess tally(arguments, state.path());
        QVERIFY2(tally.start(), qPrintable(tally.diagnostics()));
        // Made on the first start, kept on the second: owner-only, 24 random bytes in hex.
        QCOMPARE(fileMode(tokenFile), 0600);
        const QString stored = readText(tokenFile).trimmed();
        QVERIFY2(QRegularExpression(QStringLiteral("^[0-9a-f]{48}$")).match(stored).hasMatch(),
                 qPrintable(stored));
        if (run == 0)
            token = stored;
        QCOMPARE(stored, token);
        QVERIFY(!tally.stderrText().contains(token));
        // No temporary file is left beside it.
        QCOMPARE(QDir(state.path())
                     .entryList({QStringLiteral(".admin-token*")}, QDir::Files | QDir::Hidden),
                 QStringList());

        ShippedNginx nginx;
        QVERIFY2(nginx.start(tally.port()), qPrintable(nginx.errorString()));
        HttpClient viaNginx(nginx.url());
        const QString id = QStringLiteral("proxied%1").arg(run);
        const HttpResponse anonymous = viaNginx.postJson(Polls, pollBody(id));
        VERIFY_STATUS(anonymous, 401);
        QCOMPARE(anonymous.errorCode(), QStringLiteral("unauthorized"));
        VERIFY_STATUS(viaNginx.postJson(Polls, pollBody(id), bearer(token)), 201);
        VERIFY_STATUS(viaNginx.post(Polls + u'/' + id + QStringLiteral("/close")), 401);
        VERIFY_STATUS(viaNginx.del(Polls + u'/' + id), 401);
        VERIFY_STATUS(viaNginx.del(Polls + u'/' + id, bearer(token)), 204);
        // Reads and votes need no token.
        VERIFY_STATUS(viaNginx.get(Polls), 200);
        nginx.stop();
        QCOMPARE(tally.stop(), 0);
    }
}

void TestNginxAdmin::withoutTokenNginxCallersAreRefused()
{
    // Default settings: loopback only, no token.
    TallyProcess tally;
    QVERIFY2(tally.start(), qPrintable(tally.diagnostics()));
    ShippedNginx nginx;
    QVERIFY2(nginx.start(tally.port()), qPrintable(nginx.errorString()));
    HttpClient viaNginx(nginx.url());
    HttpClient direct(tally.url());

    VERIFY_STATUS(direct.postJson(Polls, pollBody(QStringLiteral("p"))), 201);
    const HttpResponse deleted = viaNginx.del(Polls + QStringLiteral("/p"));
    VERIFY_STATUS(deleted, 401);
    QCOMPARE(deleted.errorCode(), QStringLiteral("admin_token_not_set"));
    QVERIFY2(deleted.json.value("error").toObject().value("message").toString().contains(
                 QStringLiteral("--admin-token")),
             qPrintable(deleted.describe()));
    VERIFY_STATUS(viaNginx.postJson(Polls, pollBody(QStringLiteral("q"))), 401);
    VERIFY_STATUS(viaNginx.post(Polls + QStringLiteral("/p/close")), 401);
    // The poll is still there; a direct loopback caller may still administer.
    VERIFY_STATUS(viaNginx.get(Polls + QStringLiteral("/p")), 200);
    VERIFY_STATUS(direct.del(Polls + QStringLiteral("/p")), 204);
    nginx.stop();
    QCOMPARE(tally.stop(), 0);
}

QTEST_GUILESS_MAIN(TestNginxAdmin)
#include "tst_nginx_admin.moc"
