// Journal recovery of a poll that moved between shards: a vote is replayed exactly when
// no shard has it, judged by the poll's manifest entry on its new shard, else by the batch
// it went to on its old shard and the instance's fence there (see Journal::recover).
#include "core/voteledger.h"
#include "storage/journal.h"
#include "storage/journalrecord.h"

#include <QDir>
#include <QFile>
#include <QTemporaryDir>
#include <QTest>

using Manifest = QHash<QString, quint64>;
using Applied = QHash<QString, quint64>;
Q_DECLARE_METATYPE(Manifest)

class TestJournalMoves : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void movedPollVotesAreJudgedByTheirShard_data();
    void movedPollVotesAreJudgedByTheirShard();
};

void TestJournalMoves::movedPollVotesAreJudgedByTheirShard_data()
{
    QTest::addColumn<Manifest>("manifest");
    QTest::addColumn<Manifest>("applied");
    QTest::addColumn<bool>("moved");    // the poll moved from "src" to "dst"
    QTest::addColumn<quint64>("fence"); // this instance's last sequence on "src" at the freeze
    QTest::addColumn<qint64>("replayed");

    const QString ownKey = Journal::manifestKey(QStringLiteral("dst"), QStringLiteral("p"));
    // Sent to the source before the freeze: copied with the poll.
    QTest::newRow("source batch at the fence")
        << Manifest{{"src", 5}} << Manifest{{"src", 5}} << true << quint64(5) << qint64(0);
    // Sent after the freeze: the source refused it and it was not sent again.
    QTest::newRow("source batch above the fence")
        << Manifest{{"src", 6}} << Manifest{{"src", 6}} << true << quint64(5) << qint64(3);
    // Re-sent to the target under the poll's own entry.
    QTest::newRow("target batch applied")
        << Manifest{{"src", 6}, {ownKey, 2}} << Manifest{{"src", 6}, {"dst", 2}} << true
        << quint64(5) << qint64(0);
    QTest::newRow("target batch not applied")
        << Manifest{{"src", 6}, {ownKey, 2}} << Manifest{{"src", 6}, {"dst", 1}} << true
        << quint64(5) << qint64(3);
    // The target's other polls' batch says nothing about this poll.
    QTest::newRow("target's own batch is not the poll's")
        << Manifest{{"src", 6}, {"dst", 2}} << Manifest{{"src", 6}, {"dst", 2}} << true
        << quint64(5) << qint64(3);
    // A poll that never moved: as before, by its shard's batch.
    QTest::newRow("never moved, applied")
        << Manifest{{"dst", 4}} << Manifest{{"dst", 4}} << false << quint64(0) << qint64(0);
    QTest::newRow("never moved, not applied")
        << Manifest{{"dst", 4}} << Manifest{{"dst", 3}} << false << quint64(0) << qint64(3);
}

void TestJournalMoves::movedPollVotesAreJudgedByTheirShard()
{
    QFETCH(Manifest, manifest);
    QFETCH(Manifest, applied);
    QFETCH(bool, moved);
    QFETCH(quint64, fence);
    QFETCH(qint64, replayed);

    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile file(QDir(dir.path()).filePath(Journal::fileName(1)));
    QVERIFY(file.open(QIODevice::WriteOnly));
    file.write(JournalRecord::vote(QStringLiteral("p"), 0, 3));
    file.write(JournalRecord::manifest(1, manifest));
    file.close();

    VoteLedger ledger(1, 1000, 10);
    Journal journal(dir.path(), Journal::Mode::Sync, &ledger, 1);
    const Outcome<Journal::Recovery> recovery =
        journal.recover([](const QString &) { return QStringLiteral("dst"); }, applied,
                        [](const QString &) { return true; }, std::numeric_limits<quint64>::max(),
                        [moved, fence](const QString &) -> std::optional<Journal::MovedFrom> {
                            if (!moved)
                                return std::nullopt;
                            return Journal::MovedFrom{QStringLiteral("src"), fence};
                        });
    QVERIFY(recovery.ok());
    QCOMPARE(recovery.value().replayed, replayed);
    QCOMPARE(recovery.value().skipped, 3 - replayed);
}

QTEST_GUILESS_MAIN(TestJournalMoves)
#include "tst_journal_moves.moc"
