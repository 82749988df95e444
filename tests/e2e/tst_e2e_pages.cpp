// End-to-end tests of the audience pages as HTTP resources: status, headers (ETag,
// Cache-Control, CSP, nosniff, content types), conditional GET, HEAD, the API prefix
// and the public URL, against a running tally binary. What the pages do in a
// browser is covered by tests/browser.
#include "httpclient.h"
#include "tallyprocess.h"

#include <QJsonArray>
#include <QRegularExpression>
#include <QTcpSocket>
#include <QTest>

#include <memory>

namespace {

// The versioned asset links of a page, e.g. "/assets/tally.js?v=0123abcd".
QStringList assetLinks(const QByteArray &html)
{
    QStringList links;
    static const QRegularExpression link(QStringLiteral("(?:href|src)=\"(/assets/[^\"]+)\""));
    for (const QRegularExpressionMatch &match : link.globalMatch(QString::fromUtf8(html)))
        links.append(match.captured(1));
    return links;
}

// Sends `first`, reads its head, then sends `second` on the same connection and reads
// until its answer is complete. Returns everything received after the first head: a
// HEAD answer must have no body, so this starts with the second answer's status line.
QByteArray afterHead(quint16 port, const QByteArray &first, const QByteArray &second,
                     QByteArray *head)
{
    QTcpSocket socket;
    socket.connectToHost(QStringLiteral("127.0.0.1"), port);
    if (!socket.waitForConnected(5000))
        return {};
    socket.write(first);
    QByteArray received;
    QDeadlineTimer deadline(5000);
    while (!received.contains("\r\n\r\n") && !deadline.hasExpired())
        if (socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime()))))
            received += socket.readAll();
    const qsizetype end = received.indexOf("\r\n\r\n");
    if (end < 0)
        return {};
    *head = received.left(end + 4);
    QByteArray rest = received.mid(end + 4);
    socket.write(second);
    // The second request is GET /health: its answer ends with the JSON body's "}".
    while (!rest.endsWith('}') && !deadline.hasExpired())
        if (socket.waitForReadyRead(int(qMax<qint64>(1, deadline.remainingTime()))))
            rest += socket.readAll();
    return rest;
}

QByteArray headerValue(const QByteArray &head, const QByteArray &name)
{
    for (const QByteArray &line : head.split('\n')) {
        const qsizetype colon = line.indexOf(':');
        if (colon > 0 && line.left(colon).trimmed().compare(name, Qt::CaseInsensitive) == 0)
            return line.mid(colon + 1).trimmed();
    }
    return {};
}

} // namespace

class TestE2ePages : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void indexPageHeaders();
    void pagesHaveNoInlineScriptOrStyle();
    void pollPageStatus();
    void assetsHaveTypesAndVersions();
    void unknownAssetIsAJsonError();
    void ifNoneMatchGivesNotModified();
    void headSendsHeadersOnly();
    void wrongMethodIsRefused();
    void pagesStaySmall();
    void apiPrefixReachesThePage();
    void publicUrlDefaultsToTheServer();
    void publicUrlFromTheSetting();

private:
    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<HttpClient> m_http;
};

void TestE2ePages::initTestCase()
{
    m_server = std::make_unique<TallyProcess>(
        QStringList{QStringLiteral("--workers"), QStringLiteral("2")});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_http = std::make_unique<HttpClient>(m_server->url());
    const HttpResponse created =
        m_http->postJson(QStringLiteral("/api/v1/polls"),
                         {{QStringLiteral("id"), QStringLiteral("snack")},
                          {QStringLiteral("question"), QStringLiteral("Best snack?")},
                          {QStringLiteral("options"),
                           QJsonArray{QStringLiteral("Pizza"), QStringLiteral("Tacos")}}});
    VERIFY_STATUS(created, 201);
}

void TestE2ePages::cleanupTestCase()
{
    if (m_server && m_server->isRunning())
        QCOMPARE(m_server->stop(), 0);
}

void TestE2ePages::indexPageHeaders()
{
    const HttpResponse page = m_http->get(QStringLiteral("/"));
    VERIFY_STATUS(page, 200);
    QCOMPARE(page.header("Content-Type"), QByteArray("text/html; charset=utf-8"));
    QCOMPARE(page.header("X-Content-Type-Options"), QByteArray("nosniff"));
    QCOMPARE(page.header("Cache-Control"), QByteArray("no-cache"));
    QVERIFY2(QRegularExpression(QStringLiteral(R"(^"[0-9a-f]{20}"$)"))
                 .match(QString::fromLatin1(page.header("ETag")))
                 .hasMatch(),
             page.header("ETag").constData());
    const QByteArray policy = page.header("Content-Security-Policy");
    QVERIFY2(policy.startsWith("default-src 'self';"), policy.constData());
    QVERIFY2(policy.contains("script-src 'self';"), policy.constData());
    QVERIFY2(policy.contains("style-src 'self';"), policy.constData());
    QVERIFY2(!policy.contains("unsafe-inline") && !policy.contains("unsafe-eval"),
             policy.constData());
    QVERIFY(page.body.contains("<title>Open polls · Tally</title>"));
    QVERIFY(page.body.contains(R"(data-page="index")"));
}

void TestE2ePages::pagesHaveNoInlineScriptOrStyle()
{
    for (const QString &path : {QStringLiteral("/"), QStringLiteral("/p/snack")}) {
        const QByteArray html = m_http->get(path).body;
        static const QRegularExpression script(QStringLiteral(R"(<script\b([^>]*)>)"));
        int scripts = 0;
        for (const QRegularExpressionMatch &match : script.globalMatch(QString::fromUtf8(html))) {
            ++scripts;
            QVERIFY2(match.captured(1).contains(QStringLiteral("src=\"/assets/")),
                     qPrintable(match.captured(0)));
        }
        QCOMPARE(scripts, 1);
        static const QRegularExpression handler(QStringLiteral(R"(\son[a-z]+\s*=)"));
        QVERIFY2(!html.contains("<style") && !html.contains("style=\"") &&
                     !handler.match(QString::fromUtf8(html)).hasMatch(),
                 qPrintable(path));
        QVERIFY2(!html.contains("{{"), "every template field is filled in");
    }
}

void TestE2ePages::pollPageStatus()
{
    const HttpResponse known = m_http->get(QStringLiteral("/p/snack"));
    VERIFY_STATUS(known, 200);
    QCOMPARE(known.header("Content-Type"), QByteArray("text/html; charset=utf-8"));
    QVERIFY(known.body.contains(R"(data-page="poll")"));
    // An unknown poll gets the same page, which says so, with a 404.
    const HttpResponse unknown = m_http->get(QStringLiteral("/p/nope"));
    VERIFY_STATUS(unknown, 404);
    QCOMPARE(unknown.header("Content-Type"), QByteArray("text/html; charset=utf-8"));
    QCOMPARE(unknown.body, known.body);
    QCOMPARE(unknown.header("Content-Security-Policy"), known.header("Content-Security-Policy"));
}

void TestE2ePages::assetsHaveTypesAndVersions()
{
    const QStringList links = assetLinks(m_http->get(QStringLiteral("/p/snack")).body);
    QCOMPARE(links.size(), 3);
    const QMap<QString, QByteArray> types{
        {QStringLiteral("tally.js"), "text/javascript; charset=utf-8"},
        {QStringLiteral("tally.css"), "text/css; charset=utf-8"},
        {QStringLiteral("icon.svg"), "image/svg+xml"}};
    for (const QString &link : links) {
        const QString name = link.section(u'/', 2).section(u'?', 0, 0);
        QVERIFY2(types.contains(name), qPrintable(link));
        const HttpResponse versioned = m_http->get(link);
        VERIFY_STATUS(versioned, 200);
        QCOMPARE(versioned.header("Content-Type"), types.value(name));
        QCOMPARE(versioned.header("X-Content-Type-Options"), QByteArray("nosniff"));
        QCOMPARE(versioned.header("Cache-Control"),
                 QByteArray("public, max-age=31536000, immutable"));
        // The version in the link is the asset's ETag.
        QCOMPARE(versioned.header("ETag"),
                 '"' + link.section(QStringLiteral("?v="), 1).toLatin1() + '"');
        // Without the current version the asset must be revalidated.
        const HttpResponse plain = m_http->get(QStringLiteral("/assets/") + name);
        QCOMPARE(plain.header("Cache-Control"), QByteArray("no-cache"));
        QCOMPARE(plain.body, versioned.body);
        const HttpResponse stale = m_http->get(QStringLiteral("/assets/%1?v=0000").arg(name));
        QCOMPARE(stale.header("Cache-Control"), QByteArray("no-cache"));
    }
}

void TestE2ePages::unknownAssetIsAJsonError()
{
    const HttpResponse missing = m_http->get(QStringLiteral("/assets/nothing.js"));
    VERIFY_STATUS(missing, 404);
    QCOMPARE(missing.errorCode(), QStringLiteral("not_found"));
    const HttpResponse traversal = m_http->get(QStringLiteral("/assets/..%2Findex.html"));
    VERIFY_STATUS(traversal, 404);
    QCOMPARE(traversal.errorCode(), QStringLiteral("not_found"));
}

void TestE2ePages::ifNoneMatchGivesNotModified()
{
    const HttpResponse first = m_http->get(QStringLiteral("/assets/tally.css"));
    const QByteArray etag = first.header("ETag");
    QVERIFY(!etag.isEmpty());
    for (const QByteArray &condition : {etag, "W/" + etag, "\"other\", " + etag, QByteArray("*")}) {
        const HttpResponse again =
            m_http->get(QStringLiteral("/assets/tally.css"), {{"If-None-Match", condition}});
        QVERIFY2(again.status == 304,
                 qPrintable(QString::fromLatin1(condition) + u' ' + again.describe()));
        QVERIFY(again.body.isEmpty());
        QCOMPARE(again.header("ETag"), etag);
        QCOMPARE(again.header("Cache-Control"), QByteArray("no-cache"));
    }
    const HttpResponse changed =
        m_http->get(QStringLiteral("/assets/tally.css"), {{"If-None-Match", "\"other\""}});
    VERIFY_STATUS(changed, 200);
    QCOMPARE(changed.body, first.body);
    const HttpResponse page = m_http->get(
        QStringLiteral("/"), {{"If-None-Match", m_http->get(QStringLiteral("/")).header("ETag")}});
    VERIFY_STATUS(page, 304);
}

void TestE2ePages::headSendsHeadersOnly()
{
    for (const QByteArray &path :
         {QByteArray("/"), QByteArray("/p/snack"), QByteArray("/assets/tally.js")}) {
        const HttpResponse get = m_http->get(QString::fromLatin1(path));
        VERIFY_STATUS(get, 200);
        QByteArray head;
        const QByteArray rest =
            afterHead(m_server->port(), "HEAD " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
                      "GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n", &head);
        QVERIFY2(head.startsWith("HTTP/1.1 200"), head.constData());
        QCOMPARE(headerValue(head, "Content-Length"), QByteArray::number(get.body.size()));
        QCOMPARE(headerValue(head, "Content-Type"), get.header("Content-Type"));
        QCOMPARE(headerValue(head, "ETag"), get.header("ETag"));
        QCOMPARE(headerValue(head, "Content-Security-Policy"),
                 get.header("Content-Security-Policy"));
        // No body: the next bytes on the connection are the next answer.
        QVERIFY2(rest.startsWith("HTTP/1.1 200"), rest.left(200).constData());
        QVERIFY2(rest.endsWith("{\"status\":\"healthy\"}"), rest.right(200).constData());
    }
}

void TestE2ePages::wrongMethodIsRefused()
{
    const HttpResponse post = m_http->post(QStringLiteral("/"), "{}");
    VERIFY_STATUS(post, 405);
    QCOMPARE(post.errorCode(), QStringLiteral("method_not_allowed"));
    QCOMPARE(post.header("Allow"), QByteArray("GET, HEAD"));
    const HttpResponse del = m_http->del(QStringLiteral("/assets/tally.js"));
    VERIFY_STATUS(del, 405);
}

void TestE2ePages::pagesStaySmall()
{
    const qsizetype script = m_http->get(QStringLiteral("/assets/tally.js")).body.size();
    const qsizetype style = m_http->get(QStringLiteral("/assets/tally.css")).body.size();
    for (const QString &path : {QStringLiteral("/"), QStringLiteral("/p/snack")}) {
        const qsizetype total = m_http->get(path).body.size() + script + style;
        QVERIFY2(total < 50 * 1024,
                 qPrintable(QStringLiteral("%1: %2 bytes").arg(path).arg(total)));
        qInfo("%s with script and style: %lld bytes", qPrintable(path), qlonglong(total));
    }
}

void TestE2ePages::apiPrefixReachesThePage()
{
    QCOMPARE(m_http->get(QStringLiteral("/")).body.contains(R"(data-api="/api/v1")"), true);
    TallyProcess other({QStringLiteral("--api-prefix"), QStringLiteral("/votes-api/v2"),
                        QStringLiteral("--workers"), QStringLiteral("1")});
    QVERIFY2(other.start(), qPrintable(other.diagnostics()));
    HttpClient http(other.url());
    const HttpResponse page = http.get(QStringLiteral("/p/anything"));
    QVERIFY2(page.body.contains(R"(data-api="/votes-api/v2")"), page.body.left(800).constData());
    QCOMPARE(http.get(QStringLiteral("/votes-api/v2/polls")).status, 200);
    QCOMPARE(other.stop(), 0);
}

void TestE2ePages::publicUrlDefaultsToTheServer()
{
    const HttpResponse stats = m_http->get(QStringLiteral("/api/v1/stats"));
    VERIFY_STATUS(stats, 200);
    QCOMPARE(stats.json.value(QStringLiteral("public_url")).toString(),
             m_server->url().toString(QUrl::StripTrailingSlash));
}

void TestE2ePages::publicUrlFromTheSetting()
{
    TallyProcess other({QStringLiteral("--workers"), QStringLiteral("1")});
    other.setEnvironmentValue(QStringLiteral("TALLY_PUBLIC_URL"),
                              QStringLiteral("https://vote.example.test/"));
    QVERIFY2(other.start(), qPrintable(other.diagnostics()));
    HttpClient http(other.url());
    QCOMPARE(http.get(QStringLiteral("/api/v1/stats"))
                 .json.value(QStringLiteral("public_url"))
                 .toString(),
             QStringLiteral("https://vote.example.test"));
    QCOMPARE(other.stop(), 0);
}

QTEST_GUILESS_MAIN(TestE2ePages)
#include "tst_e2e_pages.moc"
