#include "core/voteledger.h"

#include <QTest>
#include <QThread>
#include <atomic>
#include <limits>
#include <memory>

// Lets QCOMPARE print optional counts on failure.
QDebug operator<<(QDebug debug, const std::optional<OptionCounts> &counts)
{
    if (!counts)
        return debug << "nullopt";
    return debug << *counts;
}

class TestVoteLedger : public QObject {
    Q_OBJECT

private:
    using Counts = std::optional<OptionCounts>;

    // A hand-moved clock shared with the ledger's cache.
    std::shared_ptr<qint64> m_now;
    ResultCache::Clock clock()
    {
        auto now = m_now;
        return [now] { return *now; };
    }

    static bool keepAll(const QString &) { return true; }

    static PollCounts batchOf(std::initializer_list<std::pair<QString, OptionCounts>> entries)
    {
        PollCounts batch;
        for (const auto &[poll, counts] : entries)
            batch.insert(poll, counts);
        return batch;
    }

private slots:
    void init() { m_now = std::make_shared<qint64>(0); }

    void workerCount()
    {
        QCOMPARE(VoteLedger(3, 5000, 10, clock()).workerCount(), 3);
        QCOMPARE(VoteLedger(0, 5000, 10, clock()).workerCount(), 1);
    }

    void missCountsAndReturnsNothing()
    {
        VoteLedger ledger(2, 5000, 10, clock());
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 3), Counts());
        QCOMPARE(ledger.cacheMisses(), quint64(1));
        QCOMPARE(ledger.cacheHits(), quint64(0));

        // Pending votes alone do not make a hit: the stored part is unknown.
        ledger.addVote(0, QStringLiteral("7"), 1, 3);
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 3), Counts());
        QCOMPARE(ledger.cacheMisses(), quint64(2));
        QCOMPARE(ledger.cacheHits(), quint64(0));
        QCOMPARE(ledger.readStale(QStringLiteral("7"), 3), Counts());
        QCOMPARE(ledger.cacheEntries(), 0);
    }

    void votesFlushedBetweenPublicationsAreStillPublished()
    {
        // Buffered, flushed and confirmed between two publications: the second one must
        // still report them, or other instances never hear of these votes.
        VoteLedger ledger(1, 5000, 10, clock());
        QVERIFY(ledger.takeOwnAcceptedChanges().isEmpty());
        ledger.addVote(0, QStringLiteral("7"), 1, 2);
        ledger.addVote(0, QStringLiteral("7"), 1, 2);
        const PollCounts batch = ledger.takeBuffered(keepAll);
        ledger.confirmApplied(batch);
        const PollCounts published = ledger.takeOwnAcceptedChanges();
        QCOMPARE(published.value(QStringLiteral("7")), (OptionCounts{0, 2}));
        QVERIFY(ledger.takeOwnAcceptedChanges().isEmpty());
        QCOMPARE(ledger.lastPublished({QStringLiteral("7"), QStringLiteral("8")}),
                 batchOf({{QStringLiteral("7"), OptionCounts{0, 2}}}));
    }

    void uncountedReadsLeaveStatsAlone()
    {
        VoteLedger ledger(1, 5000, 10, clock());
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 2, false), Counts());
        ledger.storeRead(QStringLiteral("7"), OptionCounts{1, 2}, 2);
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 2, false), Counts(OptionCounts{1, 2}));
        QCOMPARE(ledger.cacheHits(), quint64(0));
        QCOMPARE(ledger.cacheMisses(), quint64(0));
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 2), Counts(OptionCounts{1, 2}));
        QCOMPARE(ledger.cacheHits(), quint64(1));
    }

    void storeReadCaches()
    {
        VoteLedger ledger(2, 5000, 10, clock());
        ledger.addVote(1, QStringLiteral("7"), 2, 3);

        // Stored counts shorter than the poll are widened; pending votes are added.
        QCOMPARE(ledger.storeRead(QStringLiteral("7"), {4, 5}, 3), OptionCounts({4, 5, 1}));
        QCOMPARE(ledger.cacheEntries(), 1);
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 3), Counts(OptionCounts{4, 5, 1}));
        QCOMPARE(ledger.cacheHits(), quint64(1));
        QCOMPARE(ledger.cacheMisses(), quint64(0));

        // The cached part excludes what was pending when it was stored.
        ledger.addVote(0, QStringLiteral("7"), 0, 3);
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 3), Counts(OptionCounts{5, 5, 1}));
        QCOMPARE(ledger.cacheHits(), quint64(2));
    }

    void readEqualsCachedPlusInflightPlusBuffered()
    {
        VoteLedger ledger(2, 5000, 10, clock());
        const QString poll = QStringLiteral("7");
        PollCounts shard; // what the owning shard holds
        auto check = [&](const OptionCounts &expected, qint64 buffered, qint64 inflight) {
            QCOMPARE(ledger.readCached(poll, 3), Counts(expected));
            QCOMPARE(ledger.bufferedVotes(), buffered);
            QCOMPARE(ledger.inflightVotes(), inflight);
            QCOMPARE(ledger.pendingVotes(), buffered + inflight);
        };

        QCOMPARE(ledger.storeRead(poll, {0, 0, 0}, 3), OptionCounts({0, 0, 0}));
        check({0, 0, 0}, 0, 0);

        // Buffered in two workers.
        QCOMPARE(ledger.addVote(0, poll, 0, 3), qint64(1));
        QCOMPARE(ledger.addVote(0, poll, 0, 3), qint64(2));
        QCOMPARE(ledger.addVote(1, poll, 2, 3), qint64(1));
        check({2, 0, 1}, 3, 0);

        // Swapped out: the votes are in flight now.
        const PollCounts first = ledger.takeBuffered(keepAll);
        QCOMPARE(first, batchOf({{poll, {2, 0, 1}}}));
        check({2, 0, 1}, 0, 3);

        // New votes while the batch is in flight.
        ledger.addVote(1, poll, 1, 3);
        check({2, 1, 1}, 1, 3);

        // A shard read that does not include the batch yet: still exact.
        QCOMPARE(ledger.storeRead(poll, shard.value(poll), 3), OptionCounts({2, 1, 1}));
        check({2, 1, 1}, 1, 3);

        // The batch lands on the shard and is confirmed.
        VoteCounts::merge(shard, first);
        ledger.confirmApplied(first);
        check({2, 1, 1}, 1, 0);

        // A second flush, votes arriving meanwhile, then a re-read of the shard.
        const PollCounts second = ledger.takeBuffered(keepAll);
        QCOMPARE(second, batchOf({{poll, {0, 1, 0}}}));
        check({2, 1, 1}, 0, 1);
        ledger.addVote(0, poll, 2, 3);
        check({2, 1, 2}, 1, 1);
        VoteCounts::merge(shard, second);
        ledger.confirmApplied(second);
        check({2, 1, 2}, 1, 0);
        QCOMPARE(ledger.storeRead(poll, shard.value(poll), 3), OptionCounts({2, 1, 2}));
        check({2, 1, 2}, 1, 0);

        QCOMPARE(shard.value(poll), OptionCounts({2, 1, 1}));
        QCOMPARE(ledger.cacheMisses(), quint64(0));
    }

    void confirmWithoutCacheEntryLeavesItToTheShard()
    {
        VoteLedger ledger(1, 5000, 10, clock());
        ledger.addVote(0, QStringLiteral("7"), 0, 2);
        const PollCounts batch = ledger.takeBuffered(keepAll);
        ledger.confirmApplied(batch);
        QCOMPARE(ledger.cacheEntries(), 0);
        QCOMPARE(ledger.inflightVotes(), qint64(0));
        QCOMPARE(ledger.pendingVotes(), qint64(0));
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 2), Counts());
        // The next read goes to the shard, which has the vote.
        QCOMPARE(ledger.storeRead(QStringLiteral("7"), {1, 0}, 2), OptionCounts({1, 0}));
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 2), Counts(OptionCounts{1, 0}));
    }

    void expiryAndStaleReads()
    {
        VoteLedger ledger(1, 1000, 10, clock());
        ledger.storeRead(QStringLiteral("7"), {10, 20}, 2);
        ledger.addVote(0, QStringLiteral("7"), 1, 2);
        *m_now = 999;
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 2), Counts(OptionCounts{10, 21}));
        *m_now = 1000;
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 2), Counts());
        QCOMPARE(ledger.cacheHits(), quint64(1));
        QCOMPARE(ledger.cacheMisses(), quint64(1));
        // Degraded read: last known counts plus pending, and it counts as neither.
        QCOMPARE(ledger.readStale(QStringLiteral("7"), 3), Counts(OptionCounts{10, 21, 0}));
        QCOMPARE(ledger.cacheHits(), quint64(1));
        QCOMPARE(ledger.cacheMisses(), quint64(1));

        // A confirmed batch keeps the stale entry in step with the shard.
        const PollCounts batch = ledger.takeBuffered(keepAll);
        ledger.confirmApplied(batch);
        QCOMPARE(ledger.readStale(QStringLiteral("7"), 2), Counts(OptionCounts{10, 21}));
    }

    void takeBufferedKeepDropsPolls()
    {
        VoteLedger ledger(2, 5000, 10, clock());
        ledger.storeRead(QStringLiteral("8"), {0, 0}, 2);
        ledger.addVote(0, QStringLiteral("7"), 0, 2);
        ledger.addVote(1, QStringLiteral("7"), 1, 2);
        ledger.addVote(0, QStringLiteral("8"), 1, 2);
        ledger.addVote(1, QStringLiteral("8"), 1, 2);
        ledger.addVote(1, QStringLiteral("9"), 0, 2);
        QCOMPARE(ledger.bufferedVotes(), qint64(5));
        QCOMPARE(ledger.pendingVotes(), qint64(5));

        QStringList asked;
        const PollCounts batch = ledger.takeBuffered([&asked](const QString &poll) {
            asked.append(poll);
            return poll == u"7";
        });
        asked.sort();
        QCOMPARE(asked,
                 QStringList({QStringLiteral("7"), QStringLiteral("8"), QStringLiteral("9")}));
        QCOMPARE(batch, batchOf({{QStringLiteral("7"), {1, 1}}}));
        QCOMPARE(ledger.bufferedVotes(), qint64(0));
        QCOMPARE(ledger.inflightVotes(), qint64(2));
        QCOMPARE(ledger.pendingVotes(), qint64(2));
        // The dropped votes are gone from reads as well.
        QCOMPARE(ledger.readCached(QStringLiteral("8"), 2), Counts(OptionCounts{0, 0}));

        ledger.confirmApplied(batch);
        QCOMPARE(ledger.inflightVotes(), qint64(0));
        QCOMPARE(ledger.pendingVotes(), qint64(0));
    }

    void takeBufferedMergesWorkers()
    {
        VoteLedger ledger(3, 5000, 10, clock());
        for (int worker = 0; worker < 3; ++worker)
            for (int i = 0; i <= worker; ++i)
                ledger.addVote(worker, QStringLiteral("7"), worker, 3);
        QCOMPARE(ledger.takeBuffered(keepAll), batchOf({{QStringLiteral("7"), {1, 2, 3}}}));
        QCOMPARE(ledger.takeBuffered(keepAll), PollCounts());
        QCOMPARE(ledger.inflightVotes(), qint64(6));
    }

    void abandonDropsInflight()
    {
        VoteLedger ledger(1, 5000, 10, clock());
        ledger.storeRead(QStringLiteral("7"), {5, 5}, 2);
        ledger.addVote(0, QStringLiteral("7"), 0, 2);
        ledger.addVote(0, QStringLiteral("7"), 0, 2);
        const PollCounts batch = ledger.takeBuffered(keepAll);
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 2), Counts(OptionCounts{7, 5}));

        ledger.abandon(batch);
        QCOMPARE(ledger.inflightVotes(), qint64(0));
        QCOMPARE(ledger.pendingVotes(), qint64(0));
        // Not added to the cache: the votes never reached the shard.
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 2), Counts(OptionCounts{5, 5}));
    }

    void forgetDropsBufferedAndCache()
    {
        VoteLedger ledger(2, 5000, 10, clock());
        ledger.storeRead(QStringLiteral("7"), {1, 1}, 2);
        ledger.storeRead(QStringLiteral("8"), {2, 2}, 2);
        ledger.addVote(0, QStringLiteral("7"), 0, 2);
        const PollCounts inflight = ledger.takeBuffered(keepAll);
        ledger.addVote(0, QStringLiteral("7"), 1, 2);
        ledger.addVote(1, QStringLiteral("7"), 1, 2);
        ledger.addVote(1, QStringLiteral("8"), 0, 2);
        QCOMPARE(ledger.bufferedVotes(), qint64(3));
        QCOMPARE(ledger.inflightVotes(), qint64(1));
        QCOMPARE(ledger.pendingVotes(), qint64(4));

        ledger.forget(QStringLiteral("7"));
        QCOMPARE(ledger.bufferedVotes(), qint64(1));
        QCOMPARE(ledger.inflightVotes(), qint64(1)); // left to complete
        QCOMPARE(ledger.pendingVotes(), qint64(2));
        QCOMPARE(ledger.cacheEntries(), 1);
        QCOMPARE(ledger.readCached(QStringLiteral("7"), 2), Counts());
        QCOMPARE(ledger.readStale(QStringLiteral("7"), 2), Counts());
        QCOMPARE(ledger.readCached(QStringLiteral("8"), 2), Counts(OptionCounts{3, 2}));

        // The in-flight batch completes without bringing the entry back.
        ledger.confirmApplied(inflight);
        QCOMPARE(ledger.inflightVotes(), qint64(0));
        QCOMPARE(ledger.pendingVotes(), qint64(1));
        QCOMPARE(ledger.cacheEntries(), 1);
        QCOMPARE(ledger.takeBuffered(keepAll), batchOf({{QStringLiteral("8"), {1, 0}}}));
    }

    void concurrentWorkersStayExactAndMonotonic()
    {
        // Four workers buffer 25,000 votes each while this thread flushes against a
        // simulated shard and reads, and a fifth thread reads all the time: no read ever
        // goes backwards, none counts a vote twice, and at the end everything is stored
        // exactly once.
        constexpr int Workers = 4;
        constexpr int VotesPerWorker = 25000;
        constexpr int Options = 4;
        const QString poll = QStringLiteral("7");
        VoteLedger ledger(Workers, 1000000, 10, clock());
        PollCounts shard;
        QCOMPARE(ledger.storeRead(poll, OptionCounts(), Options), OptionCounts(Options, 0));

        // The concurrent reader can see any moment of a flush; it reports the first
        // backwards step (QVERIFY only works on the test thread).
        std::atomic<bool> stop = false;
        QString readerProblem;
        int readerReads = 0;
        const std::unique_ptr<QThread> reader(QThread::create([&] {
            OptionCounts last(Options, 0);
            while (!stop.load()) {
                const Counts read = ledger.readCached(poll, Options);
                if (!read || read->size() != Options) {
                    readerProblem = QStringLiteral("unexpected miss or size");
                    return;
                }
                for (int o = 0; o < Options; ++o) {
                    if (read->at(o) < last.at(o)) {
                        readerProblem = QStringLiteral("option %1 went from %2 to %3")
                                            .arg(o)
                                            .arg(last.at(o))
                                            .arg(read->at(o));
                        return;
                    }
                }
                if (VoteCounts::total(*read) > Workers * VotesPerWorker) {
                    readerProblem = QStringLiteral("total %1").arg(VoteCounts::total(*read));
                    return;
                }
                last = *read;
                ++readerReads;
            }
        }));
        reader->start();

        // Workers go at most one chunk of votes ahead of the flushes, so at least
        // VotesPerWorker / Chunk flushes interleave with the voting however the
        // threads are scheduled.
        constexpr int Chunk = 1000;
        std::atomic<int> flushesDone = 0;
        std::vector<std::unique_ptr<QThread>> threads;
        for (int w = 0; w < Workers; ++w) {
            threads.emplace_back(QThread::create([&ledger, &poll, &flushesDone, w] {
                for (int i = 0; i < VotesPerWorker; ++i) {
                    if (i % Chunk == 0) {
                        while (flushesDone.load() < i / Chunk)
                            QThread::yieldCurrentThread();
                    }
                    ledger.addVote(w, poll, i % Options, Options);
                }
            }));
        }
        for (auto &thread : threads)
            thread->start();

        OptionCounts previous(Options, 0);
        int reads = 0;
        int flushes = 0;
        auto readAndCheck = [&] {
            const Counts read = ledger.readCached(poll, Options);
            QVERIFY(read.has_value());
            QCOMPARE(read->size(), qsizetype(Options));
            for (int o = 0; o < Options; ++o)
                QVERIFY2(read->at(o) >= previous.at(o),
                         qPrintable(QStringLiteral("option %1 went from %2 to %3")
                                        .arg(o)
                                        .arg(previous.at(o))
                                        .arg(read->at(o))));
            QVERIFY(VoteCounts::total(*read) <= Workers * VotesPerWorker);
            previous = *read;
            ++reads;
        };
        auto running = [&threads] {
            for (const auto &thread : threads)
                if (!thread->isFinished())
                    return true;
            return false;
        };

        while (running()) {
            const PollCounts batch = ledger.takeBuffered(keepAll);
            readAndCheck();
            if (QTest::currentTestFailed())
                break;
            if (flushes % 3 == 0) {
                // Re-read the shard while the batch is still in flight.
                ledger.storeRead(poll, shard.value(poll), Options);
                readAndCheck();
            }
            VoteCounts::merge(shard, batch);
            ledger.confirmApplied(batch);
            readAndCheck();
            if (QTest::currentTestFailed())
                break;
            flushesDone = ++flushes;
        }
        flushesDone = std::numeric_limits<int>::max(); // never leave a worker waiting
        for (auto &thread : threads)
            thread->wait();
        if (!QTest::currentTestFailed()) {
            const PollCounts last = ledger.takeBuffered(keepAll);
            VoteCounts::merge(shard, last);
            ledger.confirmApplied(last);
            readAndCheck();
        }
        stop = true;
        reader->wait();
        if (QTest::currentTestFailed())
            return;
        QVERIFY2(readerProblem.isEmpty(), qPrintable(readerProblem));
        QVERIFY(flushes >= VotesPerWorker / Chunk);

        const OptionCounts expected(Options, Workers * VotesPerWorker / Options);
        QCOMPARE(shard.value(poll), expected);
        QCOMPARE(ledger.bufferedVotes(), qint64(0));
        QCOMPARE(ledger.inflightVotes(), qint64(0));
        QCOMPARE(ledger.pendingVotes(), qint64(0));
        QCOMPARE(ledger.storeRead(poll, shard.value(poll), Options), expected);
        const Counts final = ledger.readCached(poll, Options);
        QVERIFY(final.has_value());
        QCOMPARE(*final, expected);
        QCOMPARE(VoteCounts::total(*final), qint64(Workers * VotesPerWorker));
        qDebug("%d flushes, %d reads here, %d concurrent reads", flushes, reads, readerReads);
    }
};

QTEST_GUILESS_MAIN(TestVoteLedger)
#include "tst_voteledger.moc"
