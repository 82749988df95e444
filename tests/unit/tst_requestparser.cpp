#include "core/requestparser.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

class TestRequestParser : public QObject {
    Q_OBJECT

private:
    static QJsonObject object(const char *json)
    {
        QJsonParseError error;
        const QJsonDocument document = QJsonDocument::fromJson(QByteArray(json), &error);
        if (error.error != QJsonParseError::NoError || !document.isObject())
            qFatal("bad JSON in test: %s", json);
        return document.object();
    }

    static QJsonObject validPoll()
    {
        return object(R"({"question": "Best colour?", "theme": "colours",
                          "options": ["Red", "Green", "Blue"], "id": "colour-1"})");
    }

    static QJsonArray optionsOf(int count)
    {
        QJsonArray options;
        for (int i = 0; i < count; ++i)
            options.append(QStringLiteral("Option %1").arg(i));
        return options;
    }

private slots:
    void parseObject_data()
    {
        QTest::addColumn<QByteArray>("body");
        QTest::addColumn<bool>("ok");
        QTest::newRow("object") << QByteArray(R"({"a": 1})") << true;
        QTest::newRow("empty object") << QByteArray("{}") << true;
        QTest::newRow("object with whitespace") << QByteArray(" \n{ } \n") << true;
        QTest::newRow("truncated") << QByteArray(R"({"a": )") << false;
        QTest::newRow("trailing comma") << QByteArray(R"({"a": 1,})") << false;
        QTest::newRow("garbage") << QByteArray("option_id=A") << false;
        QTest::newRow("empty body") << QByteArray() << false;
        QTest::newRow("array") << QByteArray(R"([{"a": 1}])") << false;
        QTest::newRow("empty array") << QByteArray("[]") << false;
        QTest::newRow("string") << QByteArray(R"("A")") << false;
        QTest::newRow("number") << QByteArray("7") << false;
        QTest::newRow("null") << QByteArray("null") << false;
    }

    void parseObject()
    {
        QFETCH(QByteArray, body);
        QFETCH(bool, ok);
        const Outcome<QJsonObject> result = RequestParser::parseObject(body);
        QCOMPARE(result.ok(), ok);
        if (ok)
            return;
        QCOMPARE(result.error().kind, TallyError::Kind::Malformed);
        QCOMPARE(result.error().code, QStringLiteral("malformed_json"));
        QVERIFY(!result.error().message.isEmpty());
    }

    void parseObjectKeepsContent()
    {
        const Outcome<QJsonObject> result =
            RequestParser::parseObject(R"({"option_id": "B", "n": 2})");
        QVERIFY(result.ok());
        QCOMPARE(result.value().value(QStringLiteral("option_id")).toString(), QStringLiteral("B"));
        QCOMPARE(result.value().value(QStringLiteral("n")).toInt(), 2);
    }

    void newPollValid()
    {
        const Outcome<Poll> result = RequestParser::parseNewPoll(validPoll());
        QVERIFY(result.ok());
        const Poll &poll = result.value();
        QCOMPARE(poll.id, QStringLiteral("colour-1"));
        QCOMPARE(poll.question, QStringLiteral("Best colour?"));
        QCOMPARE(poll.theme, QStringLiteral("colours"));
        QCOMPARE(poll.options, QStringList({QStringLiteral("Red"), QStringLiteral("Green"),
                                            QStringLiteral("Blue")}));
        QVERIFY(poll.open);
        QVERIFY(!poll.oneVotePerVoter);
        QVERIFY(poll.shard.isEmpty());
    }

    void newPollTrimsAndDefaults()
    {
        const Outcome<Poll> result = RequestParser::parseNewPoll(object(
            R"({"question": "  Tea or coffee?  ", "options": [" Tea ", "Coffee"],
                "theme": "   ", "one_vote_per_voter": true})"));
        QVERIFY(result.ok());
        QCOMPARE(result.value().question, QStringLiteral("Tea or coffee?"));
        QCOMPARE(result.value().options,
                 QStringList({QStringLiteral("Tea"), QStringLiteral("Coffee")}));
        QCOMPARE(result.value().theme, QStringLiteral("general"));
        QVERIFY(result.value().oneVotePerVoter);

        const Outcome<Poll> noTheme =
            RequestParser::parseNewPoll(object(R"({"question": "Q", "options": ["a", "b"],
                                                   "theme": null, "one_vote_per_voter": null})"));
        QVERIFY(noTheme.ok());
        QCOMPARE(noTheme.value().theme, QStringLiteral("general"));
        QVERIFY(!noTheme.value().oneVotePerVoter);
    }

    void newPollLimitsAccepted()
    {
        QJsonObject json = validPoll();
        json.insert(QStringLiteral("question"), QString(500, u'q'));
        json.insert(QStringLiteral("theme"), QString(64, u't'));
        json.insert(QStringLiteral("id"), QString(64, u'i'));
        QJsonArray options = optionsOf(9);
        options.append(QString(200, u'o'));
        json.insert(QStringLiteral("options"), options);
        const Outcome<Poll> result = RequestParser::parseNewPoll(json);
        QVERIFY(result.ok());
        QCOMPARE(result.value().question.size(), 500);
        QCOMPARE(result.value().options.size(), 10);
        QCOMPARE(result.value().id, QString(64, u'i'));

        json.insert(QStringLiteral("options"), optionsOf(2));
        QVERIFY(RequestParser::parseNewPoll(json).ok());
    }

    void newPollErrors_data()
    {
        QTest::addColumn<QJsonObject>("json");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("field");

        auto with = [](const QString &key, const QJsonValue &value) {
            QJsonObject json = validPoll();
            json.insert(key, value);
            return json;
        };
        auto without = [](const QString &key) {
            QJsonObject json = validPoll();
            json.remove(key);
            return json;
        };
        const QString question = QStringLiteral("question");
        const QString options = QStringLiteral("options");
        const QString id = QStringLiteral("id");

        QTest::newRow("missing question") << without(question) << "missing_field" << question;
        QTest::newRow("null question")
            << with(question, QJsonValue::Null) << "missing_field" << question;
        QTest::newRow("question number") << with(question, 5) << "invalid_field" << question;
        QTest::newRow("question array")
            << with(question, QJsonArray{QStringLiteral("q")}) << "invalid_field" << question;
        QTest::newRow("question empty") << with(question, QString()) << "invalid_question"
                                        << "";
        QTest::newRow("question blank")
            << with(question, QStringLiteral("   ")) << "invalid_question"
            << "";
        QTest::newRow("question 501 chars")
            << with(question, QString(501, u'q')) << "invalid_question"
            << "";

        QTest::newRow("theme number") << with(QStringLiteral("theme"), 3) << "invalid_field"
                                      << "theme";
        QTest::newRow("theme 65 chars")
            << with(QStringLiteral("theme"), QString(65, u't')) << "invalid_theme"
            << "";

        QTest::newRow("missing options") << without(options) << "missing_field" << options;
        QTest::newRow("options string")
            << with(options, QStringLiteral("A,B")) << "invalid_field" << options;
        QTest::newRow("options object")
            << with(options, QJsonObject{}) << "invalid_field" << options;
        QTest::newRow("0 options") << with(options, QJsonArray()) << "invalid_options"
                                   << "";
        QTest::newRow("1 option") << with(options, optionsOf(1)) << "invalid_options"
                                  << "";
        QTest::newRow("11 options") << with(options, optionsOf(11)) << "invalid_options"
                                    << "";
        QTest::newRow("option number")
            << with(options, QJsonArray{QStringLiteral("a"), 2}) << "invalid_field" << options;
        QTest::newRow("option null") << with(options, QJsonArray{QStringLiteral("a"), QJsonValue()})
                                     << "invalid_field" << options;
        QTest::newRow("empty option")
            << with(options, QJsonArray{QStringLiteral("a"), QString()}) << "invalid_options"
            << "";
        QTest::newRow("blank option")
            << with(options, QJsonArray{QStringLiteral("a"), QStringLiteral("  ")})
            << "invalid_options"
            << "";
        QTest::newRow("option 201 chars")
            << with(options, QJsonArray{QStringLiteral("a"), QString(201, u'o')})
            << "invalid_options"
            << "";
        QTest::newRow("duplicate options")
            << with(options,
                    QJsonArray{QStringLiteral("Yes"), QStringLiteral("No"), QStringLiteral("Yes")})
            << "invalid_options"
            << "";
        QTest::newRow("duplicate options, case")
            << with(options, QJsonArray{QStringLiteral("Yes"), QStringLiteral("yES")})
            << "invalid_options"
            << "";
        QTest::newRow("duplicate options, spaces")
            << with(options, QJsonArray{QStringLiteral("Yes"), QStringLiteral(" yes ")})
            << "invalid_options"
            << "";

        QTest::newRow("one_vote_per_voter string")
            << with(QStringLiteral("one_vote_per_voter"), QStringLiteral("yes")) << "invalid_field"
            << "one_vote_per_voter";
        QTest::newRow("one_vote_per_voter number")
            << with(QStringLiteral("one_vote_per_voter"), 1) << "invalid_field"
            << "one_vote_per_voter";

        QTest::newRow("id with space") << with(id, QStringLiteral("a b")) << "invalid_id"
                                       << "";
        QTest::newRow("id 65 chars") << with(id, QString(65, u'x')) << "invalid_id"
                                     << "";
        QTest::newRow("id empty") << with(id, QString()) << "invalid_id"
                                  << "";
        QTest::newRow("id slash") << with(id, QStringLiteral("a/b")) << "invalid_id"
                                  << "";
        QTest::newRow("id dot") << with(id, QStringLiteral("a.b")) << "invalid_id"
                                << "";
        QTest::newRow("id non-ascii") << with(id, QString::fromUtf8("caf\xc3\xa9")) << "invalid_id"
                                      << "";
        QTest::newRow("id fraction") << with(id, 7.5) << "invalid_id"
                                     << "";
        QTest::newRow("id huge number") << with(id, 1e300) << "invalid_id"
                                        << "";
        QTest::newRow("id bool") << with(id, true) << "invalid_field" << id;
        QTest::newRow("id array") << with(id, QJsonArray{7}) << "invalid_field" << id;
        QTest::newRow("id object") << with(id, QJsonObject{}) << "invalid_field" << id;
    }

    void newPollErrors()
    {
        QFETCH(QJsonObject, json);
        QFETCH(QString, code);
        QFETCH(QString, field);
        const Outcome<Poll> result = RequestParser::parseNewPoll(json);
        QVERIFY(!result.ok());
        QCOMPARE(result.error().kind, TallyError::Kind::Invalid);
        QCOMPARE(result.error().code, code);
        QVERIFY(!result.error().message.isEmpty());
        if (!field.isEmpty())
            QVERIFY2(result.error().message.contains(QStringLiteral("'%1'").arg(field)),
                     qPrintable(result.error().message));
    }

    void newPollNumericId_data()
    {
        QTest::addColumn<QJsonValue>("id");
        QTest::addColumn<QString>("expected");
        QTest::newRow("7") << QJsonValue(7) << QStringLiteral("7");
        QTest::newRow("7.0") << QJsonValue(7.0) << QStringLiteral("7");
        QTest::newRow("0") << QJsonValue(0) << QStringLiteral("0");
        QTest::newRow("large") << QJsonValue(qint64(9007199254740991))
                               << QStringLiteral("9007199254740991");
        QTest::newRow("string 7") << QJsonValue(QStringLiteral("7")) << QStringLiteral("7");
        QTest::newRow("all id characters")
            << QJsonValue(QStringLiteral("Az09_-")) << QStringLiteral("Az09_-");
    }

    void newPollNumericId()
    {
        QFETCH(QJsonValue, id);
        QFETCH(QString, expected);
        QJsonObject json = validPoll();
        json.insert(QStringLiteral("id"), id);
        const Outcome<Poll> result = RequestParser::parseNewPoll(json);
        QVERIFY(result.ok());
        QCOMPARE(result.value().id, expected);
    }

    void newPollGeneratedId()
    {
        static const QRegularExpression pattern(QStringLiteral("\\A[a-z0-9]{12}\\z"));
        QJsonObject json = validPoll();
        json.remove(QStringLiteral("id"));
        QSet<QString> seen;
        for (int i = 0; i < 100; ++i) {
            const Outcome<Poll> result = RequestParser::parseNewPoll(json);
            QVERIFY(result.ok());
            QVERIFY2(pattern.match(result.value().id).hasMatch(), qPrintable(result.value().id));
            QVERIFY(Poll::isValidId(result.value().id));
            seen.insert(result.value().id);
        }
        QCOMPARE(seen.size(), 100);

        json.insert(QStringLiteral("id"), QJsonValue::Null);
        const Outcome<Poll> fromNull = RequestParser::parseNewPoll(json);
        QVERIFY(fromNull.ok());
        QVERIFY(pattern.match(fromNull.value().id).hasMatch());
    }

    void voteValid()
    {
        const Outcome<VoteRequest> plain =
            RequestParser::parseVote(QStringLiteral("7"), object(R"({"option_id": "B"})"));
        QVERIFY(plain.ok());
        QCOMPARE(plain.value().pollId, QStringLiteral("7"));
        QCOMPARE(plain.value().optionId, QStringLiteral("B"));
        QCOMPARE(plain.value().voterId, QString());

        const Outcome<VoteRequest> withVoter = RequestParser::parseVote(
            QStringLiteral("p"), object(R"({"option_id": "A", "voter_id": "alice"})"));
        QVERIFY(withVoter.ok());
        QCOMPARE(withVoter.value().voterId, QStringLiteral("alice"));

        const Outcome<VoteRequest> nullVoter = RequestParser::parseVote(
            QStringLiteral("p"), object(R"({"option_id": "A", "voter_id": null})"));
        QVERIFY(nullVoter.ok());
        QCOMPARE(nullVoter.value().voterId, QString());

        QJsonObject longVoter = object(R"({"option_id": "A"})");
        longVoter.insert(QStringLiteral("voter_id"), QString(128, u'v'));
        QVERIFY(RequestParser::parseVote(QStringLiteral("p"), longVoter).ok());

        // Whether the option exists is the catalog's business, not the parser's.
        const Outcome<VoteRequest> unknown =
            RequestParser::parseVote(QStringLiteral("p"), object(R"({"option_id": "Z"})"));
        QVERIFY(unknown.ok());
        QCOMPARE(unknown.value().optionId, QStringLiteral("Z"));
    }

    void voteErrors_data()
    {
        QTest::addColumn<QJsonObject>("json");
        QTest::addColumn<QString>("code");
        QTest::addColumn<QString>("field");
        QTest::newRow("empty object") << object("{}") << "missing_field"
                                      << "option_id";
        QTest::newRow("other field") << object(R"({"option": "A"})") << "missing_field"
                                     << "option_id";
        QTest::newRow("null option") << object(R"({"option_id": null})") << "missing_field"
                                     << "option_id";
        QTest::newRow("option number") << object(R"({"option_id": 1})") << "invalid_field"
                                       << "option_id";
        QTest::newRow("option bool") << object(R"({"option_id": true})") << "invalid_field"
                                     << "option_id";
        QTest::newRow("option array") << object(R"({"option_id": ["A"]})") << "invalid_field"
                                      << "option_id";
        QTest::newRow("voter number")
            << object(R"({"option_id": "A", "voter_id": 12})") << "invalid_field"
            << "voter_id";
        QTest::newRow("voter object")
            << object(R"({"option_id": "A", "voter_id": {}})") << "invalid_field"
            << "voter_id";
        QJsonObject longVoter = object(R"({"option_id": "A"})");
        longVoter.insert(QStringLiteral("voter_id"), QString(129, u'v'));
        QTest::newRow("voter 129 chars") << longVoter << "invalid_voter_id"
                                         << "";
    }

    void voteErrors()
    {
        QFETCH(QJsonObject, json);
        QFETCH(QString, code);
        QFETCH(QString, field);
        const Outcome<VoteRequest> result = RequestParser::parseVote(QStringLiteral("7"), json);
        QVERIFY(!result.ok());
        QCOMPARE(result.error().kind, TallyError::Kind::Invalid);
        QCOMPARE(result.error().code, code);
        if (!field.isEmpty())
            QVERIFY2(result.error().message.contains(QStringLiteral("'%1'").arg(field)),
                     qPrintable(result.error().message));
    }

    void bulkItems_data()
    {
        QTest::addColumn<QJsonValue>("item");
        QTest::addColumn<QString>("code"); // empty: accepted
        QTest::addColumn<QString>("pollId");
        QTest::addColumn<QString>("optionId");

        auto item = [](const char *json) { return QJsonValue(object(json)); };
        QTest::newRow("string ids") << item(R"({"poll_id": "abc", "option_id": "B"})") << ""
                                    << "abc"
                                    << "B";
        QTest::newRow("numeric poll id") << item(R"({"poll_id": 7, "option_id": "A"})") << ""
                                         << "7"
                                         << "A";
        QTest::newRow("numeric poll id 7.0") << item(R"({"poll_id": 7.0, "option_id": "A"})") << ""
                                             << "7"
                                             << "A";
        QTest::newRow("with voter")
            << item(R"({"poll_id": "7", "option_id": "C", "voter_id": "v"})") << ""
            << "7"
            << "C";
        QTest::newRow("not an object") << QJsonValue(QStringLiteral("7:A")) << "invalid_field"
                                       << ""
                                       << "";
        QTest::newRow("array item")
            << QJsonValue(QJsonArray{7, QStringLiteral("A")}) << "invalid_field"
            << ""
            << "";
        QTest::newRow("null item") << QJsonValue() << "invalid_field"
                                   << ""
                                   << "";
        QTest::newRow("missing poll id") << item(R"({"option_id": "A"})") << "missing_field"
                                         << ""
                                         << "";
        QTest::newRow("null poll id")
            << item(R"({"poll_id": null, "option_id": "A"})") << "missing_field"
            << ""
            << "";
        QTest::newRow("fractional poll id")
            << item(R"({"poll_id": 7.5, "option_id": "A"})") << "invalid_field"
            << ""
            << "";
        QTest::newRow("bool poll id")
            << item(R"({"poll_id": true, "option_id": "A"})") << "invalid_field"
            << ""
            << "";
        QTest::newRow("missing option id") << item(R"({"poll_id": "7"})") << "missing_field"
                                           << ""
                                           << "";
        QTest::newRow("numeric option id")
            << item(R"({"poll_id": "7", "option_id": 0})") << "invalid_field"
            << ""
            << "";
        QTest::newRow("bad voter id")
            << item(R"({"poll_id": "7", "option_id": "A", "voter_id": false})") << "invalid_field"
            << ""
            << "";
    }

    void bulkItems()
    {
        QFETCH(QJsonValue, item);
        QFETCH(QString, code);
        QFETCH(QString, pollId);
        QFETCH(QString, optionId);
        const Outcome<VoteRequest> result = RequestParser::parseBulkItem(item);
        if (code.isEmpty()) {
            QVERIFY(result.ok());
            QCOMPARE(result.value().pollId, pollId);
            QCOMPARE(result.value().optionId, optionId);
            return;
        }
        QVERIFY(!result.ok());
        QCOMPARE(result.error().kind, TallyError::Kind::Invalid);
        QCOMPARE(result.error().code, code);
    }
};

QTEST_GUILESS_MAIN(TestRequestParser)
#include "tst_requestparser.moc"
