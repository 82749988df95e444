#include "core/resultcache.h"

#include <QTest>
#include <memory>

// Lets QCOMPARE print optional counts on failure.
QDebug operator<<(QDebug debug, const std::optional<OptionCounts> &counts)
{
    if (!counts)
        return debug << "nullopt";
    return debug << *counts;
}

class TestResultCache : public QObject {
    Q_OBJECT

private:
    // A clock the test moves by hand.
    struct FakeClock {
        std::shared_ptr<qint64> now = std::make_shared<qint64>(1000);
        ResultCache::Clock clock() const
        {
            auto shared = now;
            return [shared] { return *shared; };
        }
        void advance(qint64 ms) { *now += ms; }
    };

    using Counts = std::optional<OptionCounts>;

private slots:
    void emptyCache()
    {
        FakeClock time;
        ResultCache cache(5000, 10, time.clock());
        QCOMPARE(cache.size(), 0);
        QCOMPARE(cache.capacity(), 10);
        QCOMPARE(cache.ttlMs(), qint64(5000));
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts());
        QCOMPARE(cache.lastKnown(QStringLiteral("7")), Counts());
    }

    void capacityAtLeastOne()
    {
        FakeClock time;
        ResultCache cache(5000, 0, time.clock());
        QCOMPARE(cache.capacity(), 1);
        cache.put(QStringLiteral("a"), {1});
        cache.put(QStringLiteral("b"), {2});
        QCOMPARE(cache.size(), 1);
        QCOMPARE(cache.lastKnown(QStringLiteral("a")), Counts());
        QCOMPARE(cache.fresh(QStringLiteral("b")), Counts(OptionCounts{2}));
    }

    void expiresAfterTtl()
    {
        FakeClock time;
        ResultCache cache(5000, 10, time.clock());
        cache.put(QStringLiteral("7"), {3, 4});
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts(OptionCounts{3, 4}));

        time.advance(4999);
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts(OptionCounts{3, 4}));

        // Reading does not extend the lifetime; exactly ttl old is expired.
        time.advance(1);
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts());
        QCOMPARE(cache.size(), 1);

        // Storing again restarts the clock.
        cache.put(QStringLiteral("7"), {5, 6});
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts(OptionCounts{5, 6}));
        time.advance(4999);
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts(OptionCounts{5, 6}));
        time.advance(1);
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts());
    }

    void zeroTtlNeverFresh()
    {
        FakeClock time;
        ResultCache cache(0, 10, time.clock());
        cache.put(QStringLiteral("7"), {1, 2});
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts());
        QCOMPARE(cache.lastKnown(QStringLiteral("7")), Counts(OptionCounts{1, 2}));
    }

    void lastKnownReturnsExpired()
    {
        FakeClock time;
        ResultCache cache(100, 10, time.clock());
        cache.put(QStringLiteral("7"), {9, 1});
        time.advance(1000000);
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts());
        QCOMPARE(cache.lastKnown(QStringLiteral("7")), Counts(OptionCounts{9, 1}));
        QCOMPARE(cache.lastKnown(QStringLiteral("8")), Counts());
    }

    void evictsLeastRecentlyUsed()
    {
        FakeClock time;
        ResultCache cache(5000, 3, time.clock());
        cache.put(QStringLiteral("a"), {1});
        cache.put(QStringLiteral("b"), {2});
        cache.put(QStringLiteral("c"), {3});
        QCOMPARE(cache.size(), 3);

        cache.put(QStringLiteral("d"), {4});
        QCOMPARE(cache.size(), 3);
        QCOMPARE(cache.lastKnown(QStringLiteral("a")), Counts());
        QCOMPARE(cache.lastKnown(QStringLiteral("b")), Counts(OptionCounts{2}));
        QCOMPARE(cache.lastKnown(QStringLiteral("c")), Counts(OptionCounts{3}));
        QCOMPARE(cache.lastKnown(QStringLiteral("d")), Counts(OptionCounts{4}));
    }

    void freshProtectsFromEviction()
    {
        FakeClock time;
        ResultCache cache(5000, 3, time.clock());
        cache.put(QStringLiteral("a"), {1});
        cache.put(QStringLiteral("b"), {2});
        cache.put(QStringLiteral("c"), {3});

        // "a" is the oldest, but reading it makes "b" the least recently used.
        QCOMPARE(cache.fresh(QStringLiteral("a")), Counts(OptionCounts{1}));
        cache.put(QStringLiteral("d"), {4});
        QCOMPARE(cache.lastKnown(QStringLiteral("a")), Counts(OptionCounts{1}));
        QCOMPARE(cache.lastKnown(QStringLiteral("b")), Counts());

        // lastKnown() does not count as a use: "c" goes next despite being read.
        QCOMPARE(cache.lastKnown(QStringLiteral("c")), Counts(OptionCounts{3}));
        cache.put(QStringLiteral("e"), {5});
        QCOMPARE(cache.lastKnown(QStringLiteral("c")), Counts());
        QCOMPARE(cache.lastKnown(QStringLiteral("a")), Counts(OptionCounts{1}));
        QCOMPARE(cache.lastKnown(QStringLiteral("d")), Counts(OptionCounts{4}));
        QCOMPARE(cache.lastKnown(QStringLiteral("e")), Counts(OptionCounts{5}));
        QCOMPARE(cache.size(), 3);
    }

    void expiredFreshDoesNotProtect()
    {
        FakeClock time;
        ResultCache cache(100, 2, time.clock());
        cache.put(QStringLiteral("a"), {1});
        cache.put(QStringLiteral("b"), {2});
        time.advance(100);
        // A miss on an expired entry leaves its recency alone.
        QCOMPARE(cache.fresh(QStringLiteral("a")), Counts());
        cache.put(QStringLiteral("c"), {3});
        QCOMPARE(cache.lastKnown(QStringLiteral("a")), Counts());
        QCOMPARE(cache.lastKnown(QStringLiteral("b")), Counts(OptionCounts{2}));
    }

    void putExistingRefreshesRecency()
    {
        FakeClock time;
        ResultCache cache(5000, 2, time.clock());
        cache.put(QStringLiteral("a"), {1});
        cache.put(QStringLiteral("b"), {2});
        cache.put(QStringLiteral("a"), {10});
        QCOMPARE(cache.size(), 2);
        cache.put(QStringLiteral("c"), {3});
        QCOMPARE(cache.lastKnown(QStringLiteral("a")), Counts(OptionCounts{10}));
        QCOMPARE(cache.lastKnown(QStringLiteral("b")), Counts());
        QCOMPARE(cache.lastKnown(QStringLiteral("c")), Counts(OptionCounts{3}));
    }

    void addAppliedChangesOnlyExistingEntries()
    {
        FakeClock time;
        ResultCache cache(5000, 10, time.clock());
        cache.addApplied(QStringLiteral("absent"), {1, 2});
        QCOMPARE(cache.size(), 0);
        QCOMPARE(cache.lastKnown(QStringLiteral("absent")), Counts());

        cache.put(QStringLiteral("7"), {10, 20});
        cache.addApplied(QStringLiteral("7"), {1, 2});
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts(OptionCounts{11, 22}));
        // A longer delta grows the entry.
        cache.addApplied(QStringLiteral("7"), {0, 0, 5});
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts(OptionCounts{11, 22, 5}));
        QCOMPARE(cache.size(), 1);
    }

    void addAppliedKeepsAge()
    {
        FakeClock time;
        ResultCache cache(1000, 10, time.clock());
        cache.put(QStringLiteral("7"), {1});
        time.advance(999);
        cache.addApplied(QStringLiteral("7"), {1});
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts(OptionCounts{2}));
        time.advance(1);
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts());

        // Applied to an expired entry, it still updates the last known counts.
        cache.addApplied(QStringLiteral("7"), {3});
        QCOMPARE(cache.fresh(QStringLiteral("7")), Counts());
        QCOMPARE(cache.lastKnown(QStringLiteral("7")), Counts(OptionCounts{5}));
    }

    void removeForgetsEntry()
    {
        FakeClock time;
        ResultCache cache(5000, 2, time.clock());
        cache.put(QStringLiteral("a"), {1});
        cache.put(QStringLiteral("b"), {2});
        cache.remove(QStringLiteral("a"));
        cache.remove(QStringLiteral("never-there"));
        QCOMPARE(cache.size(), 1);
        QCOMPARE(cache.lastKnown(QStringLiteral("a")), Counts());

        // The freed slot is reused without evicting "b".
        cache.put(QStringLiteral("c"), {3});
        QCOMPARE(cache.size(), 2);
        QCOMPARE(cache.lastKnown(QStringLiteral("b")), Counts(OptionCounts{2}));
        QCOMPARE(cache.lastKnown(QStringLiteral("c")), Counts(OptionCounts{3}));

        // And the recency list stays consistent after a remove: "b" is now the oldest.
        cache.put(QStringLiteral("d"), {4});
        QCOMPARE(cache.lastKnown(QStringLiteral("b")), Counts());
        QCOMPARE(cache.lastKnown(QStringLiteral("c")), Counts(OptionCounts{3}));
        QCOMPARE(cache.lastKnown(QStringLiteral("d")), Counts(OptionCounts{4}));
    }

    void manyEvictionsKeepCapacity()
    {
        FakeClock time;
        ResultCache cache(5000, 50, time.clock());
        for (int i = 0; i < 1000; ++i) {
            cache.put(QString::number(i), {i});
            QCOMPARE(cache.size(), std::min(i + 1, 50));
        }
        for (int i = 0; i < 950; ++i)
            QCOMPARE(cache.lastKnown(QString::number(i)), Counts());
        for (int i = 950; i < 1000; ++i)
            QCOMPARE(cache.fresh(QString::number(i)), Counts(OptionCounts{i}));
    }
};

QTEST_GUILESS_MAIN(TestResultCache)
#include "tst_resultcache.moc"
