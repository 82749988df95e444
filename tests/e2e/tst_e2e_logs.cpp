// End-to-end tests of the logs: with --log-format json every line on stderr is one
// JSON object with time, level, component and message; --access-log adds a line per
// request with its route template, status, duration and client; text mode keeps one
// line per message whatever a request carried.
#include "httpclient.h"
#include "tallyprocess.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

class TestE2eLogs : public QObject {
    Q_OBJECT
private slots:
    void jsonLinesWithAccessLog();
    void textAccessLogKeepsOneLinePerRequest();
    void noAccessLogByDefault();
};

void TestE2eLogs::jsonLinesWithAccessLog()
{
    TallyProcess server(
        {QStringLiteral("--log-format"), QStringLiteral("json"), QStringLiteral("--access-log")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient client(server.url());
    VERIFY_STATUS(client.get(QStringLiteral("/health")), 200);
    VERIFY_STATUS(client.get(QStringLiteral("/api/v1/polls/no-such-poll")), 404);
    VERIFY_STATUS(client.send("PATCH", QStringLiteral("/api/v1/polls")), 405);
    QCOMPARE(server.stop(), 0);

    QList<QJsonObject> access;
    bool sawSignal = false;
    const QStringList lines = server.stderrText().split(u'\n', Qt::SkipEmptyParts);
    QVERIFY(!lines.isEmpty());
    for (const QString &line : lines) {
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(line.toUtf8(), &error);
        QVERIFY2(error.error == QJsonParseError::NoError && document.isObject(), qPrintable(line));
        const QJsonObject object = document.object();
        for (const char *field : {"time", "level", "component", "message"})
            QVERIFY2(object.value(QLatin1StringView(field)).isString(), qPrintable(line));
        QVERIFY2(
            QDateTime::fromString(object.value("time").toString(), Qt::ISODateWithMs).isValid(),
            qPrintable(line));
        if (object.value("component").toString() == u"access")
            access.append(object);
        if (object.value("component").toString() == u"app" &&
            object.value("message").toString().startsWith("Signal 15"))
            sawSignal = true;
    }
    QVERIFY2(sawSignal, qPrintable(server.stderrText()));
    QCOMPARE(access.size(), 3);
    QCOMPARE(access[0].value("method").toString(), QStringLiteral("GET"));
    QCOMPARE(access[0].value("route").toString(), QStringLiteral("/health"));
    QCOMPARE(access[0].value("status").toInt(), 200);
    QCOMPARE(access[0].value("client").toString(), QStringLiteral("127.0.0.1"));
    QVERIFY(access[0].value("duration_ms").toDouble() >= 0);
    QCOMPARE(access[1].value("route").toString(), QStringLiteral("/api/v1/polls/{id}"));
    QCOMPARE(access[1].value("path").toString(), QStringLiteral("/api/v1/polls/no-such-poll"));
    QCOMPARE(access[1].value("status").toInt(), 404);
    QCOMPARE(access[2].value("method").toString(), QStringLiteral("PATCH"));
    QCOMPARE(access[2].value("route").toString(), QStringLiteral("unmatched"));
    QCOMPARE(access[2].value("status").toInt(), 405);
}

void TestE2eLogs::textAccessLogKeepsOneLinePerRequest()
{
    TallyProcess server({QStringLiteral("--access-log")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient client(server.url());
    // A header value with a control character is refused before it reaches any log.
    VERIFY_STATUS(client.get(QStringLiteral("/ready"), {{"X-Forwarded-For", "203.0.113.9\x1b[2J"}}),
                  400);
    VERIFY_STATUS(client.get(QStringLiteral("/ready"), {{"X-Forwarded-For", "203.0.113.9"}}), 200);
    VERIFY_STATUS(client.raw("GET", "/api/v1/polls/%0D%0Aforged%20line"), 404);
    QCOMPARE(server.stop(), 0);

    const QStringList lines = server.stderrText().split(u'\n', Qt::SkipEmptyParts);
    QStringList access;
    for (const QString &line : lines) {
        QVERIFY2(!line.contains(QChar(0x1b)), qPrintable(line));
        QVERIFY2(!line.startsWith(u"forged"), qPrintable(line));
        if (line.contains(QStringLiteral(" info access: ")))
            access.append(line);
    }
    QCOMPARE(access.size(), 2);
    QVERIFY2(access[0].contains(QStringLiteral("GET /ready 200 route=/ready duration_ms=")),
             qPrintable(access[0]));
    QVERIFY2(access[1].contains(QStringLiteral(
                 "GET /api/v1/polls/%0D%0Aforged%20line 404 route=/api/v1/polls/{id}")),
             qPrintable(access[1]));
}

void TestE2eLogs::noAccessLogByDefault()
{
    TallyProcess server;
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient client(server.url());
    VERIFY_STATUS(client.get(QStringLiteral("/health")), 200);
    QCOMPARE(server.stop(), 0);
    QVERIFY2(!server.stderrText().contains(QStringLiteral("access:")),
             qPrintable(server.stderrText()));
    QVERIFY2(server.stderrText().contains(QStringLiteral(" info app: Signal 15: stopping")),
             qPrintable(server.stderrText()));
}

QTEST_GUILESS_MAIN(TestE2eLogs)
#include "tst_e2e_logs.moc"
