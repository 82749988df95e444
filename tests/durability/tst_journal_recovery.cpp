// The journal's recovery (its record format is tested in tests/storage/tst_journalrecord):
// the real binary SIGKILLed with every vote still only in the journal
// (--batch-interval 60), the newest journal file damaged on purpose (garbage appended,
// last record torn), a restart interrupted between writing the replayed votes and
// removing the files they came from (and one interrupted while still writing them), and
// a Redis node SIGKILLed while votes flow.
#include "durabilitykit.h"
#include "httpclient.h"
#include "journalfile.h"
#include "redisnode.h"
#include "storage/journalrecord.h"
#include "tallyprocess.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QJsonArray>
#include <QRandomGenerator>
#include <QTemporaryDir>
#include <QTest>

using namespace DurabilityKit;
using JournalFile::decodeAll;
using JournalFile::nonZeroLength;

namespace {

constexpr int StartTimeoutMs = 20000;
const QStringList SlowFlush = {QStringLiteral("--batch-interval"), QStringLiteral("60")};

struct Cast {
    PollCounts expected; // poll -> option -> votes, all acknowledged
    qint64 votes = 0;
};

QByteArray readFile(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

bool writeFile(const QString &path, const QByteArray &bytes, QIODevice::OpenMode mode)
{
    QFile file(path);
    return file.open(QIODevice::WriteOnly | mode) && file.write(bytes) == bytes.size();
}

bool writeAt(const QString &path, qint64 offset, const QByteArray &bytes)
{
    QFile file(path);
    return file.open(QIODevice::ReadWrite) && file.seek(offset) &&
           file.write(bytes) == bytes.size();
}

QString show(const Counts &counts)
{
    QStringList parts;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        parts.append(QStringLiteral("%1=%2").arg(it.key()).arg(it.value()));
    return parts.join(u' ');
}

Counts countsOf(const PollCounts &all, const QString &poll, int options)
{
    Counts counts;
    for (const QString &option : optionIds(options))
        counts.insert(option, all.value(poll).value(option));
    return counts;
}

} // namespace

class JournalRecoveryTest : public QObject {
    Q_OBJECT

private slots:
    void initTestCase();
    void garbageAfterLastRecord();
    void tornLastRecord_data();
    void tornLastRecord();
    void restartInterruptedDuringRecovery();
    void unfinishedReplayFileIgnored();
    void redisNodeKilledWhileVoting();

private:
    // Starts a server with --batch-interval 60 on `dataDir`, creates the polls, casts
    // `votes` votes (every one answered 202), SIGKILLs it; nothing was flushed.
    void castAndKill(const QString &dataDir, int votes, Cast *cast);
    void checkCounts(TallyProcess &server, const PollCounts &expected);

    const QList<PollTarget> m_polls = {{QStringLiteral("journal-a"), optionIds(3)},
                                       {QStringLiteral("journal-b"), optionIds(2)}};
};

void JournalRecoveryTest::initTestCase()
{
    QVERIFY2(!TallyProcess::binaryPath().isEmpty(), "TALLY_BINARY is not set: run through ctest");
}

void JournalRecoveryTest::castAndKill(const QString &dataDir, int votes, Cast *cast)
{
    TallyProcess server(SlowFlush, dataDir);
    QVERIFY2(server.start(StartTimeoutMs), qPrintable(server.diagnostics()));
    HttpClient client(server.url());
    for (const PollTarget &poll : m_polls) {
        const HttpResponse created =
            client.postJson(Api + QStringLiteral("/polls"), pollBody(poll.id, poll.options));
        QVERIFY2(created.status == 201, qPrintable(created.describe()));
    }
    QList<HttpRequest> requests;
    QList<QPair<QString, QString>> sent;
    for (int i = 0; i < votes; ++i) {
        // A fixed, uneven spread over both polls and every option.
        const PollTarget &poll = m_polls[(i * 7 / 3) % 2];
        const QString option = poll.options[(i * i + i / 2) % poll.options.size()];
        requests.append(voteRequest(poll.id, option));
        sent.append({poll.id, option});
    }
    const QList<HttpResponse> answers = client.sendAll(requests, 3);
    for (qsizetype i = 0; i < answers.size(); ++i) {
        QVERIFY2(answers[i].status == 202, qPrintable(answers[i].describe()));
        ++cast->expected[sent[i].first][sent[i].second];
        ++cast->votes;
    }
    server.kill();
}

void JournalRecoveryTest::checkCounts(TallyProcess &server, const PollCounts &expected)
{
    HttpClient client(server.url());
    for (const PollTarget &poll : m_polls) {
        bool ok = false;
        QString error;
        const Counts counts = readResults(client, poll.id, &ok, &error);
        QVERIFY2(ok, qPrintable(error));
        const Counts want = countsOf(expected, poll.id, int(poll.options.size()));
        QVERIFY2(counts == want, qPrintable(QStringLiteral("%1: counted %2, expected %3")
                                                .arg(poll.id, show(counts), show(want))));
    }
}

void JournalRecoveryTest::garbageAfterLastRecord()
{
    QTemporaryDir dataDir(QDir::tempPath() + QStringLiteral("/tally-journal-XXXXXX"));
    QVERIFY(dataDir.isValid());
    Cast cast;
    castAndKill(dataDir.path(), 61, &cast);
    if (QTest::currentTestFailed())
        return;

    // Every acknowledged vote is a record of the one (unflushed) epoch's file.
    const QStringList files = journalFiles(dataDir.path());
    QCOMPARE(files.size(), 1);
    const QByteArray data = readFile(files.first());
    qsizetype end = 0;
    const QList<JournalRecord::Decoded> records = decodeAll(data, &end);
    // After the records, the zeros of the space reserved for more.
    QVERIFY(data.size() > end);
    QCOMPARE(nonZeroLength(data), end);
    QCOMPARE(records.size(), qsizetype(cast.votes));
    PollCounts journaled;
    for (const JournalRecord::Decoded &record : records) {
        QCOMPARE(record.type, JournalRecord::Type::Vote);
        journaled[record.pollId][optionIds(10)[record.option]] += record.votes;
    }
    QCOMPARE(journaled, cast.expected);

    const QByteArray garbage = QByteArrayLiteral("\xff\xff\xff\x7fnot a journal record, garbage!");
    QVERIFY(writeAt(files.first(), end, garbage));

    TallyProcess server(SlowFlush, dataDir.path());
    QVERIFY2(server.start(StartTimeoutMs), qPrintable(server.diagnostics()));
    const QString warning = QStringLiteral("Journal: %1: torn or corrupt record at offset %2; %3 "
                                           "trailing bytes ignored")
                                .arg(QFileInfo(files.first()).fileName())
                                .arg(end)
                                .arg(garbage.size());
    QVERIFY2(server.stderrText().contains(warning),
             qPrintable(QStringLiteral("expected: %1\n%2").arg(warning, server.diagnostics())));
    const JournalLine line = journalLine(server.stderrText() + server.stdoutText());
    QVERIFY2(line.present, qPrintable(server.diagnostics()));
    QCOMPARE(line.files, 1);
    QCOMPARE(line.replayed, cast.votes);
    QCOMPARE(line.stored, qint64(0));

    HttpClient client(server.url());
    QCOMPARE(client.get(QStringLiteral("/ready")).status, 200);
    QCOMPARE(statValue(client.get(Api + QStringLiteral("/stats")).json, QStringLiteral("votes"),
                       QStringLiteral("recovered")),
             cast.votes);
    checkCounts(server, cast.expected);
    if (QTest::currentTestFailed())
        return;

    // A clean stop stores everything: the next start replays nothing and counts the same.
    QCOMPARE(server.stop(), 0);
    QVERIFY(journalFiles(dataDir.path()).isEmpty());
    TallyProcess again(SlowFlush, dataDir.path());
    QVERIFY2(again.start(StartTimeoutMs), qPrintable(again.diagnostics()));
    QVERIFY(!again.stderrText().contains(QStringLiteral("torn or corrupt")));
    QCOMPARE(statValue(HttpClient(again.url()).get(Api + QStringLiteral("/stats")).json,
                       QStringLiteral("votes"), QStringLiteral("recovered")),
             qint64(0));
    checkCounts(again, cast.expected);
    QCOMPARE(again.stop(), 0);
}

void JournalRecoveryTest::tornLastRecord_data()
{
    // How many bytes of the last record are cut off. A vote record for "journal-a" or
    // "journal-b" is 8 + 21 = 29 bytes: 1 and 3 cut into the poll id, 21 leaves only
    // the header, 27 leaves two bytes of the length field.
    QTest::addColumn<int>("cut");
    QTest::newRow("1 byte") << 1;
    QTest::newRow("3 bytes") << 3;
    QTest::newRow("whole payload") << 21;
    QTest::newRow("into the header") << 27;
}

void JournalRecoveryTest::tornLastRecord()
{
    QFETCH(int, cut);
    QTemporaryDir dataDir(QDir::tempPath() + QStringLiteral("/tally-journal-XXXXXX"));
    QVERIFY(dataDir.isValid());
    Cast cast;
    castAndKill(dataDir.path(), 48, &cast);
    if (QTest::currentTestFailed())
        return;

    const QStringList files = journalFiles(dataDir.path());
    QCOMPARE(files.size(), 1);
    const QByteArray data = readFile(files.first());
    qsizetype end = 0;
    QList<qsizetype> starts;
    const QList<JournalRecord::Decoded> records = decodeAll(data, &end, &starts);
    QCOMPARE(records.size(), qsizetype(cast.votes));
    QCOMPARE(nonZeroLength(data), end);
    // The torn record's vote is lost (it was acknowledged, but a torn write is what a
    // crash of the disk under the process would leave); every earlier vote is kept.
    const JournalRecord::Decoded &lastRecord = records.last();
    const qsizetype lastStart = starts.last();
    const qsizetype lastSize = end - lastStart;
    QCOMPARE(lastSize, qsizetype(29));
    QVERIFY(cut < lastSize);
    // The write stopped short: the record's last bytes are still the reserved zeros.
    QVERIFY(writeAt(files.first(), end - cut, QByteArray(cut, '\0')));
    const qsizetype tornBytes = nonZeroLength(data.mid(lastStart, lastSize - cut));
    PollCounts expected = cast.expected;
    --expected[lastRecord.pollId][optionIds(10)[lastRecord.option]];

    TallyProcess server(SlowFlush, dataDir.path());
    QVERIFY2(server.start(StartTimeoutMs), qPrintable(server.diagnostics()));
    const QString warning = QStringLiteral("Journal: %1: torn or corrupt record at offset %2; %3 "
                                           "trailing bytes ignored")
                                .arg(QFileInfo(files.first()).fileName())
                                .arg(lastStart)
                                .arg(tornBytes);
    QVERIFY2(server.stderrText().contains(warning),
             qPrintable(QStringLiteral("expected: %1\n%2").arg(warning, server.diagnostics())));
    const JournalLine line = journalLine(server.stderrText() + server.stdoutText());
    QVERIFY2(line.present, qPrintable(server.diagnostics()));
    QCOMPARE(line.replayed, cast.votes - 1);
    HttpClient client(server.url());
    QCOMPARE(client.get(QStringLiteral("/ready")).status, 200);
    QCOMPARE(statValue(client.get(Api + QStringLiteral("/stats")).json, QStringLiteral("votes"),
                       QStringLiteral("recovered")),
             cast.votes - 1);
    checkCounts(server, expected);
    if (QTest::currentTestFailed())
        return;

    // The server is usable: a new vote counts, and survives another crash.
    const HttpResponse vote =
        client.sendAll({voteRequest(lastRecord.pollId, optionIds(10)[lastRecord.option])}).first();
    QCOMPARE(vote.status, 202);
    ++expected[lastRecord.pollId][optionIds(10)[lastRecord.option]];
    server.kill();
    TallyProcess again(SlowFlush, dataDir.path());
    QVERIFY2(again.start(StartTimeoutMs), qPrintable(again.diagnostics()));
    QVERIFY(!again.stderrText().contains(QStringLiteral("torn or corrupt")));
    checkCounts(again, expected);
    QCOMPARE(again.stop(), 0);
}

void JournalRecoveryTest::restartInterruptedDuringRecovery()
{
    // Recovery writes the votes to replay as a fresh journal file and only then removes
    // the files they came from. A crash between the two leaves both on disk; the next
    // start must still count each vote once.
    QTemporaryDir dataDir(QDir::tempPath() + QStringLiteral("/tally-journal-XXXXXX"));
    QVERIFY(dataDir.isValid());
    Cast cast;
    castAndKill(dataDir.path(), 40, &cast);
    if (QTest::currentTestFailed())
        return;
    const QStringList before = journalFiles(dataDir.path());
    QCOMPARE(before.size(), 1);
    const QByteArray original = readFile(before.first());

    {
        TallyProcess server(SlowFlush, dataDir.path());
        QVERIFY2(server.start(StartTimeoutMs), qPrintable(server.diagnostics()));
        QCOMPARE(journalLine(server.stderrText() + server.stdoutText()).replayed, cast.votes);
        checkCounts(server, cast.expected);
        server.kill(); // nothing flushed: --batch-interval 60
    }
    const QStringList after = journalFiles(dataDir.path());
    QCOMPARE(after.size(), 1);
    QVERIFY(after.first() != before.first());
    // The state of a crash just before the old file was removed.
    QVERIFY(writeFile(before.first(), original, QIODevice::Truncate));

    TallyProcess server(SlowFlush, dataDir.path());
    QVERIFY2(server.start(StartTimeoutMs), qPrintable(server.diagnostics()));
    const JournalLine line = journalLine(server.stderrText() + server.stdoutText());
    QCOMPARE(line.replayed, cast.votes);
    checkCounts(server, cast.expected);
    QCOMPARE(server.stop(), 0);
    QVERIFY(journalFiles(dataDir.path()).isEmpty());
}

void JournalRecoveryTest::unfinishedReplayFileIgnored()
{
    // A crash while the replay file is still being written leaves it under its temporary
    // name next to the complete files it was made from: it must not count.
    QTemporaryDir dataDir(QDir::tempPath() + QStringLiteral("/tally-journal-XXXXXX"));
    QVERIFY(dataDir.isValid());
    Cast cast;
    castAndKill(dataDir.path(), 30, &cast);
    if (QTest::currentTestFailed())
        return;
    const QStringList files = journalFiles(dataDir.path());
    QCOMPARE(files.size(), 1);
    const QString unfinished =
        QDir(dataDir.path()).filePath(QStringLiteral("journal/00000000000000000002.log.tmp"));
    QVERIFY(writeFile(unfinished,
                      JournalRecord::replaces(1) +
                          JournalRecord::vote(m_polls[0].id, 0, cast.votes) +
                          JournalRecord::vote(m_polls[1].id, 1, 7).left(11),
                      QIODevice::Truncate));

    TallyProcess server(SlowFlush, dataDir.path());
    QVERIFY2(server.start(StartTimeoutMs), qPrintable(server.diagnostics()));
    QCOMPARE(journalLine(server.stderrText() + server.stdoutText()).replayed, cast.votes);
    QVERIFY(!QFile::exists(unfinished));
    checkCounts(server, cast.expected);
    QCOMPARE(server.stop(), 0);
}

void JournalRecoveryTest::redisNodeKilledWhileVoting()
{
    RedisNode first, second;
    QVERIFY2(first.start(), qPrintable(first.diagnostics()));
    QVERIFY2(second.start(), qPrintable(second.diagnostics()));
    QTemporaryDir dataDir(QDir::tempPath() + QStringLiteral("/tally-journal-XXXXXX"));
    QVERIFY(dataDir.isValid());
    TallyProcess server({QStringLiteral("--redis-nodes"),
                         QStringLiteral("%1,%2").arg(first.url(), second.url()),
                         QStringLiteral("--batch-interval"), QStringLiteral("0.1"),
                         QStringLiteral("--breaker-reset"), QStringLiteral("0.5")},
                        dataDir.path());
    QVERIFY2(server.start(StartTimeoutMs), qPrintable(server.diagnostics()));
    HttpClient client(server.url());

    // Polls on both nodes.
    QList<PollTarget> polls;
    QHash<QString, QString> shardOf;
    QSet<QString> shards;
    for (int i = 1; i <= 40 && (shards.size() < 2 || polls.size() < 4); ++i) {
        const PollTarget poll{QStringLiteral("redis-kill-%1").arg(i), optionIds(2 + i % 3)};
        const HttpResponse created =
            client.postJson(Api + QStringLiteral("/polls"), pollBody(poll.id, poll.options));
        QVERIFY2(created.status == 201, qPrintable(created.describe()));
        shardOf.insert(poll.id, created.json.value(QStringLiteral("shard")).toString());
        shards.insert(shardOf.value(poll.id));
        polls.append(poll);
    }
    QCOMPARE(shards.size(), 2);

    QRandomGenerator random(QRandomGenerator::system()->generate());
    VoteStorm load(polls, &random, 12);
    load.start(server.url());
    QVERIFY(load.waitAcknowledged(300, 20000));
    first.kill();
    // Votes keep coming and keep being acknowledged while the node is down, and the
    // server notices that its batches fail.
    QVERIFY(load.waitAcknowledged(load.acknowledgedSinceStart() + 300, 20000));
    QTRY_VERIFY_WITH_TIMEOUT(statValue(client.get(Api + QStringLiteral("/stats")).json,
                                       QStringLiteral("flush"), QStringLiteral("failures")) > 0,
                             10000);
    QVERIFY(load.waitAcknowledged(load.acknowledgedSinceStart() + 200, 20000));
    QVERIFY2(first.restart(), qPrintable(first.diagnostics()));
    QVERIFY(load.waitAcknowledged(load.acknowledgedSinceStart() + 500, 20000));
    load.stopSending();
    QVERIFY(load.waitIdle(15000));
    QVERIFY2(load.unexpected().isEmpty(), qPrintable(load.unexpected().join(u'\n')));
    const VoteRecord sum = totals(load.book());
    QCOMPARE(sum.unanswered, qint64(0));
    QCOMPARE(sum.rejected, qint64(0));

    // Every accepted vote reaches its node, exactly once.
    QTRY_VERIFY_WITH_TIMEOUT(
        [&] {
            const QJsonObject stats = client.get(Api + QStringLiteral("/stats")).json;
            return statValue(stats, QStringLiteral("votes"), QStringLiteral("accepted")) ==
                       sum.acknowledged &&
                   statValue(stats, QStringLiteral("votes"), QStringLiteral("flushed")) ==
                       sum.acknowledged &&
                   statValue(stats, QStringLiteral("buffer"), QStringLiteral("depth")) == 0 &&
                   statValue(stats, QStringLiteral("buffer"), QStringLiteral("in_flight")) == 0;
        }(),
        30000);
    for (const PollTarget &poll : std::as_const(polls)) {
        RedisNode *owner = shardOf.value(poll.id) == first.shardName() ? &first : &second;
        RedisNode *other = owner == &first ? &second : &first;
        QVERIFY2(shardOf.value(poll.id) == owner->shardName(), qPrintable(shardOf.value(poll.id)));
        QMap<QByteArray, QByteArray> expected;
        Counts counts;
        for (auto it = load.book()[poll.id].cbegin(); it != load.book()[poll.id].cend(); ++it) {
            counts.insert(it.key(), it->acknowledged);
            if (it->acknowledged > 0)
                expected.insert(it.key().toUtf8(), QByteArray::number(it->acknowledged));
        }
        QCOMPARE(owner->hgetall("poll:" + poll.id.toUtf8()), expected);
        QVERIFY(!other->exists("poll:" + poll.id.toUtf8()));
        bool ok = false;
        QString error;
        QCOMPARE(readResults(client, poll.id, &ok, &error), counts);
        QVERIFY2(ok, qPrintable(error));
    }
    qInfo("Redis node %s killed and restarted: %lld votes acknowledged, all stored once",
          qPrintable(first.shardName()), sum.acknowledged);
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(JournalRecoveryTest)
#include "tst_journal_recovery.moc"
