#include "core/pollcatalog.h"

#include <QTest>

class TestPollCatalog : public QObject {
    Q_OBJECT

private:
    static QDateTime at(int minute)
    {
        return QDateTime(QDate(2024, 5, 1), QTime(12, minute), Qt::UTC);
    }

    static Poll makePoll(const QString &id, const QString &theme, int minute, bool open = true,
                         const QString &shard = QStringLiteral("shard-0"), int options = 3)
    {
        Poll poll;
        poll.id = id;
        poll.question = QStringLiteral("Question %1?").arg(id);
        poll.theme = theme;
        for (int i = 0; i < options; ++i)
            poll.options.append(QStringLiteral("Option %1").arg(i));
        poll.open = open;
        poll.createdAt = at(minute);
        poll.shard = shard;
        return poll;
    }

    static QStringList ids(const QList<Poll> &polls)
    {
        QStringList result;
        for (const Poll &poll : polls)
            result.append(poll.id);
        return result;
    }

    // Four polls over two themes and two shards, inserted out of creation order.
    static void fill(PollCatalog &catalog)
    {
        catalog.upsert(makePoll(QStringLiteral("c"), QStringLiteral("sport"), 30, true,
                                QStringLiteral("shard-1")));
        catalog.upsert(makePoll(QStringLiteral("a"), QStringLiteral("food"), 10));
        catalog.upsert(makePoll(QStringLiteral("d"), QStringLiteral("food"), 40, false,
                                QStringLiteral("shard-1")));
        catalog.upsert(makePoll(QStringLiteral("b"), QStringLiteral("sport"), 20, false));
    }

private slots:
    void empty()
    {
        PollCatalog catalog;
        QCOMPARE(catalog.size(), 0);
        QVERIFY(!catalog.contains(QStringLiteral("7")));
        QVERIFY(!catalog.find(QStringLiteral("7")).has_value());
        QCOMPARE(catalog.optionCount(QStringLiteral("7")), -1);
        QVERIFY(catalog.list().isEmpty());
        QVERIFY(catalog.themes().isEmpty());
        QVERIFY(catalog.pollsPerShard().isEmpty());
        QVERIFY(!catalog.remove(QStringLiteral("7")));
    }

    void upsertFindRemove()
    {
        PollCatalog catalog;
        catalog.upsert(makePoll(QStringLiteral("7"), QStringLiteral("general"), 0, true,
                                QStringLiteral("shard-0"), 4));
        QCOMPARE(catalog.size(), 1);
        QVERIFY(catalog.contains(QStringLiteral("7")));
        QCOMPARE(catalog.optionCount(QStringLiteral("7")), 4);
        std::optional<Poll> found = catalog.find(QStringLiteral("7"));
        QVERIFY(found.has_value());
        QCOMPARE(found->question, QStringLiteral("Question 7?"));

        // Upsert replaces: same id, new state.
        Poll closed = *found;
        closed.open = false;
        catalog.upsert(closed);
        QCOMPARE(catalog.size(), 1);
        QVERIFY(!catalog.find(QStringLiteral("7"))->open);

        QVERIFY(catalog.remove(QStringLiteral("7")));
        QVERIFY(!catalog.remove(QStringLiteral("7")));
        QCOMPARE(catalog.size(), 0);
        QCOMPARE(catalog.optionCount(QStringLiteral("7")), -1);

        fill(catalog);
        QCOMPARE(catalog.size(), 4);
        catalog.clear();
        QCOMPARE(catalog.size(), 0);
    }

    void validateVote()
    {
        PollCatalog catalog;
        fill(catalog); // "a" open with options A..C, "b" closed

        const Outcome<int> first = catalog.validateVote(QStringLiteral("a"), u"A");
        QVERIFY(first.ok());
        QCOMPARE(first.value(), 0);
        const Outcome<int> last = catalog.validateVote(QStringLiteral("a"), u"C");
        QVERIFY(last.ok());
        QCOMPARE(last.value(), 2);

        const Outcome<int> missing = catalog.validateVote(QStringLiteral("zzz"), u"A");
        QVERIFY(!missing.ok());
        QCOMPARE(missing.error().kind, TallyError::Kind::NotFound);
        QCOMPARE(missing.error().code, QStringLiteral("poll_not_found"));
        QVERIFY(missing.error().message.contains(QStringLiteral("'zzz'")));

        const Outcome<int> closed = catalog.validateVote(QStringLiteral("b"), u"A");
        QVERIFY(!closed.ok());
        QCOMPARE(closed.error().kind, TallyError::Kind::Conflict);
        QCOMPARE(closed.error().code, QStringLiteral("poll_closed"));

        // A closed poll is reported closed even for an option it does not have.
        QCOMPARE(catalog.validateVote(QStringLiteral("b"), u"Q").error().code,
                 QStringLiteral("poll_closed"));

        for (const QString &option :
             {QStringLiteral("D"), QStringLiteral("a"), QStringLiteral(""), QStringLiteral("AB"),
              QStringLiteral("@"), QStringLiteral("0")}) {
            const Outcome<int> unknown = catalog.validateVote(QStringLiteral("a"), option);
            QVERIFY2(!unknown.ok(), qPrintable(option));
            QCOMPARE(unknown.error().kind, TallyError::Kind::Invalid);
            QCOMPARE(unknown.error().code, QStringLiteral("unknown_option"));
            QVERIFY2(unknown.error().message.contains(QStringLiteral("A to C")),
                     qPrintable(unknown.error().message));
        }

        // Reopening makes it valid again.
        Poll reopened = *catalog.find(QStringLiteral("b"));
        reopened.open = true;
        catalog.upsert(reopened);
        QCOMPARE(catalog.validateVote(QStringLiteral("b"), u"B").value(), 1);
    }

    void listOrderAndFilters_data()
    {
        QTest::addColumn<QString>("theme");
        QTest::addColumn<QString>("status");
        QTest::addColumn<QStringList>("expected");
        QTest::newRow("all") << QString() << QString() << QStringList{"a", "b", "c", "d"};
        QTest::newRow("food") << "food" << QString() << QStringList{"a", "d"};
        QTest::newRow("sport") << "sport" << QString() << QStringList{"b", "c"};
        QTest::newRow("open") << QString() << "open" << QStringList{"a", "c"};
        QTest::newRow("closed") << QString() << "closed" << QStringList{"b", "d"};
        QTest::newRow("food, closed") << "food"
                                      << "closed" << QStringList{"d"};
        QTest::newRow("sport, open") << "sport"
                                     << "open" << QStringList{"c"};
        QTest::newRow("unknown theme") << "music" << QString() << QStringList{};
        QTest::newRow("theme is case-sensitive") << "Food" << QString() << QStringList{};
        QTest::newRow("unknown status") << QString() << "archived" << QStringList{};
    }

    void listOrderAndFilters()
    {
        QFETCH(QString, theme);
        QFETCH(QString, status);
        QFETCH(QStringList, expected);
        PollCatalog catalog;
        fill(catalog);
        QCOMPARE(ids(catalog.list(theme, status)), expected);
    }

    void listTiesBrokenById()
    {
        PollCatalog catalog;
        for (const QString &id :
             {QStringLiteral("m"), QStringLiteral("z"), QStringLiteral("b"), QStringLiteral("k")})
            catalog.upsert(makePoll(id, QStringLiteral("t"), 5));
        catalog.upsert(makePoll(QStringLiteral("y"), QStringLiteral("t"), 1));
        QCOMPARE(ids(catalog.list()), QStringList({"y", "b", "k", "m", "z"}));
    }

    void snapshotsAreEveryPollAsItIsNow()
    {
        PollCatalog catalog;
        QVERIFY(catalog.snapshots().isEmpty());
        fill(catalog);
        const QList<PollCatalog::Snapshot> before = catalog.snapshots();
        Poll closed = *catalog.snapshot(QStringLiteral("c"));
        closed.open = false;
        catalog.upsert(closed);
        catalog.remove(QStringLiteral("a"));

        QMap<QString, bool> now;
        for (const PollCatalog::Snapshot &poll : catalog.snapshots())
            now.insert(poll->id, poll->open);
        QCOMPARE(now, (QMap<QString, bool>{{"b", false}, {"c", false}, {"d", false}}));
        // Snapshots taken earlier keep what they saw.
        QMap<QString, bool> then;
        for (const PollCatalog::Snapshot &poll : before)
            then.insert(poll->id, poll->open);
        QCOMPARE(then, (QMap<QString, bool>{{"a", true}, {"b", false}, {"c", true}, {"d", false}}));
    }

    void themes()
    {
        PollCatalog catalog;
        fill(catalog);
        catalog.upsert(makePoll(QStringLiteral("e"), QStringLiteral("art"), 50));
        catalog.upsert(makePoll(QStringLiteral("f"), QStringLiteral("sport"), 60));

        const QList<PollCatalog::Theme> themes = catalog.themes();
        QCOMPARE(themes.size(), 3);
        // Sorted by name.
        QCOMPARE(themes[0].name, QStringLiteral("art"));
        QCOMPARE(themes[0].polls, 1);
        QCOMPARE(themes[1].name, QStringLiteral("food"));
        QCOMPARE(themes[1].polls, 2);
        QCOMPARE(themes[2].name, QStringLiteral("sport"));
        QCOMPARE(themes[2].polls, 3);

        catalog.remove(QStringLiteral("e"));
        QCOMPARE(catalog.themes().size(), 2);
        QCOMPARE(catalog.themes().constFirst().name, QStringLiteral("food"));
    }

    void pollsPerShard()
    {
        PollCatalog catalog;
        fill(catalog);
        catalog.upsert(makePoll(QStringLiteral("e"), QStringLiteral("art"), 50, true,
                                QStringLiteral("shard-2")));
        QHash<QString, int> expected;
        expected.insert(QStringLiteral("shard-0"), 2);
        expected.insert(QStringLiteral("shard-1"), 2);
        expected.insert(QStringLiteral("shard-2"), 1);
        QCOMPARE(catalog.pollsPerShard(), expected);

        catalog.remove(QStringLiteral("e"));
        catalog.remove(QStringLiteral("a"));
        expected.remove(QStringLiteral("shard-2"));
        expected[QStringLiteral("shard-0")] = 1;
        QCOMPARE(catalog.pollsPerShard(), expected);
    }
};

QTEST_GUILESS_MAIN(TestPollCatalog)
#include "tst_pollcatalog.moc"
