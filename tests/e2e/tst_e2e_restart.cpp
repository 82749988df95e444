// End-to-end tests of the process: durability across restarts, the data directory
// lock, operational endpoints (/health, /ready, /stats, /metrics) and the command line.
#include "httpclient.h"
#include "tallyprocess.h"
#include "testkit.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRegularExpression>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>

using namespace TestKit;

namespace {

const QString Results = QStringLiteral("/api/v1/results/");
const QString Stats = QStringLiteral("/api/v1/stats");

qint64 sum(const QList<int> &counts)
{
    qint64 total = 0;
    for (int count : counts)
        total += count;
    return total;
}

// Casts `counts[i]` votes for option i of `pollId` in one bulk request.
bool castVotes(HttpClient &client, const QString &pollId, const QList<int> &counts)
{
    QJsonArray votes;
    for (int option = 0; option < counts.size(); ++option)
        for (int i = 0; i < counts[option]; ++i)
            votes.append(QJsonObject{{QStringLiteral("poll_id"), pollId},
                                     {QStringLiteral("option_id"), QString(QChar(u'A' + option))}});
    const HttpResponse response =
        client.postJson(QStringLiteral("/api/v1/votes"), {{QStringLiteral("votes"), votes}});
    if (response.status != 202 || response.json.value("accepted").toInt() != votes.size()) {
        qWarning("bulk vote failed: %s", qPrintable(response.describe()));
        return false;
    }
    return true;
}

// name -> {value, source} from the lines "name = value  [source]" of --check-config.
QHash<QString, QPair<QString, QString>> describedSettings(const QString &text)
{
    static const QRegularExpression line(QStringLiteral("^(\\S+)\\s*= (.*)  \\[(.*)\\]$"),
                                         QRegularExpression::MultilineOption);
    QHash<QString, QPair<QString, QString>> settings;
    for (auto it = line.globalMatch(text); it.hasNext();) {
        const QRegularExpressionMatch match = it.next();
        settings.insert(match.captured(1), {match.captured(2), match.captured(3)});
    }
    return settings;
}

} // namespace

class TestE2eRestart : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void restartKeepsPollsAndCounts();
    void secondInstanceIsRefused();
    void killedServerKeepsFlushedVotes();
    void lockFilesOfAKilledStartAreFree();
    void healthAndReady();
    void statsAndMetricsCountWhatHappened();
    void checkConfigRejectsBadValues_data();
    void checkConfigRejectsBadValues();
    void checkConfigAcceptsGoodValues();
    void helpListsEverySetting();
};

void TestE2eRestart::restartKeepsPollsAndCounts()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    // Nothing is flushed while the first server runs: every vote reaches the shards
    // through the flush on SIGTERM.
    const QStringList args{QStringLiteral("--batch-interval"), QStringLiteral("60")};
    TallyProcess first(args, dir.path());
    QVERIFY2(first.start(), qPrintable(first.diagnostics()));
    HttpClient client(first.url());

    const QList<QList<int>> counts{{5, 0, 2}, {1, 1}, {0, 0, 0, 9}, {3, 4}, {7, 1, 1}, {0, 2}};
    QHash<QString, QString> shardOf;
    QHash<QString, qint64> votesPerShard;
    QHash<QString, int> pollsPerShard;
    qint64 total = 0;
    for (int i = 0; i < counts.size(); ++i) {
        const QString id = QStringLiteral("kept-%1").arg(i);
        const HttpResponse created =
            client.postJson(QStringLiteral("/api/v1/polls"), pollBody(id, int(counts[i].size())));
        VERIFY_STATUS(created, 201);
        shardOf.insert(id, created.json.value("shard").toString());
        QVERIFY(castVotes(client, id, counts[i]));
        votesPerShard[shardOf[id]] += sum(counts[i]);
        ++pollsPerShard[shardOf[id]];
        total += sum(counts[i]);
    }
    QCOMPARE(pollsPerShard.size(), 2); // both shards hold polls
    VERIFY_STATUS(client.post(QStringLiteral("/api/v1/polls/kept-1/close")), 200);

    const HttpResponse before = client.get(Stats);
    QCOMPARE(statValue(before, "votes", "accepted"), total);
    QCOMPARE(statValue(before, "votes", "flushed"), 0);
    QCOMPARE(statValue(before, "buffer", "depth"), total);
    const HttpResponse listBefore = client.get(QStringLiteral("/api/v1/polls"));
    VERIFY_STATUS(listBefore, 200);
    QCOMPARE(listBefore.json.value("polls").toArray().size(), counts.size());

    QCOMPARE(first.stop(), 0);

    TallyProcess second(args, dir.path());
    QVERIFY2(second.start(), qPrintable(second.diagnostics()));
    HttpClient again(second.url());
    QCOMPARE(second.instanceId(), first.instanceId()); // kept in the data directory

    // Same polls, field for field (closed stays closed), and the exact counts.
    const HttpResponse listAfter = again.get(QStringLiteral("/api/v1/polls"));
    VERIFY_STATUS(listAfter, 200);
    QCOMPARE(listAfter.json.value("polls").toArray(), listBefore.json.value("polls").toArray());
    for (int i = 0; i < counts.size(); ++i) {
        const QString id = QStringLiteral("kept-%1").arg(i);
        const HttpResponse results = again.get(Results + id);
        VERIFY_STATUS(results, 200);
        QCOMPARE(results.json.value("results").toObject(), countsJson(counts[i]));
        QCOMPARE(results.json.value("total").toInteger(), sum(counts[i]));
        QCOMPARE(results.json.value("served_via").toString(),
                 QStringLiteral("embedded:") + shardOf[id]);
    }

    const HttpResponse after = again.get(Stats);
    QCOMPARE(statValue(after, "votes", "accepted"), 0);
    QCOMPARE(statValue(after, "votes", "flushed"), 0);
    QCOMPARE(statValue(after, "buffer", "depth"), 0);
    QCOMPARE(after.json.value("polls").toInt(), int(counts.size()));
    const QJsonArray shards = after.json.value("shards").toArray();
    QCOMPARE(shards.size(), 2);
    for (const QJsonValue &shard : shards) {
        const QString name = shard.toObject().value("name").toString();
        QCOMPARE(shard.toObject().value("votes").toInteger(), votesPerShard.value(name));
        QCOMPARE(shard.toObject().value("polls").toInt(), pollsPerShard.value(name));
    }

    // Still closed, still open.
    const HttpResponse refused = again.post(QStringLiteral("/api/v1/vote/kept-1"), voteBody(0));
    VERIFY_STATUS(refused, 409);
    QCOMPARE(refused.errorCode(), QStringLiteral("poll_closed"));
    VERIFY_STATUS(again.post(QStringLiteral("/api/v1/vote/kept-0"), voteBody(1)), 202);
    QCOMPARE(again.get(Results + QStringLiteral("kept-0")).json.value("results").toObject(),
             countsJson({5, 1, 2}));
    QCOMPARE(second.stop(), 0);
}

void TestE2eRestart::secondInstanceIsRefused()
{
    TallyProcess first;
    QVERIFY2(first.start(), qPrintable(first.diagnostics()));

    const TallyProcess::Result second =
        TallyProcess::run({QStringLiteral("--headless"), QStringLiteral("--port"),
                           QStringLiteral("0"), QStringLiteral("--data-dir"), first.dataDir()});
    QVERIFY2(second.finished, qPrintable(second.err));
    QCOMPARE(second.exitCode, 1);
    QVERIFY2(second.err.contains(QStringLiteral("already using the data directory")),
             qPrintable(second.err));
    QVERIFY2(second.err.contains(first.dataDir()), qPrintable(second.err));
    QVERIFY2(!second.out.contains(QStringLiteral("listening")), qPrintable(second.out));

    // The first one is unaffected, and once it stopped the directory is free again.
    HttpClient client(first.url());
    VERIFY_STATUS(client.get(QStringLiteral("/health")), 200);
    QCOMPARE(first.stop(), 0);
    TallyProcess third({}, first.dataDir());
    QVERIFY2(third.start(), qPrintable(third.diagnostics()));
    QCOMPARE(third.stop(), 0);
}

void TestE2eRestart::killedServerKeepsFlushedVotes()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    TallyProcess first({QStringLiteral("--batch-interval"), QStringLiteral("0.05")}, dir.path());
    QVERIFY2(first.start(), qPrintable(first.diagnostics()));
    HttpClient client(first.url());
    VERIFY_STATUS(
        client.postJson(QStringLiteral("/api/v1/polls"), pollBody(QStringLiteral("crash"), 2)),
        201);
    QVERIFY(castVotes(client, QStringLiteral("crash"), {15, 10}));
    const HttpResponse flushed = client.waitFor(
        Stats, [](const HttpResponse &r) { return statValue(r, "votes", "flushed") == 25; });
    QCOMPARE(statValue(flushed, "votes", "flushed"), 25);

    // SIGKILL: no shutdown at all. The stale lock must not keep the next start out.
    first.kill();
    QVERIFY(!first.isRunning());
    TallyProcess second({}, dir.path());
    QVERIFY2(second.start(), qPrintable(second.diagnostics()));
    HttpClient again(second.url());
    const HttpResponse results = again.get(Results + QStringLiteral("crash"));
    VERIFY_STATUS(results, 200);
    QCOMPARE(results.json.value("results").toObject(), countsJson({15, 10}));
    QCOMPARE(results.json.value("total").toInt(), 25);
    QCOMPARE(second.stop(), 0);
}

// A server killed while it started can leave its lock files empty: it created them but
// never wrote its pid. Nobody holds them, so they keep nothing out.
void TestE2eRestart::lockFilesOfAKilledStartAreFree()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    const QString dataLock = dir.filePath(QStringLiteral("tally.lock"));
    QFile data(dataLock);
    QVERIFY(data.open(QIODevice::WriteOnly));
    data.close();

    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    const QString portLock =
        QDir(QDir::tempPath()).filePath(QStringLiteral("tally-port-%1-127.0.0.1.lock").arg(port));
    QFile portFile(portLock);
    QVERIFY(portFile.open(QIODevice::WriteOnly));
    portFile.close();

    TallyProcess server({QStringLiteral("--port"), QString::number(port)}, dir.path());
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    QCOMPARE(server.port(), port);
    const QByteArray pid = QByteArray::number(server.pid()) + '\n';
    for (const QString &path : {dataLock, portLock}) {
        QFile lock(path);
        QVERIFY2(lock.open(QIODevice::ReadOnly), qPrintable(path));
        QCOMPARE(lock.readAll(), pid);
    }
    HttpClient client(server.url());
    VERIFY_STATUS(client.get(QStringLiteral("/health")), 200);
    QCOMPARE(server.stop(), 0);
    QVERIFY(!QFile::exists(dataLock));
    QVERIFY(!QFile::exists(portLock));
}

void TestE2eRestart::healthAndReady()
{
    TallyProcess server({QStringLiteral("--embedded-shards"), QStringLiteral("3")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient client(server.url());

    const HttpResponse health = client.get(QStringLiteral("/health"));
    VERIFY_STATUS(health, 200);
    QVERIFY(health.header("Content-Type").startsWith("application/json"));
    QCOMPARE(health.json, QJsonObject({{"status", "healthy"}}));

    const HttpResponse ready = client.get(QStringLiteral("/ready"));
    VERIFY_STATUS(ready, 200);
    QJsonArray shards;
    for (int i = 0; i < 3; ++i)
        shards.append(QJsonObject{
            {"name", QStringLiteral("shard-%1").arg(i)}, {"kind", "embedded"}, {"state", "up"}});
    QCOMPARE(ready.json, QJsonObject({{"status", "ready"},
                                      {"shards", shards},
                                      {"journal", QJsonObject{{"state", "ok"}, {"backlog", 0}}}}));
    QCOMPARE(server.stop(), 0);
}

void TestE2eRestart::statsAndMetricsCountWhatHappened()
{
    TallyProcess server({QStringLiteral("--workers"), QStringLiteral("3"),
                         QStringLiteral("--batch-interval"), QStringLiteral("0.05"),
                         QStringLiteral("--cache-ttl"), QStringLiteral("0")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient client(server.url());

    const HttpResponse initial = client.get(Stats);
    VERIFY_STATUS(initial, 200);
    QCOMPARE(initial.json.value("workers").toInt(), 3);
    QCOMPARE(initial.json.value("polls").toInt(), 0);
    QCOMPARE(statValue(initial, "votes", "accepted"), 0);
    QCOMPARE(initial.json.value("instance_id").toString(), server.instanceId());
    QVERIFY(!initial.json.value("version").toString().isEmpty());
    QCOMPARE(statValue(initial, "flush", "interval_ms"), 50);
    QCOMPARE(statValue(initial, "cache", "ttl_ms"), 0);

    const QList<QList<int>> counts{{4, 0}, {0, 2, 0}, {1, 0}};
    QHash<QString, qint64> votesPerShard;
    QHash<QString, int> pollsPerShard;
    for (int i = 0; i < counts.size(); ++i) {
        const QString id = QStringLiteral("s%1").arg(i);
        const HttpResponse created =
            client.postJson(QStringLiteral("/api/v1/polls"), pollBody(id, int(counts[i].size())));
        VERIFY_STATUS(created, 201);
        const QString shard = created.json.value("shard").toString();
        for (int option = 0; option < counts[i].size(); ++option)
            for (int n = 0; n < counts[i][option]; ++n)
                VERIFY_STATUS(client.post(QStringLiteral("/api/v1/vote/") + id, voteBody(option)),
                              202);
        votesPerShard[shard] += sum(counts[i]);
        ++pollsPerShard[shard];
    }
    // One refused vote: an option the poll does not have.
    VERIFY_STATUS(client.post(QStringLiteral("/api/v1/vote/s0"), voteBody(5)), 422);

    const HttpResponse stats = client.waitFor(
        Stats, [](const HttpResponse &r) { return statValue(r, "votes", "flushed") == 7; });
    VERIFY_STATUS(stats, 200);
    QCOMPARE(statValue(stats, "votes", "accepted"), 7);
    QCOMPARE(statValue(stats, "votes", "flushed"), 7);
    QCOMPARE(statValue(stats, "votes", "rejected"), 1);
    QCOMPARE(statValue(stats, "buffer", "depth"), 0);
    QCOMPARE(statValue(stats, "buffer", "in_flight"), 0);
    QCOMPARE(statValue(stats, "flush", "failures"), 0);
    QCOMPARE(stats.json.value("polls").toInt(), 3);
    QCOMPARE(stats.json.value("workers").toInt(), 3);
    const QJsonArray shards = stats.json.value("shards").toArray();
    QCOMPARE(shards.size(), 2);
    for (const QJsonValue &shard : shards) {
        const QJsonObject object = shard.toObject();
        const QString name = object.value("name").toString();
        QCOMPARE(object.value("kind").toString(), QStringLiteral("embedded"));
        QCOMPARE(object.value("state").toString(), QStringLiteral("up"));
        QCOMPARE(object.value("polls").toInt(), pollsPerShard.value(name));
        QCOMPARE(object.value("votes").toInteger(), votesPerShard.value(name));
        QCOMPARE(object.value("queued_batches").toInt(), 0);
    }

    const HttpResponse metrics = client.get(QStringLiteral("/metrics"));
    VERIFY_STATUS(metrics, 200);
    QVERIFY2(metrics.header("Content-Type").startsWith("text/plain"),
             metrics.header("Content-Type").constData());
    const QByteArray text = metrics.body;
    for (const QByteArray &line :
         {QByteArray("# TYPE tally_votes_accepted_total counter\n"),
          QByteArray("\ntally_votes_accepted_total 7\n"),
          QByteArray("\ntally_votes_flushed_total 7\n"),
          QByteArray("\ntally_votes_rejected_total{reason=\"unknown_option\"} 1\n"),
          QByteArray("\ntally_buffer_depth 0\n"), QByteArray("\ntally_polls 3\n"),
          QByteArray("\ntally_shard_up{shard=\"shard-0\"} 1\n"),
          QByteArray("\ntally_shard_up{shard=\"shard-1\"} 1\n")})
        QVERIFY2(text.contains(line),
                 qPrintable(QStringLiteral("missing %1 in:\n%2")
                                .arg(QString::fromUtf8(line.trimmed()), QString::fromUtf8(text))));
    QCOMPARE(server.stop(), 0);
}

void TestE2eRestart::checkConfigRejectsBadValues_data()
{
    QTest::addColumn<QStringList>("arguments");
    QTest::addColumn<QStringList>("environment"); // NAME=value
    QTest::addColumn<QString>("configFile");      // written to a file passed with --config
    QTest::addColumn<QStringList>("mentions");    // the error names these

    QTest::newRow("workers 0") << QStringList{"--workers", "0"} << QStringList() << QString()
                               << QStringList{"workers", "'0'", "flag --workers"};
    QTest::newRow("port too big") << QStringList{"--port", "70000"} << QStringList() << QString()
                                  << QStringList{"port", "'70000'"};
    QTest::newRow("interval not a number")
        << QStringList{"--batch-interval", "soon"} << QStringList() << QString()
        << QStringList{"batch-interval", "'soon'"};
    QTest::newRow("negative cache ttl") << QStringList{"--cache-ttl", "-1"} << QStringList()
                                        << QString() << QStringList{"cache-ttl", "'-1'"};
    QTest::newRow("api prefix without slash") << QStringList{"--api-prefix", "api"} << QStringList()
                                              << QString() << QStringList{"api-prefix", "'api'"};
    QTest::newRow("redis node not a URL")
        << QStringList{"--redis-nodes", "http://x:1/db"} << QStringList() << QString()
        << QStringList{"redis-nodes"};
    QTest::newRow("sentinel entry without master name")
        << QStringList{"--redis-nodes", "g=sentinel://127.0.0.1:26379,127.0.0.1:26380"}
        << QStringList() << QString()
        << QStringList{"redis-nodes", "sentinel://127.0.0.1:26379,127.0.0.1:26380",
                       "needs the monitored master's name"};
    QTest::newRow("sentinel address not host:port")
        << QStringList{"--redis-nodes", "g=sentinel://127.0.0.1:26379,127.0.0.1:x/g"}
        << QStringList() << QString() << QStringList{"redis-nodes", "'127.0.0.1:x'", "host:port"};
    QTest::newRow("replica wait not below command timeout")
        << QStringList{"--redis-min-replicas", "1", "--redis-replica-timeout", "3000"}
        << QStringList() << QString()
        << QStringList{"redis-replica-timeout", "redis-command-timeout"};
    QTest::newRow("unknown flag") << QStringList{"--no-such-setting"} << QStringList() << QString()
                                  << QStringList{"no-such-setting"};
    QTest::newRow("bad environment value")
        << QStringList() << QStringList{"TALLY_WORKERS=many"} << QString()
        << QStringList{"workers", "'many'", "TALLY_WORKERS"};
    QTest::newRow("bad legacy environment value")
        << QStringList() << QStringList{"BATCH_INTERVAL_SECONDS=0"} << QString()
        << QStringList{"batch-interval", "BATCH_INTERVAL_SECONDS"};
    QTest::newRow("unknown setting in file")
        << QStringList() << QStringList() << QStringLiteral("workers = 2\nflux = 3\n")
        << QStringList{"flux", ":2"};
    QTest::newRow("bad value in file")
        << QStringList() << QStringList() << QStringLiteral("# ok\nport = x\n")
        << QStringList{"port", "'x'", "file"};
}

void TestE2eRestart::checkConfigRejectsBadValues()
{
    QFETCH(QStringList, arguments);
    QFETCH(QStringList, environment);
    QFETCH(QString, configFile);
    QFETCH(QStringList, mentions);

    QProcessEnvironment env = TallyProcess::cleanEnvironment();
    for (const QString &pair : environment)
        env.insert(pair.section(u'=', 0, 0), pair.section(u'=', 1));
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QStringList args = QStringList{QStringLiteral("--check-config")} + arguments;
    if (!configFile.isEmpty()) {
        QFile file(dir.filePath(QStringLiteral("tally.conf")));
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(configFile.toUtf8());
        file.close();
        args << QStringLiteral("--config") << file.fileName();
    }

    const TallyProcess::Result result = TallyProcess::run(args, 15000, env);
    QVERIFY2(result.finished && !result.crashed, qPrintable(result.err));
    QVERIFY2(result.exitCode != 0, qPrintable(result.out));
    QVERIFY2(!result.out.contains(QStringLiteral("Configuration is valid")),
             qPrintable(result.out));
    QVERIFY2(result.err.startsWith(QStringLiteral("tally: ")), qPrintable(result.err));
    for (const QString &mention : mentions)
        QVERIFY2(result.err.contains(mention),
                 qPrintable(QStringLiteral("'%1' not in: %2").arg(mention, result.err)));
}

void TestE2eRestart::checkConfigAcceptsGoodValues()
{
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile file(dir.filePath(QStringLiteral("tally.conf")));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write("# settings\nvirtual_nodes = 50\nworkers = 7\ncache-ttl = 9\n");
    file.close();

    QProcessEnvironment env = TallyProcess::cleanEnvironment();
    env.insert(QStringLiteral("TALLY_WORKERS"), QStringLiteral("5"));
    env.insert(QStringLiteral("TALLY_CACHE_TTL"), QStringLiteral("2.5"));
    env.insert(QStringLiteral("BATCH_INTERVAL_SECONDS"), QStringLiteral("0.5"));

    const TallyProcess::Result result = TallyProcess::run(
        {QStringLiteral("--check-config"), QStringLiteral("--config"), file.fileName(),
         QStringLiteral("--workers"), QStringLiteral("3"), QStringLiteral("--port"),
         QStringLiteral("9000"), QStringLiteral("--admin-token"), QStringLiteral("hunter2"),
         QStringLiteral("--data-dir"), dir.path()},
        15000, env);
    QVERIFY2(result.finished && !result.crashed, qPrintable(result.err));
    QCOMPARE(result.exitCode, 0);
    QVERIFY2(result.out.startsWith(QStringLiteral("Configuration is valid.")),
             qPrintable(result.out));

    // Each value and where it came from: flag > environment > file > default.
    const auto settings = describedSettings(result.out);
    auto expect = [&settings](const QString &name, const QString &value, const QString &source) {
        const auto it = settings.constFind(name);
        if (it == settings.cend()) {
            qWarning("%s is not described", qPrintable(name));
            return false;
        }
        if (it->first.trimmed() != value || it->second != source) {
            qWarning("%s = '%s' [%s], expected '%s' [%s]", qPrintable(name), qPrintable(it->first),
                     qPrintable(it->second), qPrintable(value), qPrintable(source));
            return false;
        }
        return true;
    };
    QVERIFY(expect("workers", "3", "flag --workers"));
    QVERIFY(expect("port", "9000", "flag --port"));
    QVERIFY(expect("cache-ttl", "2.5", "env TALLY_CACHE_TTL"));
    QVERIFY(expect("batch-interval", "0.5", "env BATCH_INTERVAL_SECONDS"));
    QVERIFY(expect("virtual-nodes", "50", QStringLiteral("file ") + file.fileName()));
    QVERIFY(expect("bind", "127.0.0.1", "default"));
    QVERIFY(expect("data-dir", dir.path(), "flag --data-dir"));
    // The token is never printed.
    QVERIFY(expect("admin-token", "(set)", "flag --admin-token"));
    QVERIFY2(!result.out.contains(QStringLiteral("hunter2")), qPrintable(result.out));
    // Checking the configuration starts nothing.
    QVERIFY(!QFile::exists(dir.filePath(QStringLiteral("tally.lock"))));
}

void TestE2eRestart::helpListsEverySetting()
{
    const TallyProcess::Result help = TallyProcess::run({QStringLiteral("--help")});
    QVERIFY2(help.finished && !help.crashed, qPrintable(help.err));
    QCOMPARE(help.exitCode, 0);
    const QString text = help.out;

    // The settings of the design, with their environment twins and the prior art's names.
    const QStringList designed{"headless",        "bind",        "port",          "workers",
                               "data-dir",        "redis-nodes", "virtual-nodes", "batch-interval",
                               "batch-max-votes", "cache-ttl",   "live-interval", "admin-token",
                               "instance-id",     "connect"};
    for (const QString &name : designed) {
        QVERIFY2(text.contains(QStringLiteral("--") + name), qPrintable(name));
        const QString env = QStringLiteral("TALLY_") + QString(name).replace(u'-', u'_').toUpper();
        QVERIFY2(text.contains(env), qPrintable(env));
    }
    for (const char *option : {"--config", "--check-config", "--help", "--version"})
        QVERIFY2(text.contains(QLatin1String(option)), option);
    for (const char *legacy :
         {"REDIS_NODES", "VIRTUAL_NODES", "BATCH_INTERVAL_SECONDS", "API_PREFIX"})
        QVERIFY2(text.contains(QLatin1String(legacy)), legacy);

    // And every setting the binary knows (as --check-config lists them) has its flag.
    QTemporaryDir dir;
    const TallyProcess::Result check = TallyProcess::run(
        {QStringLiteral("--check-config"), QStringLiteral("--data-dir"), dir.path()});
    QCOMPARE(check.exitCode, 0);
    const auto settings = describedSettings(check.out);
    QVERIFY2(settings.size() >= designed.size(), qPrintable(check.out));
    for (auto it = settings.cbegin(); it != settings.cend(); ++it)
        QVERIFY2(text.contains(QStringLiteral("--") + it.key()), qPrintable(it.key()));
}

QTEST_GUILESS_MAIN(TestE2eRestart)
#include "tst_e2e_restart.moc"
