// JsonText and BulkReply write the hot answers without QJsonObject: their bytes must be
// exactly what QJsonDocument::toJson(Compact) writes for the same values.
#include "http/bulkreply.h"
#include "http/jsontext.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>
#include <limits>

class TestJsonText : public QObject {
    Q_OBJECT

private slots:
    void stringsMatchQt_data();
    void stringsMatchQt();
    void integersMatchQt_data();
    void integersMatchQt();
    void bulkReplyMatchesQt();
};

void TestJsonText::integersMatchQt_data()
{
    QTest::addColumn<qint64>("value");
    QTest::addColumn<QByteArray>("text");
    QTest::newRow("zero") << qint64(0) << QByteArray("0");
    QTest::newRow("one digit") << qint64(7) << QByteArray("7");
    QTest::newRow("negative") << qint64(-42) << QByteArray("-42");
    QTest::newRow("votes") << qint64(1234567890123) << QByteArray("1234567890123");
    QTest::newRow("largest") << std::numeric_limits<qint64>::max()
                             << QByteArray("9223372036854775807");
    QTest::newRow("smallest") << std::numeric_limits<qint64>::min()
                              << QByteArray("-9223372036854775808");
}

void TestJsonText::integersMatchQt()
{
    QFETCH(qint64, value);
    QFETCH(QByteArray, text);
    QByteArray out("x:");
    JsonText::appendInteger(out, value);
    QCOMPARE(out, "x:" + text);
    QCOMPARE(out.sliced(2), QByteArray::number(value));
}

void TestJsonText::stringsMatchQt_data()
{
    QTest::addColumn<QString>("text");
    QTest::newRow("empty") << QString();
    QTest::newRow("plain") << QStringLiteral("poll-7_a.b~c");
    QTest::newRow("printable") << QStringLiteral(" !#$%&'()*+,-./:;<=>?@[]^`{|}~");
    QTest::newRow("quote") << QStringLiteral("say \"hi\"");
    QTest::newRow("backslash") << QStringLiteral("a\\b");
    QTest::newRow("controls") << QStringLiteral("\b\f\n\r\t") + QChar(0x01) + QChar(0x1f);
    QTest::newRow("delete") << QString(QChar(0x7f));
    QTest::newRow("non-ASCII") << QStringLiteral("Umfrage über Käse €");
    QTest::newRow("surrogate pair") << QString::fromUtf8("\xF0\x9F\x8D\x95 pizza");
    QTest::newRow("lone surrogate") << QString(QChar(0xd800));
}

void TestJsonText::stringsMatchQt()
{
    QFETCH(QString, text);
    QByteArray ours;
    JsonText::appendString(ours, text);
    const QByteArray qt = QJsonDocument(QJsonArray{text}).toJson(QJsonDocument::Compact);
    QCOMPARE(ours, qt.mid(1, qt.size() - 2));
}

void TestJsonText::bulkReplyMatchesQt()
{
    const auto vote = [](const QString &pollId, const QString &optionId) {
        VoteRequest request;
        request.pollId = pollId;
        request.optionId = optionId;
        return request;
    };
    VoteService::BulkResult result;
    result.items = {vote(QStringLiteral("7"), QStringLiteral("A")),
                    TallyError::pollNotFound(QStringLiteral("n\"ope")),
                    vote(QStringLiteral("Käse"), QStringLiteral("B"))};
    result.outcomes = {Outcome<int>(0), TallyError::pollNotFound(QStringLiteral("n\"ope")),
                       Outcome<int>(1)};
    result.accepted = 2;

    QJsonArray items;
    items.append(QJsonObject{{QStringLiteral("status"), QStringLiteral("accepted")},
                             {QStringLiteral("poll_id"), QStringLiteral("7")},
                             {QStringLiteral("option_id"), QStringLiteral("A")}});
    const TallyError error = TallyError::pollNotFound(QStringLiteral("n\"ope"));
    items.append(QJsonObject{
        {QStringLiteral("status"), QStringLiteral("rejected")},
        {QStringLiteral("error"), QJsonObject{{QStringLiteral("code"), error.code},
                                              {QStringLiteral("message"), error.message}}}});
    items.append(QJsonObject{{QStringLiteral("status"), QStringLiteral("accepted")},
                             {QStringLiteral("poll_id"), QStringLiteral("Käse")},
                             {QStringLiteral("option_id"), QStringLiteral("B")}});
    const QJsonObject summary{{QStringLiteral("accepted"), 2},
                              {QStringLiteral("rejected"), 1},
                              {QStringLiteral("results"), items}};
    QCOMPARE(BulkReply::encode(result), QJsonDocument(summary).toJson(QJsonDocument::Compact));

    QCOMPARE(BulkReply::encode(VoteService::BulkResult{}),
             QByteArray(R"({"accepted":0,"rejected":0,"results":[]})"));
}

QTEST_APPLESS_MAIN(TestJsonText)
#include "tst_jsontext.moc"
