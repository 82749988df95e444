#pragma once

// Small helpers shared by the Redis integration tests: an independent copy of the
// documented hash ring, expected answers, and readers of /api/v1/stats.
#include "httpclient.h"
#include "testkit.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QPair>
#include <QString>
#include <QStringList>

class RedisNode;

using Counts = QMap<QString, qint64>;    // option id -> votes
using PollVotes = QMap<QString, Counts>; // poll id -> counts
using Vote = QPair<QString, QString>;    // poll id, option id

using TestKit::Api;
using TestKit::compact;
using TestKit::pollBody;
using TestKit::statValue;

// The ring as docs/architecture.md describes it, written independently of the server:
// point i of node N is the first four bytes (big-endian) of MD5("N#i"); a key belongs
// to the first point at or after the first four bytes of MD5(key), wrapping around.
QString ringOwner(const QStringList &nodes, const QString &key);
// The fraction of the circle `node` owns (the arcs ending at its points).
double ringShare(const QStringList &nodes, const QString &node);
// `count` poll ids of the form <prefix>-<n> that the ring puts on `node`.
QStringList idsOn(const QStringList &nodes, const QString &node, const QString &prefix, int count);

// --redis-nodes with the nodes' URLs.
QStringList redisArgs(const QList<RedisNode *> &nodes);
HttpRequest voteRequest(const Vote &vote);

// The "results" object the API must answer for `counts` (every option, zeros included).
QByteArray expectedResults(const Counts &counts, int optionCount);
// What HGETALL poll:<id> must hold for `counts`: options never voted for are absent.
QMap<QByteArray, QByteArray> expectedHash(const Counts &counts);
QString describeHash(const QMap<QByteArray, QByteArray> &hash);
qint64 total(const Counts &counts);

// Readers of a /api/v1/stats body.
QJsonObject shardOf(const QJsonObject &stats, const QString &name);
QString stateOf(const QJsonObject &stats, const QString &name);
// Every accepted vote is confirmed by its shard, nothing waits anywhere, every shard is up.
bool fullyFlushed(const QJsonObject &stats);

// Checks shared by the Redis shard tests; each fails the running test function (wrap
// the call in CHECKED to stop it there).
namespace ShardChecks {

void startNodes(const QList<RedisNode *> &nodes);
void createPoll(HttpClient &http, const QString &id, const QStringList &options,
                const QString &expectedShard);
void castVotes(HttpClient &http, const QList<Vote> &votes, PollVotes &acknowledged);
// Waits until every accepted vote is stored and every shard is up; `stats` gets the
// last /api/v1/stats body.
void waitFlushed(HttpClient &http, QJsonObject *stats = nullptr, int timeoutMs = 15000);
void verifyStored(RedisNode &owner, RedisNode &other, const QString &pollId,
                  const Counts &expected);
void verifyResults(const HttpResponse &response, const Counts &expected, int optionCount);

} // namespace ShardChecks
