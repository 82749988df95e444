// What anonymous callers learn from /api/v1/stats and /api/v1/ring: counts, states and
// ring shares stay public, while where the data lives (an embedded shard's file in the
// data directory, a Redis node's address) is shown only to a caller that presents the
// configured admin token. Without a configured token nobody is shown addresses.
#include "protkit.h"

#include <QDir>

using namespace prot;

namespace {

const QByteArray Token = "disclosure-Token-0123456789";
const QString Ring = QStringLiteral("/api/v1/ring");

QJsonArray shardsOf(const HttpResponse &stats)
{
    return stats.json.value(QStringLiteral("shards")).toArray();
}
QJsonArray nodesOf(const HttpResponse &ring)
{
    return ring.json.value(QStringLiteral("nodes")).toArray();
}

} // namespace

class TestProtDisclosure : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void anonymousCallersSeeCountsButNoPaths();
    void adminCallersSeeAddresses();
    void withoutATokenNobodySeesAddresses();

private:
    static void verifyHidden(HttpClient &http, const QString &dataDir, const HttpHeaders &headers);
};

void TestProtDisclosure::verifyHidden(HttpClient &http, const QString &dataDir,
                                      const HttpHeaders &headers)
{
    const HttpResponse stats = http.get(Stats, headers);
    VERIFY_STATUS(stats, 200);
    QVERIFY2(!stats.body.contains(QDir(dataDir).absolutePath().toUtf8()), stats.body.constData());
    const QJsonArray shards = shardsOf(stats);
    QCOMPARE(shards.size(), 2);
    for (const QJsonValue &shard : shards) {
        QVERIFY2(!shard.toObject().contains(QStringLiteral("address")), stats.body.constData());
        QCOMPARE(shard.toObject().value(QStringLiteral("state")).toString(), QStringLiteral("up"));
    }
    // Counts stay public.
    QCOMPARE(stats.json.value(QStringLiteral("polls")).toInteger(), 1);
    QCOMPARE(statValue(stats.json, QStringLiteral("votes"), QStringLiteral("accepted")), 3);
    qint64 shardPolls = 0;
    for (const QJsonValue &shard : shards)
        shardPolls += shard.toObject().value(QStringLiteral("polls")).toInteger();
    QCOMPARE(shardPolls, 1);

    const HttpResponse ring = http.get(Ring, headers);
    VERIFY_STATUS(ring, 200);
    QVERIFY2(!ring.body.contains(QDir(dataDir).absolutePath().toUtf8()), ring.body.constData());
    QCOMPARE(nodesOf(ring).size(), 2);
    double share = 0;
    for (const QJsonValue &node : nodesOf(ring)) {
        QVERIFY2(!node.toObject().contains(QStringLiteral("address")), ring.body.constData());
        share += node.toObject().value(QStringLiteral("share")).toDouble();
    }
    QVERIFY(qAbs(share - 1.0) < 1e-9);
}

static void castThree(HttpClient &http, const HttpHeaders &admin)
{
    VERIFY_STATUS(http.postJson(Polls, pollBody(QStringLiteral("d")), admin), 201);
    for (int i = 0; i < 3; ++i)
        VERIFY_STATUS(http.post(Vote + QStringLiteral("d"), voteBody(QStringLiteral("A"))), 202);
}

void TestProtDisclosure::anonymousCallersSeeCountsButNoPaths()
{
    TallyProcess server({QStringLiteral("--admin-token"), QString::fromUtf8(Token),
                         QStringLiteral("--embedded-shards"), QStringLiteral("2")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient http(server.url());
    castThree(http, bearer(Token));
    if (QTest::currentTestFailed())
        return;
    verifyHidden(http, server.dataDir(), {});
    if (QTest::currentTestFailed())
        return;
    // A wrong token is not an admin caller either; the stats stay readable.
    verifyHidden(http, server.dataDir(), bearer("not-the-token"));
}

void TestProtDisclosure::adminCallersSeeAddresses()
{
    TallyProcess server({QStringLiteral("--admin-token"), QString::fromUtf8(Token),
                         QStringLiteral("--embedded-shards"), QStringLiteral("2")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient http(server.url());
    const HttpResponse stats = http.get(Stats, bearer(Token));
    VERIFY_STATUS(stats, 200);
    const QString expected = QDir(server.dataDir()).filePath(QStringLiteral("shard-0.sqlite"));
    QStringList addresses;
    for (const QJsonValue &shard : shardsOf(stats))
        addresses.append(shard.toObject().value(QStringLiteral("address")).toString());
    QVERIFY2(addresses.contains(expected), qPrintable(addresses.join(u' ')));
    addresses.clear();
    const HttpResponse ring = http.get(Ring, bearer(Token));
    VERIFY_STATUS(ring, 200);
    for (const QJsonValue &node : nodesOf(ring))
        addresses.append(node.toObject().value(QStringLiteral("address")).toString());
    QVERIFY2(addresses.contains(expected), qPrintable(addresses.join(u' ')));
}

void TestProtDisclosure::withoutATokenNobodySeesAddresses()
{
    TallyProcess server({QStringLiteral("--embedded-shards"), QStringLiteral("2")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient http(server.url());
    castThree(http, {});
    if (QTest::currentTestFailed())
        return;
    verifyHidden(http, server.dataDir(), {});
}

QTEST_GUILESS_MAIN(TestProtDisclosure)
#include "tst_prot_disclosure.moc"
