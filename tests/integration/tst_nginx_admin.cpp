// Poll administration behind the shipped nginx configuration (packaging/nginx/tally.conf,
// adapted only in ports and paths) in front of Tally started with the shipped systemd
// unit's command line (packaging/systemd/tally.service, its state directory moved to a
// temporary one):
//  - the unit's Tally generates its admin token on first start, mode 0600, and keeps it
//    across restarts; through nginx, admin calls need that token;
//  - a Tally without any token answers admin calls through nginx with 401 and says how
//    to set one, while the same call made directly from loopback succeeds.
#include "httpclient.h"
#include "nginxprocess.h"
#include "tallyprocess.h"
#include "testkit.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QRegularExpression>
#include <QTemporaryDir>
#include <QTest>

#include <memory>
#include <sys/stat.h>

using TestKit::bearer;
using TestKit::pollBody;

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

// The shipped site configuration with its listen address and upstream servers replaced,
// included by a test nginx of its own prefix directory.
class ShippedNginx {
public:
    static QString binary() { return NginxProcess::binary(); }

    bool start(quint16 upstream)
    {
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
        site.replace(listen, QStringLiteral("    listen 127.0.0.1:%1;").arg(m_nginx.port()));
        site.replace(servers, QString());
        site.replace(QStringLiteral("least_conn;"),
                     QStringLiteral("least_conn;\n    server 127.0.0.1:%1;").arg(upstream));
        return m_nginx.writeFile(QStringLiteral("tally.conf"), site) &&
               m_nginx.start(QStringLiteral("    include %1/tally.conf;\n").arg(m_nginx.prefix()));
    }

    void stop() { m_nginx.stop(); }
    QUrl url() const { return m_nginx.url(); }
    QString errorString() const { return m_error.isEmpty() ? m_nginx.errorString() : m_error; }

private:
    NginxProcess m_nginx;
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
    if (!headless || dataDir < 0 || arguments.value(dataDir + 1) != StateDirectory) {
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
        VERIFY_STATUS(viaNginx.postJson(Polls, pollBody(id), bearer(token.toLatin1())), 201);
        VERIFY_STATUS(viaNginx.post(Polls + u'/' + id + QStringLiteral("/close")), 401);
        VERIFY_STATUS(viaNginx.del(Polls + u'/' + id), 401);
        VERIFY_STATUS(viaNginx.del(Polls + u'/' + id, bearer(token.toLatin1())), 204);
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
