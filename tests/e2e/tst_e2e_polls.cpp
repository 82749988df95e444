// End-to-end tests of poll administration: create, list, get, close/open, delete,
// themes and the admin token, against a running tally binary.
#include "httpclient.h"
#include "tallyprocess.h"
#include "testkit.h"

#include <QDateTime>
#include <QJsonArray>
#include <QRegularExpression>
#include <QSet>
#include <QTest>

#include <memory>

using namespace TestKit;

namespace {

QStringList idsOf(const HttpResponse &list)
{
    QStringList ids;
    for (const QJsonValue &poll : list.json.value(QStringLiteral("polls")).toArray())
        ids.append(poll.toObject().value(QStringLiteral("id")).toString());
    return ids;
}

QJsonObject vote(const QString &option)
{
    return {{QStringLiteral("option_id"), option}};
}

QStringList sortedKeys(const QJsonObject &object)
{
    QStringList keys = object.keys();
    keys.sort();
    return keys;
}

} // namespace

class TestE2ePolls : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void createReturnsThePoll();
    void createWithThemeAndOneVotePerVoter();
    void createGeneratesAnId();
    void createAcceptsNumericAndLongestIds();
    void createRejectsDuplicateId();
    void createRejectsInvalidBodies_data();
    void createRejectsInvalidBodies();
    void shardIsARingNode();
    void listFiltersByThemeAndStatus();
    void getUnknownPoll();
    void closeAndOpenControlVoting();
    void deleteRemovesPollAndCounts();
    void themesCountPolls();
    void adminTokenGuardsAdministration();

private:
    HttpResponse create(const QJsonObject &body, const HttpHeaders &headers = {})
    {
        return m_client->postJson(QStringLiteral("/api/v1/polls"), body, headers);
    }

    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<HttpClient> m_client;
};

void TestE2ePolls::initTestCase()
{
    m_server = std::make_unique<TallyProcess>(
        QStringList{QStringLiteral("--workers"), QStringLiteral("2"),
                    QStringLiteral("--batch-interval"), QStringLiteral("0.1")});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_client = std::make_unique<HttpClient>(m_server->url());
}

void TestE2ePolls::cleanupTestCase()
{
    if (m_server && m_server->isRunning()) {
        m_client.reset();
        QCOMPARE(m_server->stop(), 0);
    }
}

void TestE2ePolls::createReturnsThePoll()
{
    const QDateTime before = QDateTime::currentDateTimeUtc().addSecs(-1);
    const HttpResponse created = create(
        pollBody(QStringLiteral("lunch"),
                 {QStringLiteral("Pizza"), QStringLiteral(" Salad "), QStringLiteral("Soup")},
                 QStringLiteral("  What's for lunch?  ")));
    const QDateTime after = QDateTime::currentDateTimeUtc().addSecs(1);
    VERIFY_STATUS(created, 201);
    QVERIFY(created.header("Content-Type").startsWith("application/json"));
    QVERIFY2(created.jsonObject, created.body.constData());

    const QJsonObject &poll = created.json;
    QCOMPARE(sortedKeys(poll),
             QStringList({"closes_at", "created_at", "id", "max_choices", "one_vote_per_voter",
                          "options", "question", "reset_at", "resets", "results_visibility",
                          "results_visible", "shard", "status", "theme"}));
    QCOMPARE(poll.value("id").toString(), QStringLiteral("lunch"));
    QCOMPARE(poll.value("question").toString(), QStringLiteral("What's for lunch?"));
    QCOMPARE(poll.value("theme").toString(), QStringLiteral("general"));
    QCOMPARE(poll.value("status").toString(), QStringLiteral("open"));
    QVERIFY(poll.value("one_vote_per_voter").isBool());
    QCOMPARE(poll.value("one_vote_per_voter").toBool(), false);
    const QJsonArray expectedOptions{QJsonObject{{"id", "A"}, {"text", "Pizza"}},
                                     QJsonObject{{"id", "B"}, {"text", "Salad"}},
                                     QJsonObject{{"id", "C"}, {"text", "Soup"}}};
    QCOMPARE(poll.value("options").toArray(), expectedOptions);
    const QString shard = poll.value("shard").toString();
    QVERIFY2(shard == u"shard-0" || shard == u"shard-1", qPrintable(shard));

    const QString createdAtText = poll.value("created_at").toString();
    QVERIFY2(createdAtText.endsWith(u'Z'), qPrintable(createdAtText));
    const QDateTime createdAt = QDateTime::fromString(createdAtText, Qt::ISODateWithMs);
    QVERIFY2(createdAt.isValid(), qPrintable(createdAtText));
    QVERIFY2(createdAt >= before && createdAt <= after, qPrintable(createdAtText));

    // GET returns the very same poll.
    const HttpResponse fetched = m_client->get(QStringLiteral("/api/v1/polls/lunch"));
    VERIFY_STATUS(fetched, 200);
    QCOMPARE(fetched.json, poll);
}

void TestE2ePolls::createWithThemeAndOneVotePerVoter()
{
    QJsonObject body =
        pollBody(QStringLiteral("strict"), {QStringLiteral("vim"), QStringLiteral("emacs")},
                 QStringLiteral("Best editor?"), QStringLiteral("  tools "));
    body.insert(QStringLiteral("one_vote_per_voter"), true);
    const HttpResponse created = create(body);
    VERIFY_STATUS(created, 201);
    QCOMPARE(created.json.value("theme").toString(), QStringLiteral("tools"));
    QCOMPARE(created.json.value("one_vote_per_voter").toBool(), true);
    QCOMPARE(created.json.value("options").toArray().size(), 2);

    const HttpResponse fetched = m_client->get(QStringLiteral("/api/v1/polls/strict"));
    VERIFY_STATUS(fetched, 200);
    QCOMPARE(fetched.json, created.json);
}

void TestE2ePolls::createGeneratesAnId()
{
    const HttpResponse first = create(
        pollBody({}, {QStringLiteral("yes"), QStringLiteral("no")}, QStringLiteral("Generated?")));
    const HttpResponse second = create(
        pollBody({}, {QStringLiteral("yes"), QStringLiteral("no")}, QStringLiteral("Generated?")));
    VERIFY_STATUS(first, 201);
    VERIFY_STATUS(second, 201);
    static const QRegularExpression validId(QStringLiteral("^[A-Za-z0-9_-]{1,64}$"));
    const QString firstId = first.json.value("id").toString();
    const QString secondId = second.json.value("id").toString();
    QVERIFY2(validId.match(firstId).hasMatch(), qPrintable(firstId));
    QVERIFY2(validId.match(secondId).hasMatch(), qPrintable(secondId));
    QVERIFY(firstId != secondId);

    const HttpResponse fetched = m_client->get(QStringLiteral("/api/v1/polls/") + firstId);
    VERIFY_STATUS(fetched, 200);
    QCOMPARE(fetched.json, first.json);
}

void TestE2ePolls::createAcceptsNumericAndLongestIds()
{
    // A numeric id (the prior art's style) becomes its decimal string.
    QJsonObject numeric =
        pollBody({}, {QStringLiteral("yes"), QStringLiteral("no")}, QStringLiteral("Numeric?"));
    numeric.insert(QStringLiteral("id"), 7);
    const HttpResponse seven = create(numeric);
    VERIFY_STATUS(seven, 201);
    QCOMPARE(seven.json.value("id").toString(), QStringLiteral("7"));
    VERIFY_STATUS(m_client->get(QStringLiteral("/api/v1/polls/7")), 200);

    const QString longest = QStringLiteral("Az09_-").repeated(10) + QStringLiteral("abcd");
    QCOMPARE(longest.size(), 64);
    const HttpResponse created = create(pollBody(
        longest, {QStringLiteral("yes"), QStringLiteral("no")}, QStringLiteral("Long id?")));
    VERIFY_STATUS(created, 201);
    QCOMPARE(created.json.value("id").toString(), longest);
    VERIFY_STATUS(m_client->get(QStringLiteral("/api/v1/polls/") + longest), 200);
}

void TestE2ePolls::createRejectsDuplicateId()
{
    const QJsonObject body =
        pollBody(QStringLiteral("twice"), {QStringLiteral("a"), QStringLiteral("b")},
                 QStringLiteral("Once?"));
    const HttpResponse first = create(body);
    VERIFY_STATUS(first, 201);
    QJsonObject other = body;
    other.insert(QStringLiteral("question"), QStringLiteral("Again?"));
    const HttpResponse second = create(other);
    VERIFY_STATUS(second, 409);
    QCOMPARE(second.errorCode(), QStringLiteral("poll_exists"));
    QVERIFY(!second.json.value("error").toObject().value("message").toString().isEmpty());

    // The first poll is untouched.
    const HttpResponse fetched = m_client->get(QStringLiteral("/api/v1/polls/twice"));
    VERIFY_STATUS(fetched, 200);
    QCOMPARE(fetched.json, first.json);
}

void TestE2ePolls::createRejectsInvalidBodies_data()
{
    QTest::addColumn<QByteArray>("contentType");
    QTest::addColumn<QByteArray>("body");
    QTest::addColumn<int>("status");
    QTest::addColumn<QString>("code");

    const QByteArray json = "application/json";
    const QString eleven = QStringLiteral(
        R"({"question":"q","options":["1","2","3","4","5","6","7","8","9","10","11"]})");
    QTest::newRow("not json") << json << QByteArray("question=q") << 400 << "malformed_json";
    QTest::newRow("truncated") << json << QByteArray(R"({"question":"q",)") << 400
                               << "malformed_json";
    QTest::newRow("array") << json << QByteArray(R"(["q"])") << 400 << "malformed_json";
    QTest::newRow("text/plain") << QByteArray("text/plain")
                                << QByteArray(R"({"question":"q","options":["a","b"]})") << 415
                                << "unsupported_media_type";
    QTest::newRow("empty object") << json << QByteArray("{}") << 422 << "missing_field";
    QTest::newRow("question number")
        << json << QByteArray(R"({"question":5,"options":["a","b"]})") << 422 << "invalid_field";
    QTest::newRow("question blank")
        << json << QByteArray(R"({"question":"  ","options":["a","b"]})") << 422
        << "invalid_question";
    QTest::newRow("options missing")
        << json << QByteArray(R"({"question":"q"})") << 422 << "missing_field";
    QTest::newRow("options string")
        << json << QByteArray(R"({"question":"q","options":"a,b"})") << 422 << "invalid_field";
    QTest::newRow("one option") << json << QByteArray(R"({"question":"q","options":["a"]})") << 422
                                << "invalid_options";
    QTest::newRow("eleven options") << json << eleven.toUtf8() << 422 << "invalid_options";
    QTest::newRow("duplicate options")
        << json << QByteArray(R"({"question":"q","options":["Yes","yes "]})") << 422
        << "invalid_options";
    QTest::newRow("blank option") << json << QByteArray(R"({"question":"q","options":["a"," "]})")
                                  << 422 << "invalid_options";
    QTest::newRow("option number")
        << json << QByteArray(R"({"question":"q","options":["a",2]})") << 422 << "invalid_field";
    QTest::newRow("id with space")
        << json << QByteArray(R"({"id":"a b","question":"q","options":["a","b"]})") << 422
        << "invalid_id";
    QTest::newRow("id 65 chars") << json
                                 << (R"({"id":")" + QByteArray(65, 'x') +
                                     R"(","question":"q","options":["a","b"]})")
                                 << 422 << "invalid_id";
    QTest::newRow("id empty") << json
                              << QByteArray(R"({"id":"","question":"q","options":["a","b"]})")
                              << 422 << "invalid_id";
    QTest::newRow("id fraction") << json
                                 << QByteArray(R"({"id":1.5,"question":"q","options":["a","b"]})")
                                 << 422 << "invalid_id";
    QTest::newRow("id bool") << json
                             << QByteArray(R"({"id":true,"question":"q","options":["a","b"]})")
                             << 422 << "invalid_field";
    QTest::newRow("theme number") << json
                                  << QByteArray(R"({"theme":3,"question":"q","options":["a","b"]})")
                                  << 422 << "invalid_field";
    QTest::newRow("theme 65 chars")
        << json
        << (R"({"theme":")" + QByteArray(65, 't') + R"(","question":"q","options":["a","b"]})")
        << 422 << "invalid_theme";
    QTest::newRow("one_vote_per_voter string")
        << json << QByteArray(R"({"question":"q","options":["a","b"],"one_vote_per_voter":"yes"})")
        << 422 << "invalid_field";
}

void TestE2ePolls::createRejectsInvalidBodies()
{
    QFETCH(QByteArray, contentType);
    QFETCH(QByteArray, body);
    QFETCH(int, status);
    QFETCH(QString, code);

    const int pollsBefore = int(idsOf(m_client->get(QStringLiteral("/api/v1/polls"))).size());
    const HttpResponse response =
        m_client->post(QStringLiteral("/api/v1/polls"), body, {{"Content-Type", contentType}});
    VERIFY_STATUS(response, status);
    QVERIFY(response.header("Content-Type").startsWith("application/json"));
    QCOMPARE(response.errorCode(), code);
    QVERIFY(!response.json.value("error").toObject().value("message").toString().isEmpty());
    QCOMPARE(int(idsOf(m_client->get(QStringLiteral("/api/v1/polls"))).size()), pollsBefore);
}

void TestE2ePolls::shardIsARingNode()
{
    const HttpResponse ring = m_client->get(QStringLiteral("/api/v1/ring"));
    VERIFY_STATUS(ring, 200);
    QCOMPARE(ring.json.value("hash").toString(), QStringLiteral("md5"));
    QCOMPARE(ring.json.value("virtual_nodes").toInt(), 100);
    const QJsonArray nodes = ring.json.value("nodes").toArray();
    QCOMPARE(nodes.size(), 2);
    QHash<QString, int> ringPolls;
    double share = 0;
    for (const QJsonValue &node : nodes) {
        const QJsonObject object = node.toObject();
        ringPolls.insert(object.value("name").toString(), object.value("polls").toInt());
        QCOMPARE(object.value("virtual_nodes").toInt(), 100);
        QCOMPARE(object.value("kind").toString(), QStringLiteral("embedded"));
        QCOMPARE(object.value("state").toString(), QStringLiteral("up"));
        share += object.value("share").toDouble();
    }
    QCOMPARE(QSet<QString>(ringPolls.keyBegin(), ringPolls.keyEnd()),
             QSet<QString>({QStringLiteral("shard-0"), QStringLiteral("shard-1")}));
    QVERIFY2(qAbs(share - 1.0) < 1e-9, qPrintable(QString::number(share, 'g', 17)));

    // Twelve more polls: with two shards, both get some.
    for (int i = 0; i < 12; ++i)
        VERIFY_STATUS(create(pollBody(QStringLiteral("ring-%1").arg(i),
                                      {QStringLiteral("here"), QStringLiteral("there")},
                                      QStringLiteral("Where?"))),
                      201);

    // Every poll names a ring node, and the ring counts exactly the polls naming it.
    const HttpResponse list = m_client->get(QStringLiteral("/api/v1/polls"));
    VERIFY_STATUS(list, 200);
    QHash<QString, int> listed;
    for (const QJsonValue &poll : list.json.value("polls").toArray()) {
        const QString shard = poll.toObject().value("shard").toString();
        QVERIFY2(ringPolls.contains(shard), qPrintable(shard));
        ++listed[shard];
    }
    QCOMPARE(listed.size(), 2);
    const HttpResponse ringAfter = m_client->get(QStringLiteral("/api/v1/ring"));
    for (const QJsonValue &node : ringAfter.json.value("nodes").toArray()) {
        const QJsonObject object = node.toObject();
        QCOMPARE(object.value("polls").toInt(), listed.value(object.value("name").toString()));
    }
}

void TestE2ePolls::listFiltersByThemeAndStatus()
{
    for (const auto &[id, theme] : {std::pair{"l1", "list-food"}, std::pair{"l2", "list-food"},
                                    std::pair{"l3", "list-sport"}})
        VERIFY_STATUS(
            create(pollBody(QString::fromLatin1(id), {QStringLiteral("a"), QStringLiteral("b")},
                            QStringLiteral("Listed?"), QString::fromLatin1(theme))),
            201);
    VERIFY_STATUS(m_client->post(QStringLiteral("/api/v1/polls/l2/close")), 200);

    auto list = [this](const QString &query) {
        const HttpResponse response = m_client->get(QStringLiteral("/api/v1/polls") + query);
        if (response.status != 200)
            qWarning("%s", qPrintable(response.describe()));
        return response;
    };
    // Oldest first.
    QCOMPARE(idsOf(list(QStringLiteral("?theme=list-food"))), QStringList({"l1", "l2"}));
    QCOMPARE(idsOf(list(QStringLiteral("?theme=list-sport"))), QStringList({"l3"}));
    QCOMPARE(idsOf(list(QStringLiteral("?theme=list-food&status=open"))), QStringList({"l1"}));
    QCOMPARE(idsOf(list(QStringLiteral("?theme=list-food&status=closed"))), QStringList({"l2"}));
    QCOMPARE(idsOf(list(QStringLiteral("?theme=list-sport&status=closed"))), QStringList());
    QCOMPARE(idsOf(list(QStringLiteral("?theme=no-such-theme"))), QStringList());

    const HttpResponse closed = list(QStringLiteral("?status=closed"));
    VERIFY_STATUS(closed, 200);
    QVERIFY(idsOf(closed).contains(QStringLiteral("l2")));
    for (const QJsonValue &poll : closed.json.value("polls").toArray())
        QCOMPARE(poll.toObject().value("status").toString(), QStringLiteral("closed"));
    const HttpResponse open = list(QStringLiteral("?status=open"));
    QVERIFY(!idsOf(open).contains(QStringLiteral("l2")));
    QVERIFY(idsOf(open).contains(QStringLiteral("l1")));
    for (const QJsonValue &poll : open.json.value("polls").toArray())
        QCOMPARE(poll.toObject().value("status").toString(), QStringLiteral("open"));

    // Open + closed is everything; the full list is in creation order.
    const QStringList all = idsOf(list({}));
    QCOMPARE(all.size(), idsOf(open).size() + idsOf(closed).size());
    QVERIFY(all.indexOf(QStringLiteral("l1")) < all.indexOf(QStringLiteral("l2")));
    QVERIFY(all.indexOf(QStringLiteral("l2")) < all.indexOf(QStringLiteral("l3")));
    const QJsonArray polls = list({}).json.value("polls").toArray();
    for (qsizetype i = 1; i < polls.size(); ++i)
        QVERIFY(polls[i - 1].toObject().value("created_at").toString() <=
                polls[i].toObject().value("created_at").toString());

    const HttpResponse bad = list(QStringLiteral("?status=paused"));
    VERIFY_STATUS(bad, 422);
    QCOMPARE(bad.errorCode(), QStringLiteral("invalid_filter"));
}

void TestE2ePolls::getUnknownPoll()
{
    const HttpResponse response = m_client->get(QStringLiteral("/api/v1/polls/nope"));
    VERIFY_STATUS(response, 404);
    QCOMPARE(response.errorCode(), QStringLiteral("poll_not_found"));
    QVERIFY(response.json.value("error").toObject().value("message").toString().contains(u"nope"));
}

void TestE2ePolls::closeAndOpenControlVoting()
{
    const HttpResponse created =
        create(pollBody(QStringLiteral("gate"), {QStringLiteral("a"), QStringLiteral("b")},
                        QStringLiteral("Open?")));
    VERIFY_STATUS(created, 201);
    VERIFY_STATUS(m_client->postJson(QStringLiteral("/api/v1/vote/gate"), vote("A")), 202);

    const HttpResponse closed = m_client->post(QStringLiteral("/api/v1/polls/gate/close"));
    VERIFY_STATUS(closed, 200);
    QJsonObject expected = created.json;
    expected.insert(QStringLiteral("status"), QStringLiteral("closed"));
    QCOMPARE(closed.json, expected);
    QCOMPARE(m_client->get(QStringLiteral("/api/v1/polls/gate")).json, expected);

    const HttpResponse refused = m_client->postJson(QStringLiteral("/api/v1/vote/gate"), vote("B"));
    VERIFY_STATUS(refused, 409);
    QCOMPARE(refused.errorCode(), QStringLiteral("poll_closed"));

    // Closing twice is harmless.
    const HttpResponse again = m_client->post(QStringLiteral("/api/v1/polls/gate/close"));
    VERIFY_STATUS(again, 200);
    QCOMPARE(again.json, expected);

    const HttpResponse opened = m_client->post(QStringLiteral("/api/v1/polls/gate/open"));
    VERIFY_STATUS(opened, 200);
    QCOMPARE(opened.json, created.json);
    const HttpResponse accepted =
        m_client->postJson(QStringLiteral("/api/v1/vote/gate"), vote("B"));
    VERIFY_STATUS(accepted, 202);

    // Only the two accepted votes count.
    const HttpResponse results = m_client->get(QStringLiteral("/api/v1/results/gate"));
    VERIFY_STATUS(results, 200);
    QCOMPARE(results.json.value("results").toObject(), QJsonObject({{"A", 1}, {"B", 1}}));
    QCOMPARE(results.json.value("total").toInt(), 2);

    for (const char *action : {"close", "open"}) {
        const HttpResponse unknown =
            m_client->post(QStringLiteral("/api/v1/polls/nope/%1").arg(QLatin1String(action)));
        VERIFY_STATUS(unknown, 404);
        QCOMPARE(unknown.errorCode(), QStringLiteral("poll_not_found"));
    }
}

void TestE2ePolls::deleteRemovesPollAndCounts()
{
    const QJsonObject body =
        pollBody(QStringLiteral("doomed"), {QStringLiteral("a"), QStringLiteral("b")},
                 QStringLiteral("Delete me?"), QStringLiteral("delete-theme"));
    VERIFY_STATUS(create(body), 201);
    for (const char *option : {"A", "A", "B"})
        VERIFY_STATUS(m_client->postJson(QStringLiteral("/api/v1/vote/doomed"), vote(option)), 202);
    // Some of these votes may still be buffered when the poll goes.
    const HttpResponse deleted = m_client->del(QStringLiteral("/api/v1/polls/doomed"));
    VERIFY_STATUS(deleted, 204);
    QVERIFY(deleted.body.isEmpty());

    for (const QString &path :
         {QStringLiteral("/api/v1/polls/doomed"), QStringLiteral("/api/v1/results/doomed")}) {
        const HttpResponse gone = m_client->get(path);
        VERIFY_STATUS(gone, 404);
        QCOMPARE(gone.errorCode(), QStringLiteral("poll_not_found"));
    }
    const HttpResponse voteGone =
        m_client->postJson(QStringLiteral("/api/v1/vote/doomed"), vote("A"));
    VERIFY_STATUS(voteGone, 404);
    QCOMPARE(voteGone.errorCode(), QStringLiteral("poll_not_found"));
    const HttpResponse deleteAgain = m_client->del(QStringLiteral("/api/v1/polls/doomed"));
    VERIFY_STATUS(deleteAgain, 404);
    QCOMPARE(deleteAgain.errorCode(), QStringLiteral("poll_not_found"));
    QVERIFY(
        !idsOf(m_client->get(QStringLiteral("/api/v1/polls"))).contains(QStringLiteral("doomed")));
    QCOMPARE(idsOf(m_client->get(QStringLiteral("/api/v1/polls?theme=delete-theme"))),
             QStringList());

    // A new poll with the same id starts from zero, and stays there once every
    // pending vote has been flushed: the old counts never come back.
    VERIFY_STATUS(create(body), 201);
    VERIFY_STATUS(m_client->postJson(QStringLiteral("/api/v1/vote/doomed"), vote("B")), 202);
    const HttpResponse settled =
        m_client->waitFor(QStringLiteral("/api/v1/stats"), [](const HttpResponse &r) {
            const QJsonObject buffer = r.json.value("buffer").toObject();
            return r.status == 200 && buffer.value("depth").toInteger() == 0 &&
                   buffer.value("in_flight").toInteger() == 0;
        });
    QVERIFY2(settled.json.value("buffer").toObject().value("depth").toInteger() == 0 &&
                 settled.json.value("buffer").toObject().value("in_flight").toInteger() == 0,
             qPrintable(settled.describe()));
    const HttpResponse results = m_client->get(QStringLiteral("/api/v1/results/doomed"));
    VERIFY_STATUS(results, 200);
    QCOMPARE(results.json.value("results").toObject(), QJsonObject({{"A", 0}, {"B", 1}}));
    QCOMPARE(results.json.value("total").toInt(), 1);
}

void TestE2ePolls::themesCountPolls()
{
    // A server of its own, so the counts are exactly the polls made here.
    TallyProcess server;
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient client(server.url());

    const HttpResponse empty = client.get(QStringLiteral("/api/v1/themes"));
    VERIFY_STATUS(empty, 200);
    QCOMPARE(empty.json, QJsonObject({{"themes", QJsonArray()}}));

    const QStringList options{QStringLiteral("a"), QStringLiteral("b")};
    for (const auto &[id, theme] : {std::pair{"f1", "food"}, std::pair{"s1", "sport"},
                                    std::pair{"f2", "food"}, std::pair{"g1", ""}})
        VERIFY_STATUS(
            client.postJson(QStringLiteral("/api/v1/polls"),
                            pollBody(QString::fromLatin1(id), options, QStringLiteral("Theme?"),
                                     QString::fromLatin1(theme))),
            201);
    const HttpResponse themes = client.get(QStringLiteral("/api/v1/themes"));
    VERIFY_STATUS(themes, 200);
    QCOMPARE(themes.json.value("themes").toArray(),
             QJsonArray({QJsonObject{{"theme", "food"}, {"polls", 2}},
                         QJsonObject{{"theme", "general"}, {"polls", 1}},
                         QJsonObject{{"theme", "sport"}, {"polls", 1}}}));

    // Closing keeps a poll in its theme; deleting removes it.
    VERIFY_STATUS(client.post(QStringLiteral("/api/v1/polls/f1/close")), 200);
    VERIFY_STATUS(client.del(QStringLiteral("/api/v1/polls/f2")), 204);
    VERIFY_STATUS(client.del(QStringLiteral("/api/v1/polls/s1")), 204);
    QCOMPARE(client.get(QStringLiteral("/api/v1/themes")).json.value("themes").toArray(),
             QJsonArray({QJsonObject{{"theme", "food"}, {"polls", 1}},
                         QJsonObject{{"theme", "general"}, {"polls", 1}}}));
    QCOMPARE(server.stop(), 0);
}

void TestE2ePolls::adminTokenGuardsAdministration()
{
    TallyProcess server({QStringLiteral("--admin-token"), QStringLiteral("secret")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient client(server.url());
    const QString polls = QStringLiteral("/api/v1/polls");
    const QJsonObject body =
        pollBody(QStringLiteral("lunch"), {QStringLiteral("a"), QStringLiteral("b")},
                 QStringLiteral("Guarded?"));
    const HttpHeaders right{{"Authorization", "Bearer secret"}};

    auto expectError = [](const HttpResponse &response, int status, const QString &code) {
        if (response.status != status || response.errorCode() != code)
            qWarning("%s", qPrintable(response.describe()));
        return response.status == status && response.errorCode() == code;
    };
    QVERIFY(expectError(client.postJson(polls, body), 401, QStringLiteral("unauthorized")));
    QVERIFY(expectError(client.postJson(polls, body, {{"Authorization", "Basic secret"}}), 401,
                        QStringLiteral("unauthorized")));
    QVERIFY(expectError(client.postJson(polls, body, {{"Authorization", "Bearer wrong"}}), 403,
                        QStringLiteral("forbidden")));
    QVERIFY(expectError(client.postJson(polls, body, {{"Authorization", "Bearer secretx"}}), 403,
                        QStringLiteral("forbidden")));
    QVERIFY(expectError(client.postJson(polls, body, {{"Authorization", "Bearer secre"}}), 403,
                        QStringLiteral("forbidden")));
    QCOMPARE(idsOf(client.get(polls)), QStringList());

    const HttpResponse created = client.postJson(polls, body, right);
    VERIFY_STATUS(created, 201);
    QCOMPARE(idsOf(client.get(polls)), QStringList({"lunch"}));
    // The ring is a pure function of the shard names: same id, same shard, any instance.
    QCOMPARE(created.json.value("shard").toString(),
             m_client->get(QStringLiteral("/api/v1/polls/lunch")).json.value("shard").toString());

    // Reading and voting need no token.
    VERIFY_STATUS(client.get(QStringLiteral("/api/v1/polls/lunch")), 200);
    VERIFY_STATUS(client.get(QStringLiteral("/api/v1/themes")), 200);
    VERIFY_STATUS(client.postJson(QStringLiteral("/api/v1/vote/lunch"), vote("A")), 202);
    VERIFY_STATUS(client.get(QStringLiteral("/api/v1/results/lunch")), 200);

    // Close, open and delete do.
    for (const QString &action : {QStringLiteral("close"), QStringLiteral("open")}) {
        const QString path = QStringLiteral("/api/v1/polls/lunch/") + action;
        QVERIFY(expectError(client.post(path), 401, QStringLiteral("unauthorized")));
        QVERIFY(expectError(client.post(path, {}, {{"Authorization", "Bearer nope"}}), 403,
                            QStringLiteral("forbidden")));
        QCOMPARE(client.get(QStringLiteral("/api/v1/polls/lunch")).json.value("status").toString(),
                 QStringLiteral("open"));
    }
    const HttpResponse closed = client.post(QStringLiteral("/api/v1/polls/lunch/close"), {}, right);
    VERIFY_STATUS(closed, 200);
    QCOMPARE(closed.json.value("status").toString(), QStringLiteral("closed"));
    const HttpResponse opened = client.post(QStringLiteral("/api/v1/polls/lunch/open"), {}, right);
    VERIFY_STATUS(opened, 200);
    QCOMPARE(opened.json.value("status").toString(), QStringLiteral("open"));

    QVERIFY(expectError(client.del(QStringLiteral("/api/v1/polls/lunch")), 401,
                        QStringLiteral("unauthorized")));
    QVERIFY(expectError(
        client.del(QStringLiteral("/api/v1/polls/lunch"), {{"Authorization", "Bearer nope"}}), 403,
        QStringLiteral("forbidden")));
    VERIFY_STATUS(client.get(QStringLiteral("/api/v1/polls/lunch")), 200);
    VERIFY_STATUS(client.del(QStringLiteral("/api/v1/polls/lunch"), right), 204);
    VERIFY_STATUS(client.get(QStringLiteral("/api/v1/polls/lunch")), 404);
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(TestE2ePolls)
#include "tst_e2e_polls.moc"
