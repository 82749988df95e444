#include "core/votebuffer.h"

#include <QTest>
#include <QThread>

class TestVoteBuffer : public QObject {
    Q_OBJECT

private:
    static OptionCounts pendingOf(const VoteBuffer &buffer, const QString &pollId)
    {
        OptionCounts counts;
        buffer.addPendingTo(pollId, counts);
        return counts;
    }

private slots:
    void emptyBuffer()
    {
        VoteBuffer buffer;
        QCOMPARE(buffer.size(), qint64(0));
        QCOMPARE(pendingOf(buffer, QStringLiteral("7")), OptionCounts());
        QCOMPARE(buffer.takeAll(), PollCounts());
        QCOMPARE(buffer.discard(QStringLiteral("7")), qint64(0));
    }

    void addCountsExactly()
    {
        VoteBuffer buffer;
        QCOMPARE(buffer.add(QStringLiteral("7"), 0, 3), qint64(1));
        QCOMPARE(buffer.add(QStringLiteral("7"), 2, 3), qint64(2));
        QCOMPARE(buffer.add(QStringLiteral("7"), 2, 3), qint64(3));
        QCOMPARE(buffer.add(QStringLiteral("8"), 1, 2, 10), qint64(13));
        QCOMPARE(buffer.size(), qint64(13));

        QCOMPARE(pendingOf(buffer, QStringLiteral("7")), OptionCounts({1, 0, 2}));
        QCOMPARE(pendingOf(buffer, QStringLiteral("8")), OptionCounts({0, 10}));
        QCOMPARE(pendingOf(buffer, QStringLiteral("9")), OptionCounts());
    }

    void addPendingToAccumulates()
    {
        VoteBuffer buffer;
        buffer.add(QStringLiteral("7"), 1, 2, 4);
        OptionCounts counts = {100, 200, 300};
        buffer.addPendingTo(QStringLiteral("7"), counts);
        QCOMPARE(counts, OptionCounts({100, 204, 300}));
        buffer.addPendingTo(QStringLiteral("other"), counts);
        QCOMPARE(counts, OptionCounts({100, 204, 300}));
    }

    void takeAllEmptiesBuffer()
    {
        VoteBuffer buffer;
        buffer.add(QStringLiteral("7"), 0, 2, 5);
        buffer.add(QStringLiteral("8"), 1, 2, 6);

        const PollCounts taken = buffer.takeAll();
        PollCounts expected;
        expected.insert(QStringLiteral("7"), {5, 0});
        expected.insert(QStringLiteral("8"), {0, 6});
        QCOMPARE(taken, expected);
        QCOMPARE(buffer.size(), qint64(0));
        QCOMPARE(pendingOf(buffer, QStringLiteral("7")), OptionCounts());
        QCOMPARE(buffer.takeAll(), PollCounts());

        // Votes after a swap start from zero.
        QCOMPARE(buffer.add(QStringLiteral("7"), 1, 2), qint64(1));
        QCOMPARE(pendingOf(buffer, QStringLiteral("7")), OptionCounts({0, 1}));
    }

    void discardDropsOnePoll()
    {
        VoteBuffer buffer;
        buffer.add(QStringLiteral("7"), 0, 2, 5);
        buffer.add(QStringLiteral("7"), 1, 2, 2);
        buffer.add(QStringLiteral("8"), 1, 2, 6);

        QCOMPARE(buffer.discard(QStringLiteral("7")), qint64(7));
        QCOMPARE(buffer.size(), qint64(6));
        QCOMPARE(pendingOf(buffer, QStringLiteral("7")), OptionCounts());
        QCOMPARE(pendingOf(buffer, QStringLiteral("8")), OptionCounts({0, 6}));
        QCOMPARE(buffer.discard(QStringLiteral("7")), qint64(0));
        QCOMPARE(buffer.size(), qint64(6));
    }

    void growsToOptionCount()
    {
        VoteBuffer buffer;
        buffer.add(QStringLiteral("7"), 0, 2);
        // A poll's option count only ever comes from the catalog; a larger one widens it.
        buffer.add(QStringLiteral("7"), 3, 4);
        QCOMPARE(pendingOf(buffer, QStringLiteral("7")), OptionCounts({1, 0, 0, 1}));
        buffer.add(QStringLiteral("7"), 0, 2);
        QCOMPARE(pendingOf(buffer, QStringLiteral("7")), OptionCounts({2, 0, 0, 1}));
    }

    void neverIndexesPastItsCounts()
    {
        // A vote judged against a 10-option poll may meet an entry sized for the 2-option
        // poll that replaced it (or no poll at all): the entry grows, nothing is written
        // past its end.
        VoteBuffer buffer;
        buffer.add(QStringLiteral("r"), 0, 2);
        buffer.add(QStringLiteral("r"), 9, 2);
        QCOMPARE(pendingOf(buffer, QStringLiteral("r")),
                 OptionCounts({1, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
        buffer.add(QStringLiteral("gone"), 9, -1);
        QCOMPARE(pendingOf(buffer, QStringLiteral("gone")),
                 OptionCounts({0, 0, 0, 0, 0, 0, 0, 0, 0, 1}));
        QCOMPARE(buffer.size(), qint64(3));
    }

    void concurrentAddAndTake()
    {
        // One writer thread, the test thread swapping the buffer out meanwhile: every vote
        // lands in exactly one swap.
        VoteBuffer buffer;
        constexpr int Votes = 50000;
        QThread *writer = QThread::create([&buffer] {
            for (int i = 0; i < Votes; ++i)
                buffer.add(QStringLiteral("7"), i % 3, 3);
        });
        writer->start();
        PollCounts collected;
        while (!writer->isFinished())
            VoteCounts::merge(collected, buffer.takeAll());
        writer->wait();
        VoteCounts::merge(collected, buffer.takeAll());
        delete writer;

        QCOMPARE(buffer.size(), qint64(0));
        QCOMPARE(collected.size(), 1);
        QCOMPARE(collected.value(QStringLiteral("7")), OptionCounts({16667, 16667, 16666}));
    }
};

QTEST_GUILESS_MAIN(TestVoteBuffer)
#include "tst_votebuffer.moc"
