// A journal file with reserved space (JournalSegment): records overwrite zeros reserved
// ahead of them, a failed commit is cut back, a reopened file keeps only whole records,
// and recovery reads the reserved zeros as a clean end but still reports a torn record.
#include "core/voteledger.h"
#include "journalfile.h"
#include "storage/journal.h"
#include "storage/journalrecord.h"
#include "storage/journalsegment.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QTemporaryDir>
#include <QTest>

#include <memory>

using JournalFile::decodeAll;
using JournalFile::nonZeroLength;

namespace {

QByteArray readAll(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

// A new segment file at `path`, sized for `expected` bytes; fails the test otherwise.
bool openNew(JournalSegment &segment, const QString &path, qint64 expected = 0)
{
    bool created = false;
    int error = 0;
    return segment.open(QFile::encodeName(path), expected, &created, &error) && created;
}

bool allZero(const QByteArray &bytes)
{
    return std::all_of(bytes.cbegin(), bytes.cend(), [](char byte) { return byte == '\0'; });
}

} // namespace

class TestJournalSegment : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void init() { m_dir = std::make_unique<QTemporaryDir>(); }
    void cleanup() { m_dir.reset(); }
    void recordsOverwriteReservedZeros();
    void reservationGrowsByDoubling();
    void cutBackForgetsAFailedCommit();
    void reopenKeepsWholeRecords();
    void recoveryReadsReservedSpaceAsTheEnd();
    void recoveryReportsATornRecordBeforeReservedSpace();

private:
    // A file of this test's own temporary directory.
    QString file(const QString &name) const { return m_dir->filePath(name); }

    std::unique_ptr<QTemporaryDir> m_dir;
};

void TestJournalSegment::recordsOverwriteReservedZeros()
{
    const QString path = file(QStringLiteral("1.log"));
    JournalSegment segment;
    int error = 0;
    QVERIFY(openNew(segment, path));
    const QByteArray first = JournalRecord::vote(QStringLiteral("p"), 1);
    const QByteArray second = JournalRecord::vote(QStringLiteral("q"), 2, 5);
    QVERIFY(segment.append(first, &error));
    QVERIFY(segment.append(second, &error));
    QVERIFY(segment.sync(&error));
    QCOMPARE(segment.end(), first.size() + second.size());
    QCOMPARE(segment.reserved(), JournalSegment::MinGrowth);

    // On disk: the records, then zeros up to the reserved size.
    QByteArray data = readAll(path);
    QCOMPARE(data.size(), JournalSegment::MinGrowth);
    qsizetype end = 0;
    const QList<JournalRecord::Decoded> records = decodeAll(data, &end);
    QCOMPARE(records.size(), 2);
    QCOMPARE(records.at(1).pollId, QStringLiteral("q"));
    QCOMPARE(records.at(1).votes, qint64(5));
    QCOMPARE(end, segment.end());
    QVERIFY(allZero(data.mid(end)));

    // Closing trims the reserved space.
    segment.close();
    QCOMPARE(readAll(path), first + second);
}

void TestJournalSegment::reservationGrowsByDoubling()
{
    const QString path = file(QStringLiteral("1.log"));
    JournalSegment segment;
    int error = 0;
    // Sized by the epoch before: 100 kB expected, so the first step is 100 kB.
    QVERIFY(openNew(segment, path, 100000));
    const QByteArray chunk(40000, 'x');
    QVERIFY(segment.append(chunk, &error));
    QCOMPARE(segment.reserved(), qint64(100000));
    QVERIFY(segment.append(chunk, &error));
    QCOMPARE(segment.reserved(), qint64(100000));
    // The third chunk does not fit: the next step is twice the first.
    QVERIFY(segment.append(chunk, &error));
    QCOMPARE(segment.reserved(), qint64(300000));
    QCOMPARE(segment.end(), qint64(120000));
    // A record larger than a step reserves what it needs.
    const QByteArray large(600000, 'y');
    QVERIFY(segment.append(large, &error));
    QCOMPARE(segment.end(), qint64(720000));
    QCOMPARE(segment.reserved(), qint64(720000));
    QCOMPARE(QFileInfo(path).size(), qint64(720000));
    // Steps stop growing at MaxGrowth.
    JournalSegment big;
    QVERIFY(openNew(big, file(QStringLiteral("2.log")), 100 * JournalSegment::MaxGrowth));
    QVERIFY(big.append(QByteArray(10, 'z'), &error));
    QCOMPARE(big.reserved(), JournalSegment::MaxGrowth);
}

void TestJournalSegment::cutBackForgetsAFailedCommit()
{
    const QString path = file(QStringLiteral("1.log"));
    JournalSegment segment;
    int error = 0;
    QVERIFY(openNew(segment, path));
    const QByteArray kept = JournalRecord::vote(QStringLiteral("kept"), 0);
    QVERIFY(segment.append(kept, &error));
    const qint64 before = segment.end();
    QVERIFY(segment.append(JournalRecord::vote(QStringLiteral("failed"), 0), &error));
    segment.cutBack(before);
    QCOMPARE(segment.end(), before);
    QCOMPARE(readAll(path), kept);
    // The retried record lands where the failed one was, with a new (second, so twice
    // as large) step of zeros after it.
    const QByteArray retried = JournalRecord::vote(QStringLiteral("retried"), 3);
    QVERIFY(segment.append(retried, &error));
    const QByteArray data = readAll(path);
    QCOMPARE(data.left(kept.size() + retried.size()), kept + retried);
    QCOMPARE(data.size(), kept.size() + 2 * JournalSegment::MinGrowth);
    QVERIFY(allZero(data.mid(kept.size() + retried.size())));
}

void TestJournalSegment::reopenKeepsWholeRecords()
{
    const QString path = file(QStringLiteral("1.log"));
    const QByteArray first = JournalRecord::vote(QStringLiteral("p"), 1);
    const QByteArray torn = JournalRecord::vote(QStringLiteral("torn"), 2).left(10);
    {
        QFile file(path);
        QVERIFY(file.open(QIODevice::WriteOnly));
        file.write(first + torn + QByteArray(100, '\0'));
    }
    JournalSegment segment;
    bool created = true;
    int error = 0;
    QVERIFY(segment.open(QFile::encodeName(path), 0, &created, &error));
    QVERIFY(!created);
    QCOMPARE(segment.end(), first.size());
    const QByteArray next = JournalRecord::vote(QStringLiteral("next"), 0);
    QVERIFY(segment.append(next, &error));
    segment.close();
    qsizetype end = 0;
    const QByteArray data = readAll(path);
    const QList<JournalRecord::Decoded> records = decodeAll(data, &end);
    QCOMPARE(records.size(), 2);
    QCOMPARE(records.at(1).pollId, QStringLiteral("next"));
    QCOMPARE(end, data.size());
}

void TestJournalSegment::recoveryReadsReservedSpaceAsTheEnd()
{
    // What a crash leaves: the records, then the reserved zeros (not trimmed).
    const QByteArray records = JournalRecord::vote(QStringLiteral("p"), 1, 2) +
                               JournalRecord::vote(QStringLiteral("p"), 0, 3);
    {
        QFile out(file(Journal::fileName(4)));
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(records + QByteArray(JournalSegment::MinGrowth - records.size(), '\0'));
    }

    VoteLedger ledger(1, 1000, 10);
    Journal journal(m_dir->path(), Journal::Mode::Sync, &ledger, 1);
    const Outcome<Journal::Recovery> recovery =
        journal.recover([](const QString &) { return QStringLiteral("s"); }, {},
                        [](const QString &) { return true; });
    QVERIFY(recovery.ok());
    QCOMPARE(recovery.value().problems, QStringList());
    QCOMPARE(recovery.value().replayed, qint64(5));
    QCOMPARE(recovery.value().votes.value(QStringLiteral("p")), OptionCounts({3, 2}));
}

void TestJournalSegment::recoveryReportsATornRecordBeforeReservedSpace()
{
    const QByteArray whole = JournalRecord::vote(QStringLiteral("p"), 1);
    QByteArray torn = JournalRecord::vote(QStringLiteral("p"), 2);
    torn.replace(torn.size() - 4, 4, QByteArray(4, '\0')); // the write stopped short
    {
        QFile out(file(Journal::fileName(7)));
        QVERIFY(out.open(QIODevice::WriteOnly));
        out.write(whole + torn + QByteArray(5000, '\0'));
    }
    VoteLedger ledger(1, 1000, 10);
    Journal journal(m_dir->path(), Journal::Mode::Sync, &ledger, 1);
    const Outcome<Journal::Recovery> recovery =
        journal.recover([](const QString &) { return QStringLiteral("s"); }, {},
                        [](const QString &) { return true; });
    QVERIFY(recovery.ok());
    QCOMPARE(recovery.value().replayed, qint64(1));
    // The torn record's bytes up to its last non-zero one; the zeros after are reserve.
    QCOMPARE(recovery.value().problems,
             QStringList{QStringLiteral("%1: torn or corrupt record at offset %2; %3 trailing "
                                        "bytes ignored")
                             .arg(Journal::fileName(7))
                             .arg(whole.size())
                             .arg(nonZeroLength(torn))});
}

QTEST_GUILESS_MAIN(TestJournalSegment)
#include "tst_journalsegment.moc"
