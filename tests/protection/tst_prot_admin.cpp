// Admin authentication: every admin route answers 401 without a bearer token, 403 with
// a wrong one (same length or not) and succeeds with the right one; read and vote
// routes need none. A server bound beyond loopback without --admin-token makes its
// own token, stores it in <data-dir>/admin-token (mode 0600) and says so on stderr.
//
// The servers bound to 0.0.0.0 here are only ever talked to through 127.0.0.1.
#include "protkit.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <sys/stat.h>

using namespace prot;

namespace {

const QByteArray Token = "s3cret-Token-0123456789abcdef";

QJsonObject unauthorized()
{
    return errorJson(QStringLiteral("unauthorized"),
                     QStringLiteral("This operation needs 'Authorization: Bearer <admin token>'."));
}

QJsonObject forbidden()
{
    return errorJson(QStringLiteral("forbidden"), QStringLiteral("The admin token is not valid."));
}

int fileMode(const QString &path)
{
    struct stat info {};
    if (::stat(QFile::encodeName(path).constData(), &info) != 0)
        return -1;
    return int(info.st_mode & 07777);
}

// Same length as Token, one byte different (the last, so a compare that stops at the
// first difference would take longest on it).
QByteArray sameLengthWrong()
{
    QByteArray wrong = Token;
    wrong[wrong.size() - 1] = 'X';
    return wrong;
}

} // namespace

class TestAdmin : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void cleanupTestCase();
    void adminRoutesNeedTheToken_data();
    void adminRoutesNeedTheToken();
    void otherRoutesNeedNoToken();
    void generatedTokenBeyondLoopback();
    void givenTokenIsNotWritten();
    void loopbackNeedsNoToken();
    void forwardedRequestsAreNotLocal_data();
    void forwardedRequestsAreNotLocal();
    void tokenFileIsCreatedPrivately();

private:
    std::unique_ptr<TallyProcess> m_tally;
};

void TestAdmin::initTestCase()
{
    m_tally = std::make_unique<TallyProcess>(
        QStringList{"--admin-token", QString::fromLatin1(Token), "--durability", "async"});
    PROT_START(*m_tally);
}

void TestAdmin::cleanupTestCase()
{
    if (m_tally)
        QCOMPARE(m_tally->stop(), 0);
}

void TestAdmin::adminRoutesNeedTheToken_data()
{
    QTest::addColumn<QByteArray>("method");
    QTest::addColumn<QString>("path");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("success");
    // In this order: the poll is created, closed, opened and deleted.
    QTest::newRow("create") << QByteArray("POST") << Polls << compact(pollBody("adm")) << 201;
    QTest::newRow("close") << QByteArray("POST") << QStringLiteral("/api/v1/polls/adm/close")
                           << QByteArray() << 200;
    QTest::newRow("open") << QByteArray("POST") << QStringLiteral("/api/v1/polls/adm/open")
                          << QByteArray() << 200;
    QTest::newRow("delete") << QByteArray("DELETE") << QStringLiteral("/api/v1/polls/adm")
                            << QByteArray() << 204;
}

void TestAdmin::adminRoutesNeedTheToken()
{
    QFETCH(QByteArray, method);
    QFETCH(QString, path);
    QFETCH(QByteArray, body);
    QFETCH(int, success);
    HttpClient client(m_tally->url());

    struct Attempt {
        const char *what;
        HttpHeaders headers;
        int status;
    };
    const QList<Attempt> refused = {
        {"no Authorization", {}, 401},
        {"Basic scheme", {{"Authorization", "Basic YWRtaW46YWRtaW4="}}, 401},
        {"token without scheme", {{"Authorization", Token}}, 401},
        {"wrong token, same length", bearer(sameLengthWrong()), 403},
        {"wrong token, first byte", bearer("X" + Token.mid(1)), 403},
        {"token prefix (shorter)", bearer(Token.left(Token.size() - 1)), 403},
        {"token plus a byte (longer)", bearer(Token + "f"), 403},
        {"one byte", bearer("s"), 403},
        {"much longer", bearer(Token + Token + Token), 403},
        {"other case", bearer(Token.toUpper()), 403},
    };
    for (const Attempt &attempt : refused) {
        const HttpResponse response = client.send(method, path, body, attempt.headers);
        QVERIFY2(response.status == attempt.status,
                 qPrintable(QStringLiteral("%1: %2").arg(attempt.what, response.describe())));
        QCOMPARE(response.json, attempt.status == 401 ? unauthorized() : forbidden());
        if (attempt.status == 401)
            QCOMPARE(response.header("WWW-Authenticate"), QByteArray("Bearer"));
    }
    // Nothing happened: the poll is as before.
    const HttpResponse before = client.get(QStringLiteral("/api/v1/polls/adm"));
    QCOMPARE(before.status, path == Polls ? 404 : 200);

    const HttpResponse done = client.send(method, path, body, bearer(Token));
    PROT_STATUS(done, success);
    if (path.endsWith(u"/close"))
        QCOMPARE(done.json.value("status").toString(), QStringLiteral("closed"));
    if (path.endsWith(u"/open"))
        QCOMPARE(done.json.value("status").toString(), QStringLiteral("open"));
    if (method == "DELETE")
        PROT_STATUS(client.get(QStringLiteral("/api/v1/polls/adm")), 404);
}

void TestAdmin::otherRoutesNeedNoToken()
{
    HttpClient client(m_tally->url());
    PROT_STATUS(client.postJson(Polls, pollBody("pub"), bearer(Token)), 201);
    PROT_STATUS(client.get(Polls), 200);
    PROT_STATUS(client.get(QStringLiteral("/api/v1/polls/pub")), 200);
    PROT_STATUS(client.post(Vote + QStringLiteral("pub"), voteBody("A")), 202);
    PROT_STATUS(client.get(Results + QStringLiteral("pub")), 200);
    PROT_STATUS(client.get(Stats), 200);
    // The scheme name is case-insensitive (RFC 7235); the token is not.
    PROT_STATUS(client.post(QStringLiteral("/api/v1/polls/pub/close"), {},
                            {{"Authorization", "bearer " + Token}}),
                200);
    PROT_STATUS(client.post(QStringLiteral("/api/v1/polls/pub/open"), {},
                            {{"Authorization", "BEARER " + Token}}),
                200);
    // An unknown poll is not revealed to a caller without the token.
    const HttpResponse hidden = client.post(QStringLiteral("/api/v1/polls/nope/close"));
    PROT_STATUS(hidden, 401);
    PROT_STATUS(client.post(QStringLiteral("/api/v1/polls/nope/close"), {}, bearer(Token)), 404);
}

void TestAdmin::generatedTokenBeyondLoopback()
{
    QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/tally-prot-token-XXXXXX"));
    QVERIFY(dir.isValid());
    const QString tokenPath = QDir(dir.path()).filePath(QStringLiteral("admin-token"));
    QVERIFY(!QFile::exists(tokenPath));
    QString token;
    for (int run = 0; run < 2; ++run) {
        TallyProcess tally({"--bind", "0.0.0.0", "--durability", "async"}, dir.path());
        PROT_START(tally);
        // Only ever talk to loopback.
        QCOMPARE(tally.url().host(), QStringLiteral("127.0.0.1"));

        QVERIFY(QFile::exists(tokenPath));
        QCOMPARE(fileMode(tokenPath), 0600);
        QFile file(tokenPath);
        QVERIFY(file.open(QIODevice::ReadOnly));
        const QString stored = QString::fromUtf8(file.readAll()).trimmed();
        // 24 random bytes in hex.
        QVERIFY2(QRegularExpression(QStringLiteral("^[0-9a-f]{48}$")).match(stored).hasMatch(),
                 qPrintable(stored));
        if (run == 0)
            token = stored;
        else
            QCOMPARE(stored, token); // a restart keeps the token

        const QString stderrText = tally.stderrText();
        QVERIFY2(
            stderrText.contains(QStringLiteral("admin calls need the token in %1").arg(tokenPath)),
            qPrintable(stderrText));
        QVERIFY2(!stderrText.contains(token), "the token itself must not be printed");

        HttpClient client(tally.url());
        const QString id = QStringLiteral("gen%1").arg(run);
        const HttpResponse anonymous = client.postJson(Polls, pollBody(id));
        PROT_STATUS(anonymous, 401);
        QCOMPARE(anonymous.json, unauthorized());
        const HttpResponse wrong =
            client.postJson(Polls, pollBody(id), bearer(QByteArray(48, 'a')));
        PROT_STATUS(wrong, 403);
        QCOMPARE(wrong.json, forbidden());
        PROT_STATUS(client.postJson(Polls, pollBody(id), bearer(token.toLatin1())), 201);
        PROT_STATUS(client.del(QStringLiteral("/api/v1/polls/") + id), 401);
        PROT_STATUS(client.del(QStringLiteral("/api/v1/polls/") + id, bearer(token.toLatin1())),
                    204);
        QCOMPARE(tally.stop(), 0);
    }
}

void TestAdmin::givenTokenIsNotWritten()
{
    QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/tally-prot-token-XXXXXX"));
    QVERIFY(dir.isValid());
    TallyProcess tally(
        {"--bind", "0.0.0.0", "--admin-token", "given-token", "--durability", "async"}, dir.path());
    PROT_START(tally);
    QCOMPARE(tally.url().host(), QStringLiteral("127.0.0.1"));
    QVERIFY(!QFile::exists(QDir(dir.path()).filePath(QStringLiteral("admin-token"))));
    QVERIFY(!tally.stderrText().contains(QStringLiteral("admin-token")));
    HttpClient client(tally.url());
    PROT_STATUS(client.postJson(Polls, pollBody("given")), 401);
    PROT_STATUS(client.postJson(Polls, pollBody("given"), bearer("given-token")), 201);
    QCOMPARE(tally.stop(), 0);
}

void TestAdmin::loopbackNeedsNoToken()
{
    // The default bind address is loopback: no token is made and admin calls are open.
    TallyProcess tally({"--durability", "async"});
    PROT_START(tally);
    QVERIFY(!QFile::exists(QDir(tally.dataDir()).filePath(QStringLiteral("admin-token"))));
    HttpClient client(tally.url());
    PROT_STATUS(client.postJson(Polls, pollBody("open")), 201);
    PROT_STATUS(client.del(QStringLiteral("/api/v1/polls/open")), 204);
    QCOMPARE(tally.stop(), 0);
}

void TestAdmin::forwardedRequestsAreNotLocal_data()
{
    QTest::addColumn<QByteArray>("header");
    QTest::addColumn<QByteArray>("value");
    QTest::newRow("X-Forwarded-For") << QByteArray("X-Forwarded-For") << QByteArray("203.0.113.7");
    QTest::newRow("X-Forwarded-For loopback")
        << QByteArray("X-Forwarded-For") << QByteArray("127.0.0.1");
    QTest::newRow("X-Real-IP") << QByteArray("X-Real-IP") << QByteArray("203.0.113.7");
    QTest::newRow("Forwarded") << QByteArray("Forwarded") << QByteArray("for=203.0.113.7");
    QTest::newRow("empty X-Forwarded-For") << QByteArray("X-Forwarded-For") << QByteArray();
}

void TestAdmin::forwardedRequestsAreNotLocal()
{
    // Without a token only local requests administer: a loopback peer that forwards
    // for someone (a proxy on this machine) is not local.
    QFETCH(QByteArray, header);
    QFETCH(QByteArray, value);
    TallyProcess tally({"--durability", "async"});
    PROT_START(tally);
    HttpClient client(tally.url());
    PROT_STATUS(client.postJson(Polls, pollBody("p")), 201);

    const QByteArray request = "DELETE /api/v1/polls/p HTTP/1.1\r\nHost: x\r\n" + header + ": " +
                               value + "\r\nContent-Length: 0\r\n\r\n";
    const HttpResponse refused = client.raw(request);
    PROT_STATUS(refused, 401);
    QCOMPARE(refused.header("WWW-Authenticate"), QByteArray("Bearer"));
    QCOMPARE(refused.errorCode(), QStringLiteral("admin_token_not_set"));
    const QString message = refused.json.value("error").toObject().value("message").toString();
    QVERIFY2(message.contains(QStringLiteral("--admin-token")) &&
                 message.contains(QStringLiteral("TALLY_ADMIN_TOKEN")) &&
                 message.contains(QStringLiteral("--admin-token-file")),
             qPrintable(message));
    PROT_STATUS(client.get(QStringLiteral("/api/v1/polls/p")), 200);
    PROT_STATUS(client.del(QStringLiteral("/api/v1/polls/p")), 204);
    QCOMPARE(tally.stop(), 0);
}

void TestAdmin::tokenFileIsCreatedPrivately()
{
    QTemporaryDir dir(QDir::tempPath() + QStringLiteral("/tally-prot-token-XXXXXX"));
    QVERIFY(dir.isValid());
    const QString tokenPath = QDir(dir.path()).filePath(QStringLiteral("state/admin-token"));
    // A permissive umask must not widen the file's mode.
    const mode_t previous = ::umask(0);
    TallyProcess tally({"--admin-token-file", tokenPath, "--durability", "async"});
    const bool started = tally.start();
    ::umask(previous);
    QVERIFY2(started, qPrintable(tally.diagnostics()));
    QCOMPARE(fileMode(tokenPath), 0600);
    QCOMPARE(QDir(QFileInfo(tokenPath).absolutePath()).entryList(QDir::Files | QDir::Hidden),
             QStringList{QStringLiteral("admin-token")});
    QFile file(tokenPath);
    QVERIFY(file.open(QIODevice::ReadOnly));
    const QByteArray token = file.readAll().trimmed();
    file.close();
    QCOMPARE(token.size(), 48);
    // With a token, even local callers need it.
    HttpClient client(tally.url());
    PROT_STATUS(client.postJson(Polls, pollBody("f")), 401);
    PROT_STATUS(client.postJson(Polls, pollBody("f"), bearer(token)), 201);
    QCOMPARE(tally.stop(), 0);

    // A file that holds no token is an error, never silently replaced.
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    file.close();
    const TallyProcess::Result empty = TallyProcess::run(
        {"--headless", "--port", "0", "--data-dir", dir.path(), "--admin-token-file", tokenPath});
    QVERIFY(empty.finished);
    QVERIFY(empty.exitCode != 0);
    QVERIFY2(empty.err.contains(QStringLiteral("holds no token")), qPrintable(empty.err));
}

QTEST_GUILESS_MAIN(TestAdmin)
#include "tst_prot_admin.moc"
