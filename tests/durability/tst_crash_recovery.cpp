// Crash recovery of the real binary: a client keeps many vote requests in flight and
// books every answer, the server is SIGKILLed at random moments (before, during and
// after flushes: short, varied batch intervals) and restarted on the same data
// directory, again and again, in embedded mode and with two Redis shards. At every
// restart and at the end, per poll and option:
//
//     acknowledged <= counted <= acknowledged + sent without an answer
//
// (a 202 is a promise; a vote whose answer never arrived may count or not, never
// twice), and counted == acknowledged where every request was answered. With
// --durability async (a shorter run) only the upper bound holds: the votes acknowledged
// in the last few milliseconds before a crash may be lost.
//
// The random choices come from one seed, printed at the start; set
// TALLY_DURABILITY_SEED to replay a run, and TALLY_DURABILITY_ROUNDS to run more rounds
// per scenario (a soak; the default keeps the whole file well under two minutes).
#include "durabilitykit.h"
#include "httpclient.h"
#include "redisnode.h"
#include "tallyprocess.h"

#include <QDir>
#include <QHostAddress>
#include <QJsonArray>
#include <QProcess>
#include <QRandomGenerator>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

#include <csignal>

using namespace DurabilityKit;

namespace {

constexpr int Rounds = 24;
constexpr int StormConnections = 16;
constexpr int StartTimeoutMs = 20000;

struct Scenario {
    QString name;
    QStringList baseArgs;     // mode-specific arguments (--redis-nodes ...)
    QList<RedisNode *> nodes; // empty: embedded shards
    quint32 salt = 0;         // makes each scenario's random choices its own
    bool async = false;       // --durability async: acknowledged votes may be lost
    int rounds = 0;           // default: the test's round count
};

} // namespace

class CrashRecoveryTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void embeddedShards();
    void redisShards();
    void embeddedShardsAsync();

private:
    void crashRounds(const Scenario &scenario);
    void killDuringStart(const QStringList &args, const QString &dataDir, int afterMs);
    QList<PollTarget> createPolls(HttpClient &client, const Scenario &scenario,
                                  QList<PollTarget> *calm);

    quint32 m_seed = 0;
    int m_rounds = Rounds;
};

void CrashRecoveryTest::initTestCase()
{
    QVERIFY2(!TallyProcess::binaryPath().isEmpty(), "TALLY_BINARY is not set: run through ctest");
    bool given = false;
    m_seed = qEnvironmentVariable("TALLY_DURABILITY_SEED").toUInt(&given);
    if (!given)
        m_seed = QRandomGenerator::system()->generate();
    qInfo("crash recovery seed: %u (replay with TALLY_DURABILITY_SEED=%u)", m_seed, m_seed);
    m_rounds = qEnvironmentVariableIntValue("TALLY_DURABILITY_ROUNDS");
    if (m_rounds <= 0)
        m_rounds = Rounds;
}

// Starts the binary on a port of our choosing (so that its port lock can be cleared
// afterwards) and SIGKILLs it `afterMs` after it was started, ready or not.
void CrashRecoveryTest::killDuringStart(const QStringList &args, const QString &dataDir,
                                        int afterMs)
{
    QTcpServer probe;
    QVERIFY(probe.listen(QHostAddress::LocalHost, 0));
    const quint16 port = probe.serverPort();
    probe.close();
    QProcess early;
    early.setProcessEnvironment(TallyProcess::cleanEnvironment());
    early.setStandardOutputFile(QProcess::nullDevice());
    early.setStandardErrorFile(QProcess::nullDevice());
    early.start(TallyProcess::binaryPath(),
                QStringList{QStringLiteral("--headless"), QStringLiteral("--port"),
                            QString::number(port), QStringLiteral("--data-dir"), dataDir} +
                    args);
    QVERIFY2(early.waitForStarted(5000), qPrintable(early.errorString()));
    QThread::msleep(ulong(afterMs));
    ::kill(pid_t(early.processId()), SIGKILL);
    QVERIFY(early.waitForFinished(10000));
    TallyProcess::releaseStalePortLock(QStringLiteral("127.0.0.1"), port);
}

// Storm polls get the load that is cut by the kills; calm polls get votes whose answers
// all arrive (so their counts must be exact). With Redis, both kinds exist on each shard.
QList<PollTarget> CrashRecoveryTest::createPolls(HttpClient &client, const Scenario &scenario,
                                                 QList<PollTarget> *calm)
{
    QList<PollTarget> storm;
    QSet<QString> stormShards, calmShards;
    const int shards = scenario.nodes.isEmpty() ? 2 : int(scenario.nodes.size());
    for (int i = 1; i <= 40 && (stormShards.size() < shards || calmShards.size() < shards ||
                                storm.size() < 3 || calm->size() < 2);
         ++i) {
        const bool forStorm = i % 2 == 1;
        const PollTarget target{QStringLiteral("%1-%2").arg(forStorm ? u"storm" : u"calm").arg(i),
                                optionIds(2 + i % 3)};
        const HttpResponse created =
            client.postJson(Api + QStringLiteral("/polls"), pollBody(target.id, target.options));
        if (created.status != 201) {
            qWarning("creating %s: %s", qPrintable(target.id), qPrintable(created.describe()));
            return {};
        }
        const QString shard = created.json.value(QStringLiteral("shard")).toString();
        (forStorm ? storm : *calm).append(target);
        (forStorm ? stormShards : calmShards).insert(shard);
    }
    if (stormShards.size() < shards || calmShards.size() < shards)
        return {};
    return storm;
}

void CrashRecoveryTest::crashRounds(const Scenario &scenario)
{
    // Round-level choices (intervals, delays, kinds of kill) come from `random`; each
    // storm draws its votes from a generator of its own, seeded from it, so that the
    // round-level choices replay from the seed whatever the timing of the answers.
    QRandomGenerator random(m_seed + scenario.salt * 0x9E3779B9u);
    const int rounds = scenario.rounds > 0 ? scenario.rounds : m_rounds;
    QTemporaryDir dataDir(QDir::tempPath() + QStringLiteral("/tally-crash-XXXXXX"));
    QVERIFY(dataDir.isValid());

    QList<PollTarget> storm, calm;
    VoteBook book; // every vote of every round, per poll and option
    qint64 kills = 0, startKills = 0, roundsWithReplay = 0, replayedTotal = 0, tornTails = 0;
    PollCounts finalCounts;

    for (int round = 0; round <= rounds; ++round) {
        const bool last = round == rounds;
        // 0.05 s to 0.30 s: kills land before, during and after flushes.
        const double interval = 0.05 + 0.01 * random.bounded(26);
        const QStringList args =
            scenario.baseArgs +
            QStringList{QStringLiteral("--batch-interval"),
                        QString::number(interval),
                        QStringLiteral("--workers"),
                        QStringLiteral("2"),
                        QStringLiteral("--durability"),
                        scenario.async ? QStringLiteral("async") : QStringLiteral("sync")};
        // Now and then a start is killed too: while it opens the shards, reads and
        // rewrites the journal, or just after.
        if (round > 0 && !last && random.bounded(4) == 0) {
            killDuringStart(args, dataDir.path(), int(random.bounded(150)));
            if (QTest::currentTestFailed())
                return;
            ++startKills;
        }
        TallyProcess server(args, dataDir.path());
        QVERIFY2(server.start(StartTimeoutMs),
                 qPrintable(QStringLiteral("round %1: %2").arg(round).arg(server.diagnostics())));
        HttpClient client(server.url());

        // What the restart replayed must be what the stats say it replayed.
        const QString output = server.stdoutText() + server.stderrText();
        const JournalLine journal = journalLine(output);
        const QJsonObject stats = client.get(Api + QStringLiteral("/stats")).json;
        QCOMPARE(statValue(stats, QStringLiteral("votes"), QStringLiteral("recovered")),
                 journal.present ? journal.replayed : 0);
        if (journal.replayed > 0) {
            ++roundsWithReplay;
            replayedTotal += journal.replayed;
        }
        tornTails += output.count(QStringLiteral("torn or corrupt record"));

        if (round == 0) {
            storm = createPolls(client, scenario, &calm);
            QVERIFY2(!storm.isEmpty(), "could not create polls on every shard");
            for (const QList<PollTarget> &targets : {storm, calm})
                for (const PollTarget &target : targets)
                    for (const QString &option : target.options)
                        book[target.id][option];
        }

        // Nothing acknowledged is missing, nothing is counted twice, right after a restart.
        PollCounts counted;
        for (auto poll = book.cbegin(); poll != book.cend(); ++poll) {
            bool ok = false;
            QString error;
            counted.insert(poll.key(), readResults(client, poll.key(), &ok, &error));
            QVERIFY2(ok, qPrintable(error));
        }
        const QStringList violations = checkBounds(book, counted, scenario.async);
        QVERIFY2(violations.isEmpty(),
                 qPrintable(QStringLiteral("%1, after %2 kill(s), seed %3:\n%4\nall:\n%5\n%6")
                                .arg(scenario.name)
                                .arg(kills)
                                .arg(m_seed)
                                .arg(violations.join(u'\n'), describe(book, counted),
                                     server.diagnostics())));
        if (last) {
            finalCounts = counted;
            // A graceful stop flushes everything and leaves nothing to replay.
            QCOMPARE(server.stop(), 0);
            QVERIFY2(journalFiles(dataDir.path()).isEmpty(),
                     qPrintable(journalFiles(dataDir.path()).join(u' ')));
            if (scenario.nodes.isEmpty()) {
                TallyProcess again(scenario.baseArgs, dataDir.path());
                QVERIFY2(again.start(StartTimeoutMs), qPrintable(again.diagnostics()));
                HttpClient check(again.url());
                for (auto poll = book.cbegin(); poll != book.cend(); ++poll) {
                    bool ok = false;
                    QString error;
                    QCOMPARE(readResults(check, poll.key(), &ok, &error),
                             counted.value(poll.key()));
                    QVERIFY2(ok, qPrintable(error));
                }
                QCOMPARE(statValue(check.get(Api + QStringLiteral("/stats")).json,
                                   QStringLiteral("votes"), QStringLiteral("recovered")),
                         0);
                QCOMPARE(again.stop(), 0);
            } else {
                // The owning node holds exactly the counts the API answered.
                for (auto poll = book.cbegin(); poll != book.cend(); ++poll) {
                    QMap<QByteArray, QByteArray> expected;
                    const Counts counts = counted.value(poll.key());
                    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
                        if (it.value() > 0)
                            expected.insert(it.key().toUtf8(), QByteArray::number(it.value()));
                    QMap<QByteArray, QByteArray> found;
                    int holders = 0;
                    for (RedisNode *node : scenario.nodes) {
                        const auto hash = node->hgetall("poll:" + poll.key().toUtf8());
                        if (!hash.isEmpty()) {
                            found = hash;
                            ++holders;
                        }
                    }
                    QVERIFY2(holders <= 1, qPrintable(poll.key()));
                    QCOMPARE(found, expected);
                }
            }
            break;
        }

        // Calm votes: every answer arrives before the storm starts.
        const int calmVotes = 10 + int(random.bounded(21));
        QList<HttpRequest> requests;
        QList<QPair<QString, QString>> calmCast;
        for (int i = 0; i < calmVotes; ++i) {
            const PollTarget &target = calm[int(random.bounded(calm.size()))];
            const QString option = target.options[int(random.bounded(target.options.size()))];
            requests.append(voteRequest(target.id, option));
            calmCast.append({target.id, option});
        }
        const QList<HttpResponse> answers = client.sendAll(requests, 2);
        for (qsizetype i = 0; i < answers.size(); ++i) {
            QVERIFY2(answers[i].status == 202, qPrintable(answers[i].describe()));
            ++book[calmCast[i].first][calmCast[i].second].acknowledged;
        }

        // The storm, cut by SIGKILL after a random number of acknowledgements plus a
        // random delay.
        QRandomGenerator stormRandom(random.generate());
        VoteStorm load(storm, &stormRandom, StormConnections);
        load.start(server.url());
        const qint64 firstAcks = 1 + random.bounded(200);
        QVERIFY2(load.waitAcknowledged(firstAcks, 20000),
                 qPrintable(QStringLiteral("round %1: only %2 of %3 votes acknowledged: %4")
                                .arg(round)
                                .arg(load.acknowledgedSinceStart())
                                .arg(firstAcks)
                                .arg(load.unexpected().join(u'\n'))));
        QTest::qWait(int(random.bounded(500)));
        // Sometimes the kill comes during a graceful stop (workers stopped, final flush).
        if (random.bounded(4) == 0) {
            ::kill(pid_t(server.pid()), SIGTERM);
            QThread::msleep(ulong(random.bounded(60)));
        }
        server.kill();
        load.stopSending();
        ++kills;
        QVERIFY2(load.waitIdle(15000), "requests still in flight 15 s after the kill");
        QVERIFY2(load.unexpected().isEmpty(), qPrintable(load.unexpected().join(u'\n')));
        load.addToBook(book);
    }

    const VoteRecord sum = totals(book);
    qint64 countedTotal = 0;
    for (const Counts &counts : std::as_const(finalCounts))
        for (qint64 votes : counts)
            countedTotal += votes;
    const qint64 lost = missing(book, finalCounts);
    qInfo("%s: %lld kills (+%lld during start); %lld votes acknowledged (%lld of them lost), "
          "%lld unanswered (%lld of them counted), %lld rejected; %lld restart(s) replayed %lld "
          "vote(s) from the journal; %lld torn tail(s) reported",
          qPrintable(scenario.name), kills, startKills, sum.acknowledged, lost, sum.unanswered,
          countedTotal - (sum.acknowledged - lost), sum.rejected, roundsWithReplay, replayedTotal,
          tornTails);
    QCOMPARE(kills, qint64(rounds));
    if (!scenario.async)
        QCOMPARE(lost, qint64(0));
    QVERIFY(sum.acknowledged > 0);
}

void CrashRecoveryTest::embeddedShards()
{
    crashRounds(Scenario{QStringLiteral("embedded"), {}, {}, 1});
}

void CrashRecoveryTest::redisShards()
{
    RedisNode first, second;
    QVERIFY2(first.start(), qPrintable(first.diagnostics()));
    QVERIFY2(second.start(), qPrintable(second.diagnostics()));
    crashRounds(Scenario{
        QStringLiteral("redis"),
        {QStringLiteral("--redis-nodes"), QStringLiteral("%1,%2").arg(first.url(), second.url())},
        {&first, &second},
        2});
}

void CrashRecoveryTest::embeddedShardsAsync()
{
    // A crash may lose what was acknowledged in the last few milliseconds, but never
    // counts a vote twice.
    Scenario scenario{QStringLiteral("embedded, async"), {}, {}, 3};
    scenario.async = true;
    scenario.rounds = std::max(12, m_rounds / 2);
    crashRounds(scenario);
}

QTEST_GUILESS_MAIN(CrashRecoveryTest)
#include "tst_crash_recovery.moc"
