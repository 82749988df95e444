#pragma once

// Helpers shared by the poll feature tests (tests/polls): a server with the admin token on
// embedded shards or on a Redis node, request bodies and readers of answers.
#include "httpclient.h"
#include "redisnode.h"
#include "shardtestkit.h"
#include "tallyprocess.h"

#include <QDateTime>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>
#include <memory>

namespace PollFeatureKit {

inline const QByteArray Token = QByteArrayLiteral("poll-features-token");
inline const HttpHeaders Admin{{QByteArrayLiteral("Authorization"), "Bearer " + Token}};
// What a visitor looks like behind a proxy: not an administrator.
inline const HttpHeaders Visitor{
    {QByteArrayLiteral("X-Forwarded-For"), QByteArrayLiteral("203.0.113.9")}};

inline QByteArray json(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

inline QByteArray choices(const QStringList &options)
{
    return json({{QStringLiteral("option_ids"), QJsonArray::fromStringList(options)}});
}

inline QByteArray single(const QString &option)
{
    return json({{QStringLiteral("option_id"), option}});
}

inline QJsonObject resultsOf(const HttpResponse &response)
{
    return response.json.value(QStringLiteral("results")).toObject();
}

inline QJsonObject counts(std::initializer_list<std::pair<const char *, int>> values)
{
    QJsonObject object;
    for (const auto &[option, votes] : values)
        object.insert(QString::fromLatin1(option), votes);
    return object;
}

inline QString inSeconds(int seconds)
{
    return QDateTime::currentDateTimeUtc().addSecs(seconds).toString(Qt::ISODate);
}

// A server with the admin token, on embedded shards or on `node` when `redis`.
inline std::unique_ptr<TallyProcess>
startServer(bool redis, RedisNode &node, const QStringList &extra = {}, const QString &dataDir = {})
{
    QStringList args{QStringLiteral("--admin-token"), QString::fromLatin1(Token)};
    if (redis) {
        if (!node.isRunning() && !node.start())
            return nullptr;
        args += redisArgs({&node});
    }
    auto tally = std::make_unique<TallyProcess>(args + extra, dataDir);
    if (!tally->start()) {
        qWarning("%s", qPrintable(tally->diagnostics()));
        return nullptr;
    }
    return tally;
}

inline void createPoll(HttpClient &client, const QJsonObject &body)
{
    const HttpResponse created = client.postJson(Api + QStringLiteral("/polls"), body, Admin);
    VERIFY_STATUS(created, 201);
}

} // namespace PollFeatureKit

// The data of a test that runs on both storage backends.
#define BACKENDS()                                                                                 \
    QTest::addColumn<bool>("redis");                                                               \
    QTest::newRow("embedded") << false;                                                            \
    QTest::newRow("redis") << true
