// Log line formats: one line per message whatever the message holds.
#include "core/logger.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QtTest>

class TestLogger : public QObject {
    Q_OBJECT
private slots:
    void textLineEscapesControlCharacters();
    void jsonLineHasTheFourFields();
    void accessLineInBothFormats();
    void componentFromCategory();

private:
    const QDateTime m_time = QDateTime(QDate(2026, 11, 29), QTime(21, 0, 1, 234), Qt::UTC);
};

void TestLogger::textLineEscapesControlCharacters()
{
    const QByteArray line =
        Logger::formatLine(Logger::Format::Text, QtWarningMsg, QStringLiteral("storage"),
                           QStringLiteral("Shard a\nb: \x1b[31mred\\ %1\r"), m_time);
    QCOMPARE(
        line,
        QByteArray(
            "2026-11-29T21:00:01.234Z warning storage: Shard a\\nb: \\x{1b}[31mred\\\\ %1\\r\n"));
    QCOMPARE(line.count('\n'), 1);
}

void TestLogger::jsonLineHasTheFourFields()
{
    const QString message = QStringLiteral("poll \"7\"\nclosed\t\x01");
    const QByteArray line = Logger::formatLine(Logger::Format::Json, QtInfoMsg,
                                               QStringLiteral("journal"), message, m_time);
    QVERIFY(line.endsWith('\n'));
    QCOMPARE(line.count('\n'), 1);
    QJsonParseError error;
    const QJsonObject object = QJsonDocument::fromJson(line, &error).object();
    QCOMPARE(error.error, QJsonParseError::NoError);
    QCOMPARE(object.keys(), (QStringList{"component", "level", "message", "time"}));
    QCOMPARE(object.value("time").toString(), QStringLiteral("2026-11-29T21:00:01.234Z"));
    QCOMPARE(object.value("level").toString(), QStringLiteral("info"));
    QCOMPARE(object.value("component").toString(), QStringLiteral("journal"));
    QCOMPARE(object.value("message").toString(), message);
    QCOMPARE(Logger::levelName(QtCriticalMsg), QStringLiteral("error"));
}

void TestLogger::accessLineInBothFormats()
{
    const Logger::AccessEntry entry{QStringLiteral("POST"),
                                    QStringLiteral("/api/v1/vote/{poll_id}"),
                                    QStringLiteral("/api/v1/vote/%0A%25%31x"),
                                    202,
                                    0.4125,
                                    QStringLiteral("10.0.0.1")};
    QCOMPARE(Logger::formatAccess(Logger::Format::Text, entry, m_time),
             QByteArray("2026-11-29T21:00:01.234Z info access: POST /api/v1/vote/%0A%25%31x 202 "
                        "route=/api/v1/vote/{poll_id} duration_ms=0.412 client=10.0.0.1\n"));
    const QByteArray json = Logger::formatAccess(Logger::Format::Json, entry, m_time);
    QCOMPARE(json.count('\n'), 1);
    const QJsonObject object = QJsonDocument::fromJson(json).object();
    QCOMPARE(object.value("component").toString(), QStringLiteral("access"));
    QCOMPARE(object.value("method").toString(), QStringLiteral("POST"));
    QCOMPARE(object.value("route").toString(), QStringLiteral("/api/v1/vote/{poll_id}"));
    QCOMPARE(object.value("path").toString(), entry.path);
    QCOMPARE(object.value("status").toInt(), 202);
    QCOMPARE(object.value("duration_ms").toDouble(), 0.4125);
    QCOMPARE(object.value("client").toString(), QStringLiteral("10.0.0.1"));

    Logger::AccessEntry hostile = entry;
    hostile.client = QStringLiteral("a\nb");
    QCOMPARE(Logger::formatAccess(Logger::Format::Text, hostile, m_time).count('\n'), 1);
}

void TestLogger::componentFromCategory()
{
    QCOMPARE(Logger::componentOf("tally.storage"), QStringLiteral("storage"));
    QCOMPARE(Logger::componentOf("qt.network.ssl"), QStringLiteral("qt.network.ssl"));
    QCOMPARE(Logger::componentOf("default"), QStringLiteral("app")); // the test's main thread
}

QTEST_GUILESS_MAIN(TestLogger)
#include "tst_logger.moc"
