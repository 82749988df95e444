// A failing disk under the real binary: small tmpfs file systems mounted by the test
// (root only; CI runs as root) under the data directory and filled to the last byte.
// A full journal disk makes /ready say so, refuses sync votes at once, stops async
// acknowledgements at --journal-max-backlog, and makes SIGTERM exit 3 naming the votes
// that exist only in memory; an embedded shard whose disk is full reports itself down
// until its writes succeed again.
#include "durabilitykit.h"
#include "httpclient.h"
#include "tallyprocess.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QProcess>
#include <QTemporaryDir>
#include <QTest>

#include <cerrno>
#include <fcntl.h>
#include <unistd.h>

using namespace DurabilityKit;

namespace {

constexpr int StartTimeoutMs = 20000;

// A tmpfs of `size` mounted at `path` for the life of the object.
class Tmpfs {
public:
    Tmpfs(const QString &path, const QString &size) : m_path(path)
    {
        QDir().mkpath(path);
        QProcess mount;
        mount.start(QStringLiteral("mount"),
                    {QStringLiteral("-t"), QStringLiteral("tmpfs"), QStringLiteral("-o"),
                     QStringLiteral("size=") + size, QStringLiteral("tmpfs"), path});
        m_mounted = mount.waitForFinished(10000) && mount.exitStatus() == QProcess::NormalExit &&
                    mount.exitCode() == 0;
        m_error = QString::fromLocal8Bit(mount.readAllStandardError());
    }
    ~Tmpfs()
    {
        if (m_mounted)
            QProcess::execute(QStringLiteral("umount"), {QStringLiteral("-l"), m_path});
    }
    bool mounted() const { return m_mounted; }
    QString error() const { return m_error; }

    // Writes a file until the file system has no room left; true when it got there.
    bool fill()
    {
        const QByteArray path = QFile::encodeName(QDir(m_path).filePath(QStringLiteral("filler")));
        const int fd = ::open(path.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        if (fd < 0)
            return false;
        const QByteArray chunk(4096, 'x');
        bool full = false;
        for (;;) {
            const ssize_t n = ::write(fd, chunk.constData(), size_t(chunk.size()));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0) {
                full = errno == ENOSPC;
                break;
            }
            if (n < chunk.size()) {
                // The last partial page: the next write reports ENOSPC.
                continue;
            }
        }
        ::close(fd);
        return full;
    }
    bool release() { return QFile::remove(QDir(m_path).filePath(QStringLiteral("filler"))); }

private:
    QString m_path;
    bool m_mounted = false;
    QString m_error;
};

QJsonObject stats(HttpClient &http)
{
    return http.get(Api + QStringLiteral("/stats")).json;
}

bool flushedAll(HttpClient &http, qint64 votes)
{
    const QJsonObject body = stats(http);
    return statValue(body, QStringLiteral("votes"), QStringLiteral("flushed")) == votes &&
           statValue(body, QStringLiteral("buffer"), QStringLiteral("depth")) == 0 &&
           statValue(body, QStringLiteral("buffer"), QStringLiteral("in_flight")) == 0;
}

HttpResponse vote(HttpClient &http, const QString &pollId)
{
    return http.post(Api + QStringLiteral("/vote/") + pollId,
                     compact({{QStringLiteral("option_id"), QStringLiteral("A")}}));
}

qint64 total(HttpClient &http, const QString &pollId)
{
    return http.get(Api + QStringLiteral("/results/") + pollId)
        .json.value(QStringLiteral("total"))
        .toInteger(-1);
}

} // namespace

class TestDiskFaults : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init();
    void fullJournalRefusesSyncVotesAtOnce();
    void fullJournalBoundsAsyncBacklogAndFailsShutdown();
    void fullShardDiskReportsTheShardDown();
};

void TestDiskFaults::init()
{
    if (::geteuid() != 0)
        QSKIP("mounting a small tmpfs needs root (CI runs the suite as root)");
}

void TestDiskFaults::fullJournalRefusesSyncVotesAtOnce()
{
    QTemporaryDir data;
    QVERIFY(data.isValid());
    Tmpfs journalDisk(QDir(data.path()).filePath(QStringLiteral("journal")), QStringLiteral("2m"));
    QVERIFY2(journalDisk.mounted(), qPrintable(journalDisk.error()));
    TallyProcess server({QStringLiteral("--durability"), QStringLiteral("sync"),
                         QStringLiteral("--batch-interval"), QStringLiteral("0.05"),
                         QStringLiteral("--embedded-shards"), QStringLiteral("1")},
                        data.path());
    QVERIFY2(server.start(StartTimeoutMs), qPrintable(server.diagnostics()));
    HttpClient http(server.url(), 3000);
    VERIFY_STATUS(
        http.postJson(Api + QStringLiteral("/polls"), pollBody(QStringLiteral("j"), optionIds(2))),
        201);
    for (int i = 0; i < 3; ++i)
        VERIFY_STATUS(vote(http, QStringLiteral("j")), 202);
    QTRY_VERIFY_WITH_TIMEOUT(flushedAll(http, 3) && journalFiles(data.path()).isEmpty(), 10000);
    VERIFY_STATUS(http.get(QStringLiteral("/ready")), 200);

    QVERIFY(journalDisk.fill());
    // The first vote after the disk filled finds out: its record cannot be written, so
    // it is not acknowledged (the client gives up after half a second).
    HttpClient impatient(server.url(), 500);
    QCOMPARE(vote(impatient, QStringLiteral("j")).status, 0);
    const HttpResponse failing = http.waitFor(
        QStringLiteral("/ready"), [](const HttpResponse &r) { return r.status == 503; }, 5000);
    VERIFY_STATUS(failing, 503);
    const QJsonObject journal = failing.json.value(QStringLiteral("journal")).toObject();
    QCOMPARE(journal.value(QStringLiteral("state")).toString(), QStringLiteral("failing"));
    QCOMPARE(journal.value(QStringLiteral("error")).toString(),
             QStringLiteral("No space left on device"));
    QCOMPARE(failing.json.value(QStringLiteral("status")).toString(),
             QStringLiteral("unavailable"));
    QVERIFY2(!failing.json.contains(QStringLiteral("unavailable_shards")),
             failing.body.constData());

    // New sync votes are refused at once instead of waiting for the disk.
    const HttpResponse refused = vote(http, QStringLiteral("j"));
    VERIFY_STATUS(refused, 503);
    QCOMPARE(refused.errorCode(), QStringLiteral("journal_unavailable"));
    QVERIFY(!refused.header("Retry-After").isEmpty());

    QVERIFY(journalDisk.release());
    VERIFY_STATUS(
        http.waitFor(
            QStringLiteral("/ready"), [](const HttpResponse &r) { return r.status == 200; }, 5000),
        200);
    VERIFY_STATUS(vote(http, QStringLiteral("j")), 202);
    // The unanswered vote was accepted before the failure was known: it is counted.
    QTRY_VERIFY_WITH_TIMEOUT(flushedAll(http, 5), 10000);
    QCOMPARE(total(http, QStringLiteral("j")), 5);
    QCOMPARE(server.stop(), 0);
}

void TestDiskFaults::fullJournalBoundsAsyncBacklogAndFailsShutdown()
{
    QTemporaryDir data;
    QVERIFY(data.isValid());
    Tmpfs journalDisk(QDir(data.path()).filePath(QStringLiteral("journal")), QStringLiteral("2m"));
    QVERIFY2(journalDisk.mounted(), qPrintable(journalDisk.error()));
    const QStringList args{QStringLiteral("--durability"),          QStringLiteral("async"),
                           QStringLiteral("--journal-max-backlog"), QStringLiteral("20"),
                           QStringLiteral("--drain-timeout"),       QStringLiteral("1"),
                           QStringLiteral("--batch-interval"),      QStringLiteral("0.05"),
                           QStringLiteral("--embedded-shards"),     QStringLiteral("1")};
    {
        TallyProcess server(args, data.path());
        QVERIFY2(server.start(StartTimeoutMs), qPrintable(server.diagnostics()));
        HttpClient http(server.url(), 3000);
        VERIFY_STATUS(http.postJson(Api + QStringLiteral("/polls"),
                                    pollBody(QStringLiteral("a"), optionIds(2))),
                      201);
        for (int i = 0; i < 5; ++i)
            VERIFY_STATUS(vote(http, QStringLiteral("a")), 202);
        QTRY_VERIFY_WITH_TIMEOUT(flushedAll(http, 5) && journalFiles(data.path()).isEmpty(), 10000);

        QVERIFY(journalDisk.fill());
        int acknowledged = 0;
        int refused = 0;
        for (int i = 0; i < 30; ++i) {
            const HttpResponse answer = vote(http, QStringLiteral("a"));
            if (answer.status == 202) {
                ++acknowledged;
                continue;
            }
            VERIFY_STATUS(answer, 503);
            QCOMPARE(answer.errorCode(), QStringLiteral("journal_unavailable"));
            ++refused;
        }
        // Exactly the bound is acknowledged without reaching the disk, then no more.
        QCOMPARE(acknowledged, 20);
        QCOMPARE(refused, 10);
        const HttpResponse ready = http.get(QStringLiteral("/ready"));
        VERIFY_STATUS(ready, 503);
        QCOMPARE(ready.json.value(QStringLiteral("journal"))
                     .toObject()
                     .value(QStringLiteral("backlog"))
                     .toInteger(),
                 20);

        // Those 20 exist only in memory: stopping cannot keep them, and says so.
        QCOMPARE(server.stop(), 3);
        QVERIFY2(server.stderrText().contains(
                     QStringLiteral("20 accepted vote(s) are neither stored nor in the journal")),
                 qPrintable(server.stderrText()));
    }
    // What was written is kept.
    QVERIFY(journalDisk.release());
    TallyProcess again(args, data.path());
    QVERIFY2(again.start(StartTimeoutMs), qPrintable(again.diagnostics()));
    HttpClient http(again.url(), 3000);
    QCOMPARE(total(http, QStringLiteral("a")), 5);
    VERIFY_STATUS(http.get(QStringLiteral("/ready")), 200);
    QCOMPARE(again.stop(), 0);
}

void TestDiskFaults::fullShardDiskReportsTheShardDown()
{
    QTemporaryDir base;
    QVERIFY(base.isValid());
    const QString dataDir = QDir(base.path()).filePath(QStringLiteral("data"));
    Tmpfs shardDisk(dataDir, QStringLiteral("4m"));
    QVERIFY2(shardDisk.mounted(), qPrintable(shardDisk.error()));
    // The journal keeps working on a disk of its own: only the shard's writes fail.
    Tmpfs journalDisk(QDir(dataDir).filePath(QStringLiteral("journal")), QStringLiteral("4m"));
    QVERIFY2(journalDisk.mounted(), qPrintable(journalDisk.error()));
    TallyProcess server({QStringLiteral("--batch-interval"), QStringLiteral("0.05"),
                         QStringLiteral("--embedded-shards"), QStringLiteral("1")},
                        dataDir);
    QVERIFY2(server.start(StartTimeoutMs), qPrintable(server.diagnostics()));
    HttpClient http(server.url(), 3000);
    VERIFY_STATUS(
        http.postJson(Api + QStringLiteral("/polls"), pollBody(QStringLiteral("s"), optionIds(2))),
        201);
    for (int i = 0; i < 3; ++i)
        VERIFY_STATUS(vote(http, QStringLiteral("s")), 202);
    QTRY_VERIFY_WITH_TIMEOUT(flushedAll(http, 3), 10000);

    QVERIFY(shardDisk.fill());
    for (int i = 0; i < 5; ++i)
        VERIFY_STATUS(vote(http, QStringLiteral("s")), 202);
    const HttpResponse down = http.waitFor(
        QStringLiteral("/ready"), [](const HttpResponse &r) { return r.status == 503; }, 10000);
    VERIFY_STATUS(down, 503);
    QCOMPARE(down.json.value(QStringLiteral("unavailable_shards")).toArray(),
             QJsonArray{QStringLiteral("shard-0")});
    QCOMPARE(down.json.value(QStringLiteral("shards"))
                 .toArray()
                 .at(0)
                 .toObject()
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("down"));
    const QJsonObject failingStats = stats(http);
    QCOMPARE(failingStats.value(QStringLiteral("shards"))
                 .toArray()
                 .at(0)
                 .toObject()
                 .value(QStringLiteral("state"))
                 .toString(),
             QStringLiteral("down"));
    QVERIFY(statValue(failingStats, QStringLiteral("flush"), QStringLiteral("failures")) >= 3);
    // Reads still answer, with every acknowledged vote.
    QCOMPARE(total(http, QStringLiteral("s")), 8);

    QVERIFY(shardDisk.release());
    VERIFY_STATUS(
        http.waitFor(
            QStringLiteral("/ready"), [](const HttpResponse &r) { return r.status == 200; }, 10000),
        200);
    QTRY_VERIFY_WITH_TIMEOUT(flushedAll(http, 8), 10000);
    QCOMPARE(total(http, QStringLiteral("s")), 8);
    QCOMPARE(server.stop(), 0);
}

QTEST_GUILESS_MAIN(TestDiskFaults)
#include "tst_disk_faults.moc"
