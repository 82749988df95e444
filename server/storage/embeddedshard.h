#pragma once

#include <QHash>

#include "shard.h"

#include <QSqlDatabase>
#include <QSqlQuery>
#include <array>
#include <optional>

// A shard inside the process: one SQLite database per shard in the data directory
// (WAL journal, synchronous=FULL), so polls and counts survive restarts with
// nothing else running. Each batch is one transaction. After `failureThreshold`
// consecutive failed writes (a full or failing disk) the shard reports itself down,
// and up again after the next write that succeeds.
class EmbeddedShard : public Shard {
    Q_OBJECT
public:
    EmbeddedShard(const QString &name, const QString &filePath, int failureThreshold = 3,
                  QObject *parent = nullptr);
    ~EmbeddedShard() override;

    QString name() const override { return m_name; }
    QString kind() const override { return QStringLiteral("embedded"); }
    QString address() const override { return m_filePath; }
    State state() const override { return m_state; }
    qint64 storedVotes() const override { return m_storedVotes; }

    void open(Reply<bool> done) override;
    void loadPolls(Reply<QList<Poll>> done) override;
    void savePoll(const Poll &poll, bool create, Reply<bool> done) override;
    void deletePoll(const QString &pollId, Reply<bool> done) override;
    void readCounts(const QString &pollId, Reply<StoredCounts> done) override;
    void applyBatch(const QString &instance, const QString &source, quint64 sequence,
                    const PollCounts &counts, Reply<qint64> done) override;
    void appliedSequence(const QString &instance, Reply<quint64> done) override;
    void claimVoter(const QString &pollId, const QString &voterId, Reply<bool> done) override;
    void resetPoll(const Poll &poll, Reply<bool> done) override;
    void releaseVoter(const QString &pollId, const QString &voterId, Reply<bool> done) override;

private:
    // Reset generation of every stored poll: batches of another generation are not counted.
    QHash<QString, quint32> m_generations;
    TallyError storageError(const QString &what) const;
    bool exec(const QString &sql);
    // Every write reports here whether it succeeded; the shard's state follows.
    void recordWrite(bool ok);

    // The statements every vote, flush or cache miss runs, each prepared once (SQLite
    // parses and plans the SQL on every prepare).
    enum class Statement {
        ReadCounts,
        AddCount,
        MarkFlushed,
        ReadFlushed,
        ClaimVoter,
        ReleaseVoter
    };
    static constexpr size_t StatementCount = 6;
    QSqlQuery &statement(Statement which);
    struct Prepared {
        std::optional<QSqlQuery> query;
        bool ready = false;
    };
    std::array<Prepared, StatementCount> m_statements;

    QString m_name;
    QString m_filePath;
    QString m_connectionName;
    QSqlDatabase m_db;
    State m_state = State::Connecting;
    qint64 m_storedVotes = 0;
    int m_failureThreshold;
    int m_failedWrites = 0;
};
