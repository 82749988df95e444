// EmbeddedShard against a real SQLite file: counts added by batches and read back, the
// flush sequence, voter claims, resets, and what survives reopening the file. Every
// statement runs several times, as the hot ones (reads, batches, voters) are prepared
// once and reused.
#include "core/poll.h"
#include "storage/embeddedshard.h"

#include <QTemporaryDir>
#include <QTest>

namespace {

// The embedded shard answers before it returns; this takes that answer.
template <typename T, typename Call> Outcome<T> answer(Call call)
{
    std::optional<Outcome<T>> result;
    call([&](Outcome<T> outcome) { result.emplace(std::move(outcome)); });
    if (!result)
        return TallyError::unavailable(QStringLiteral("no_answer"), QStringLiteral("no answer"));
    return *result;
}

Poll poll(const QString &id, quint32 resets = 0)
{
    Poll made;
    made.id = id;
    made.question = QStringLiteral("Which?");
    made.options = {QStringLiteral("a"), QStringLiteral("b"), QStringLiteral("c")};
    made.open = true;
    made.resets = resets;
    return made;
}

} // namespace

class TestEmbeddedShard : public QObject {
    Q_OBJECT

private slots:
    void init();
    void cleanup();
    void batchesAddUpAndReadBack();
    void voterClaimsAreOnePerVoter();
    void resetDropsCountsAndStaleBatches();
    void everythingSurvivesReopening();

private:
    OptionCounts counts(const QString &pollId);
    qint64 apply(quint64 sequence, const PollCounts &batch);

    std::unique_ptr<QTemporaryDir> m_dir;
    std::unique_ptr<EmbeddedShard> m_shard;
};

void TestEmbeddedShard::init()
{
    m_dir = std::make_unique<QTemporaryDir>();
    QVERIFY(m_dir->isValid());
    m_shard = std::make_unique<EmbeddedShard>(QStringLiteral("shard-0"),
                                              m_dir->filePath(QStringLiteral("shard-0.sqlite")));
    QVERIFY(answer<bool>([&](auto done) { m_shard->open(done); }));
    QCOMPARE(m_shard->state(), Shard::State::Up);
    for (const QString &id : {QStringLiteral("p"), QStringLiteral("q")})
        QVERIFY(answer<bool>([&](auto done) { m_shard->savePoll(poll(id), true, done); }));
}

void TestEmbeddedShard::cleanup()
{
    m_shard.reset();
    m_dir.reset();
}

OptionCounts TestEmbeddedShard::counts(const QString &pollId)
{
    const Outcome<StoredCounts> read =
        answer<StoredCounts>([&](auto done) { m_shard->readCounts(pollId, done); });
    return read ? read.value().counts : OptionCounts{-1};
}

qint64 TestEmbeddedShard::apply(quint64 sequence, const PollCounts &batch)
{
    const Outcome<qint64> applied = answer<qint64>([&](auto done) {
        m_shard->applyBatch(QStringLiteral("tally-1"), QStringLiteral("run-1"), sequence, batch,
                            done);
    });
    return applied ? applied.value() : -1;
}

void TestEmbeddedShard::batchesAddUpAndReadBack()
{
    QCOMPARE(counts(QStringLiteral("p")), OptionCounts());
    const QString p = Poll::countKey(QStringLiteral("p"), 0);
    const QString q = Poll::countKey(QStringLiteral("q"), 0);
    QCOMPARE(apply(1, {{p, {3, 0, 1}}, {q, {0, 2}}}), 0);
    QCOMPARE(apply(2, {{p, {1, 4}}}), 0);
    QCOMPARE(apply(3, {{q, {5, 0, 7}}}), 0);
    for (int read = 0; read < 3; ++read) {
        QCOMPARE(counts(QStringLiteral("p")), OptionCounts({4, 4, 1}));
        QCOMPARE(counts(QStringLiteral("q")), OptionCounts({5, 2, 7}));
    }
    QCOMPARE(m_shard->storedVotes(), 23);
    const Outcome<quint64> sequence = answer<quint64>(
        [&](auto done) { m_shard->appliedSequence(QStringLiteral("tally-1"), done); });
    QVERIFY(sequence);
    QCOMPARE(sequence.value(), quint64(3));
    const Outcome<quint64> other = answer<quint64>(
        [&](auto done) { m_shard->appliedSequence(QStringLiteral("tally-2"), done); });
    QVERIFY(other);
    QCOMPARE(other.value(), quint64(0));
}

void TestEmbeddedShard::voterClaimsAreOnePerVoter()
{
    const auto claim = [&](const QString &pollId, const QString &voter) {
        const Outcome<bool> claimed =
            answer<bool>([&](auto done) { m_shard->claimVoter(pollId, voter, done); });
        return claimed ? int(claimed.value()) : -1;
    };
    const auto release = [&](const QString &pollId, const QString &voter) {
        const Outcome<bool> released =
            answer<bool>([&](auto done) { m_shard->releaseVoter(pollId, voter, done); });
        return released ? int(released.value()) : -1;
    };
    QCOMPARE(claim("p", "ann"), 1);
    QCOMPARE(claim("p", "ann"), 0);
    QCOMPARE(claim("p", "bob"), 1);
    QCOMPARE(claim("q", "ann"), 1); // another poll
    QCOMPARE(release("p", "ann"), 1);
    QCOMPARE(release("p", "ann"), 0);
    QCOMPARE(claim("p", "ann"), 1);
    QCOMPARE(claim("p", "bob"), 0);
}

void TestEmbeddedShard::resetDropsCountsAndStaleBatches()
{
    QCOMPARE(apply(1, {{Poll::countKey(QStringLiteral("p"), 0), {2, 3}}}), 0);
    QVERIFY(answer<bool>([&](auto done) { m_shard->claimVoter("p", "ann", done); }).value());
    QVERIFY(
        answer<bool>([&](auto done) { m_shard->resetPoll(poll(QStringLiteral("p"), 1), done); }));
    QCOMPARE(counts(QStringLiteral("p")), OptionCounts());
    // Votes taken before the reset arrive late: not counted, and reported as such.
    QCOMPARE(apply(2, {{Poll::countKey(QStringLiteral("p"), 0), {1, 1}},
                       {Poll::countKey(QStringLiteral("p"), 1), {0, 0, 4}}}),
             2);
    QCOMPARE(counts(QStringLiteral("p")), OptionCounts({0, 0, 4}));
    QCOMPARE(m_shard->storedVotes(), 4);
    QVERIFY(answer<bool>([&](auto done) { m_shard->claimVoter("p", "ann", done); }).value());
}

void TestEmbeddedShard::everythingSurvivesReopening()
{
    QCOMPARE(apply(7, {{Poll::countKey(QStringLiteral("q"), 0), {0, 9}}}), 0);
    QVERIFY(answer<bool>([&](auto done) { m_shard->claimVoter("q", "ann", done); }).value());
    m_shard = std::make_unique<EmbeddedShard>(QStringLiteral("shard-0"),
                                              m_dir->filePath(QStringLiteral("shard-0.sqlite")));
    QVERIFY(answer<bool>([&](auto done) { m_shard->open(done); }));
    const Outcome<QList<Poll>> polls =
        answer<QList<Poll>>([&](auto done) { m_shard->loadPolls(done); });
    QVERIFY(polls);
    QCOMPARE(polls.value().size(), 2);
    QCOMPARE(counts(QStringLiteral("q")), OptionCounts({0, 9}));
    QCOMPARE(m_shard->storedVotes(), 9);
    QVERIFY(!answer<bool>([&](auto done) { m_shard->claimVoter("q", "ann", done); }).value());
    QCOMPARE(answer<quint64>([&](auto done) {
                 m_shard->appliedSequence(QStringLiteral("tally-1"), done);
             }).value(),
             quint64(7));
}

QTEST_GUILESS_MAIN(TestEmbeddedShard)
#include "tst_embeddedshard.moc"
