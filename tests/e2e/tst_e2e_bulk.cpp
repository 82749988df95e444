// End-to-end tests of bulk votes (POST /api/v1/votes): per-item answers, request
// errors, and the body limit that a thousand of the largest items fit.
#include "httpclient.h"
#include "tallyprocess.h"
#include "testkit.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

#include <memory>

using namespace TestKit;

namespace {

const QString Results = QStringLiteral("/api/v1/results/");
const QString Vote = QStringLiteral("/api/v1/vote/");
const QString Stats = QStringLiteral("/api/v1/stats");

} // namespace

class TestE2eBulk : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void bulkVotes();
    void bulkRequestErrors();
    void bulkBodyFitsTheItemLimit();

private:
    HttpResponse createPoll(HttpClient &client, const QString &id, int options)
    {
        return client.postJson(QStringLiteral("/api/v1/polls"), pollBody(id, options));
    }

    // Nothing is flushed on this server during the test (batch interval 60 s) and
    // a result read stays cached for 60 s.
    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<HttpClient> m_client;
};

void TestE2eBulk::initTestCase()
{
    m_server = std::make_unique<TallyProcess>(QStringList{
        QStringLiteral("--workers"), QStringLiteral("2"), QStringLiteral("--batch-interval"),
        QStringLiteral("60"), QStringLiteral("--cache-ttl"), QStringLiteral("60")});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_client = std::make_unique<HttpClient>(m_server->url());
}

void TestE2eBulk::cleanupTestCase()
{
    if (m_server && m_server->isRunning()) {
        m_client.reset();
        QCOMPARE(m_server->stop(), 0);
    }
}

void TestE2eBulk::bulkVotes()
{
    VERIFY_STATUS(createPoll(*m_client, QStringLiteral("bulk-a"), 2), 201);
    VERIFY_STATUS(createPoll(*m_client, QStringLiteral("bulk-b"), 3), 201);
    VERIFY_STATUS(createPoll(*m_client, QStringLiteral("bulk-closed"), 2), 201);
    QJsonObject numeric = pollBody({}, 2);
    numeric.insert(QStringLiteral("id"), 42);
    VERIFY_STATUS(m_client->postJson(QStringLiteral("/api/v1/polls"), numeric), 201);
    VERIFY_STATUS(m_client->post(QStringLiteral("/api/v1/polls/bulk-closed/close")), 200);
    const qint64 acceptedBefore = statValue(m_client->get(Stats), "votes", "accepted");

    const QByteArray body = R"({"votes":[
        {"poll_id":"bulk-a","option_id":"A"},
        {"poll_id":"bulk-b","option_id":"C","voter_id":"v1"},
        {"poll_id":"missing","option_id":"A"},
        {"poll_id":"bulk-a","option_id":"Z"},
        {"poll_id":"bulk-closed","option_id":"A"},
        {"poll_id":"bulk-a"},
        {"option_id":"A"},
        {"poll_id":"bulk-a","option_id":1},
        "not an object",
        {"poll_id":42,"option_id":"B"},
        {"poll_id":"bulk-a","option_id":"A"}
    ]})";
    const HttpResponse response = m_client->post(QStringLiteral("/api/v1/votes"), body);
    VERIFY_STATUS(response, 202);
    QCOMPARE(response.json.value("accepted").toInt(), 4);
    QCOMPARE(response.json.value("rejected").toInt(), 7);

    const QJsonArray items = response.json.value("results").toArray();
    QCOMPARE(items.size(), 11);
    auto accepted = [](const char *poll, const char *option) {
        return QJsonObject{{"status", "accepted"}, {"poll_id", poll}, {"option_id", option}};
    };
    QCOMPARE(items[0].toObject(), accepted("bulk-a", "A"));
    QCOMPARE(items[1].toObject(), accepted("bulk-b", "C"));
    QCOMPARE(items[9].toObject(), accepted("42", "B"));
    QCOMPARE(items[10].toObject(), accepted("bulk-a", "A"));
    const QList<std::pair<int, QString>> rejected = {
        {2, "poll_not_found"}, {3, "unknown_option"}, {4, "poll_closed"},  {5, "missing_field"},
        {6, "missing_field"},  {7, "invalid_field"},  {8, "invalid_field"}};
    for (const auto &[index, code] : rejected) {
        const QJsonObject item = items[index].toObject();
        QCOMPARE(item.value("status").toString(), QStringLiteral("rejected"));
        QCOMPARE(item.keys(), QStringList({"error", "status"}));
        const QJsonObject error = item.value("error").toObject();
        QCOMPARE(error.value("code").toString(), code);
        QVERIFY2(!error.value("message").toString().isEmpty(), qPrintable(QString::number(index)));
    }

    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("bulk-a")), "bulk-a", QList<int>({2, 0}),
                   "");
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("bulk-b")), "bulk-b",
                   QList<int>({0, 0, 1}), "");
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("42")), "42", QList<int>({0, 1}), "");
    VERIFY_RESULTS(m_client->get(Results + QStringLiteral("bulk-closed")), "bulk-closed",
                   QList<int>({0, 0}), "");
    QCOMPARE(statValue(m_client->get(Stats), "votes", "accepted"), acceptedBefore + 4);
}

void TestE2eBulk::bulkRequestErrors()
{
    const QString bulk = QStringLiteral("/api/v1/votes");
    const qint64 acceptedBefore = statValue(m_client->get(Stats), "votes", "accepted");

    const HttpResponse empty = m_client->post(bulk, R"({"votes":[]})");
    VERIFY_STATUS(empty, 202);
    QCOMPARE(empty.json,
             QJsonObject({{"accepted", 0}, {"rejected", 0}, {"results", QJsonArray()}}));

    for (const QByteArray &body : {QByteArray("{}"), QByteArray(R"({"votes":"A"})"),
                                   QByteArray(R"({"votes":{"poll_id":"errs"}})")}) {
        const HttpResponse response = m_client->post(bulk, body);
        QVERIFY2(response.status == 422, qPrintable(body + '\n' + response.describe()));
        QCOMPARE(response.errorCode(), QStringLiteral("invalid_field"));
    }

    // At most 1000 votes per request: 1000 empty items are each rejected, 1001 are refused.
    auto emptyItems = [](int count) {
        QByteArray body = R"({"votes":[)";
        for (int i = 0; i < count; ++i)
            body += i == 0 ? "{}" : ",{}";
        return body + "]}";
    };
    const HttpResponse thousand = m_client->post(bulk, emptyItems(1000));
    VERIFY_STATUS(thousand, 202);
    QCOMPARE(thousand.json.value("accepted").toInt(), 0);
    QCOMPARE(thousand.json.value("rejected").toInt(), 1000);
    const HttpResponse tooMany = m_client->post(bulk, emptyItems(1001));
    VERIFY_STATUS(tooMany, 422);
    QCOMPARE(tooMany.errorCode(), QStringLiteral("too_many_votes"));

    const HttpResponse malformed = m_client->post(bulk, R"({"votes":[)");
    VERIFY_STATUS(malformed, 400);
    QCOMPARE(malformed.errorCode(), QStringLiteral("malformed_json"));
    const HttpResponse wrongType =
        m_client->post(bulk, R"({"votes":[]})", {{"Content-Type", "text/plain"}});
    VERIFY_STATUS(wrongType, 415);
    QCOMPARE(wrongType.errorCode(), QStringLiteral("unsupported_media_type"));
    const HttpResponse wrongMethod = m_client->get(bulk);
    VERIFY_STATUS(wrongMethod, 405);
    QCOMPARE(wrongMethod.header("Allow"), QByteArray("POST"));

    QCOMPARE(statValue(m_client->get(Stats), "votes", "accepted"), acceptedBefore);
}

void TestE2eBulk::bulkBodyFitsTheItemLimit()
{
    // The largest plain items: 64-character poll ids and 128-character voter ids. A
    // thousand of them fit the bulk route's body limit (the server's other routes keep
    // their 16 KiB); a thousand and one are refused for their number, not their size.
    const QString pollId(64, u'p');
    VERIFY_STATUS(createPoll(*m_client, pollId, 2), 201);
    auto bigItems = [&](int count) {
        QJsonArray items;
        for (int i = 0; i < count; ++i)
            items.append(
                QJsonObject{{"poll_id", pollId},
                            {"option_id", "B"},
                            {"voter_id", QStringLiteral("%1").arg(i, 128, 10, QChar(u'0'))}});
        return QJsonDocument(QJsonObject{{"votes", items}}).toJson(QJsonDocument::Compact);
    };
    const QByteArray thousand = bigItems(1000);
    QVERIFY(thousand.size() > 200000);
    const HttpResponse accepted = m_client->post(QStringLiteral("/api/v1/votes"), thousand);
    VERIFY_STATUS(accepted, 202);
    QCOMPARE(accepted.json.value("accepted").toInt(), 1000);
    const HttpResponse tooMany = m_client->post(QStringLiteral("/api/v1/votes"), bigItems(1001));
    VERIFY_STATUS(tooMany, 422);
    QCOMPARE(tooMany.errorCode(), QStringLiteral("too_many_votes"));
    VERIFY_RESULTS(m_client->get(Results + pollId), pollId, QList<int>({0, 1000}), "");

    // Single votes keep the general limit.
    const QByteArray padded = R"({"option_id":"A","pad":")" + QByteArray(20000, 'x') + R"("})";
    const HttpResponse single = m_client->post(Vote + pollId, padded);
    VERIFY_STATUS(single, 413);
    QCOMPARE(single.errorCode(), QStringLiteral("body_too_large"));
    // The limits are published for clients.
    const QJsonObject limits = m_client->get(Stats).json.value("limits").toObject();
    QCOMPARE(limits.value("body_bytes").toInt(), 16384);
    QCOMPARE(limits.value("bulk_votes").toInt(), 1000);
    QCOMPARE(limits.value("bulk_body_bytes").toInt(), 1000 * 320 + 4096);
}

QTEST_GUILESS_MAIN(TestE2eBulk)
#include "tst_e2e_bulk.moc"
