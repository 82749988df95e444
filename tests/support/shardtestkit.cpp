#include "shardtestkit.h"
#include "redisnode.h"

#include <QCryptographicHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <QtEndian>

#include <algorithm>

namespace {

quint32 ringHash(const QByteArray &bytes)
{
    const QByteArray digest = QCryptographicHash::hash(bytes, QCryptographicHash::Md5);
    return qFromBigEndian<quint32>(digest.constData());
}

struct RingPoint {
    quint32 position;
    QString node;
};

QList<RingPoint> ringPoints(const QStringList &nodes, int virtualNodes = 100)
{
    QList<RingPoint> points;
    for (const QString &node : nodes)
        for (int i = 0; i < virtualNodes; ++i)
            points.append({ringHash(node.toUtf8() + '#' + QByteArray::number(i)), node});
    std::sort(points.begin(), points.end(), [](const RingPoint &a, const RingPoint &b) {
        return a.position != b.position ? a.position < b.position : a.node < b.node;
    });
    return points;
}

} // namespace

QString ringOwner(const QStringList &nodes, const QString &key)
{
    const QList<RingPoint> points = ringPoints(nodes);
    const quint32 h = ringHash(key.toUtf8());
    for (const RingPoint &point : points)
        if (point.position >= h)
            return point.node;
    return points.constFirst().node;
}

double ringShare(const QStringList &nodes, const QString &node)
{
    const QList<RingPoint> points = ringPoints(nodes);
    quint64 owned = 0;
    for (qsizetype i = 0; i < points.size(); ++i) {
        if (points[i].node != node)
            continue;
        const quint32 previous = i == 0 ? points.constLast().position : points[i - 1].position;
        owned += quint32(points[i].position - previous);
    }
    return double(owned) / 4294967296.0;
}

QStringList idsOn(const QStringList &nodes, const QString &node, const QString &prefix, int count)
{
    QStringList ids;
    for (int n = 0; ids.size() < count; ++n) {
        const QString id = QStringLiteral("%1-%2").arg(prefix).arg(n);
        if (ringOwner(nodes, id) == node)
            ids.append(id);
    }
    return ids;
}

QStringList redisArgs(const QList<RedisNode *> &nodes)
{
    QStringList urls;
    for (const RedisNode *node : nodes)
        urls.append(node->url());
    return {QStringLiteral("--redis-nodes"), urls.join(u',')};
}

HttpRequest voteRequest(const Vote &vote)
{
    return {"POST", Api + QStringLiteral("/vote/") + vote.first,
            compact({{QStringLiteral("option_id"), vote.second}})};
}

QByteArray expectedResults(const Counts &counts, int optionCount)
{
    QJsonObject results;
    for (int i = 0; i < optionCount; ++i) {
        const QString option(QChar(u'A' + i));
        results.insert(option, counts.value(option));
    }
    return compact(results);
}

QMap<QByteArray, QByteArray> expectedHash(const Counts &counts)
{
    QMap<QByteArray, QByteArray> hash;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        if (it.value() != 0)
            hash.insert(it.key().toUtf8(), QByteArray::number(it.value()));
    return hash;
}

QString describeHash(const QMap<QByteArray, QByteArray> &hash)
{
    QStringList parts;
    for (auto it = hash.cbegin(); it != hash.cend(); ++it)
        parts.append(QString::fromUtf8(it.key() + '=' + it.value()));
    return QStringLiteral("{%1}").arg(parts.join(u','));
}

qint64 total(const Counts &counts)
{
    qint64 sum = 0;
    for (qint64 votes : counts)
        sum += votes;
    return sum;
}

QJsonObject shardOf(const QJsonObject &stats, const QString &name)
{
    for (const QJsonValue &shard : stats.value(QStringLiteral("shards")).toArray())
        if (shard.toObject().value(QStringLiteral("name")).toString() == name)
            return shard.toObject();
    return {};
}

QString stateOf(const QJsonObject &stats, const QString &name)
{
    return shardOf(stats, name).value(QStringLiteral("state")).toString();
}

bool fullyFlushed(const QJsonObject &stats)
{
    const qint64 accepted = statValue(stats, QStringLiteral("votes"), QStringLiteral("accepted"));
    if (accepted < 0 ||
        statValue(stats, QStringLiteral("votes"), QStringLiteral("flushed")) != accepted ||
        statValue(stats, QStringLiteral("buffer"), QStringLiteral("depth")) != 0 ||
        statValue(stats, QStringLiteral("buffer"), QStringLiteral("in_flight")) != 0)
        return false;
    const QJsonArray shards = stats.value(QStringLiteral("shards")).toArray();
    for (const QJsonValue &shard : shards) {
        const QJsonObject object = shard.toObject();
        if (object.value(QStringLiteral("queued_batches")).toInteger(-1) != 0 ||
            object.value(QStringLiteral("state")).toString() != u"up")
            return false;
    }
    return !shards.isEmpty();
}

namespace ShardChecks {

void startNodes(const QList<RedisNode *> &nodes)
{
    for (RedisNode *node : nodes)
        QVERIFY2(node->start(), qPrintable(node->diagnostics()));
}

void createPoll(HttpClient &http, const QString &id, const QStringList &options,
                const QString &expectedShard)
{
    const HttpResponse created =
        http.postJson(Api + QStringLiteral("/polls"), pollBody(id, options));
    VERIFY_STATUS(created, 201);
    QCOMPARE(created.json.value(QStringLiteral("id")).toString(), id);
    QCOMPARE(created.json.value(QStringLiteral("shard")).toString(), expectedShard);
}

void castVotes(HttpClient &http, const QList<Vote> &votes, PollVotes &acknowledged)
{
    QList<HttpRequest> requests;
    for (const Vote &vote : votes)
        requests.append(voteRequest(vote));
    const QList<HttpResponse> responses = http.sendAll(requests, 4);
    for (qsizetype i = 0; i < responses.size(); ++i) {
        VERIFY_STATUS(responses[i], 202);
        ++acknowledged[votes[i].first][votes[i].second];
    }
}

void waitFlushed(HttpClient &http, QJsonObject *stats, int timeoutMs)
{
    const HttpResponse last = http.waitFor(
        Api + QStringLiteral("/stats"),
        [](const HttpResponse &response) {
            return response.status == 200 && fullyFlushed(response.json);
        },
        timeoutMs, 50);
    if (stats)
        *stats = last.json;
    QVERIFY2(fullyFlushed(last.json), qPrintable(last.describe()));
}

void verifyStored(RedisNode &owner, RedisNode &other, const QString &pollId, const Counts &expected)
{
    const QByteArray key = "poll:" + pollId.toUtf8();
    const QMap<QByteArray, QByteArray> stored = owner.hgetall(key);
    QVERIFY2(stored == expectedHash(expected),
             qPrintable(QStringLiteral("HGETALL %1 on %2: %3, expected %4")
                            .arg(QString::fromUtf8(key), owner.shardName(), describeHash(stored),
                                 describeHash(expectedHash(expected)))));
    QVERIFY2(
        !other.exists(key),
        qPrintable(
            QStringLiteral("%1 also exists on %2").arg(QString::fromUtf8(key), other.shardName())));
}

void verifyResults(const HttpResponse &response, const Counts &expected, int optionCount)
{
    VERIFY_STATUS(response, 200);
    QCOMPARE(compact(response.json.value(QStringLiteral("results")).toObject()),
             expectedResults(expected, optionCount));
    QCOMPARE(response.json.value(QStringLiteral("total")).toInteger(-1), total(expected));
}

} // namespace ShardChecks
