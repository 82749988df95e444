#include "embeddedshard.h"
#include "core/logcategories.h"

#include <QJsonDocument>
#include <QSqlError>
#include <QSqlQuery>
#include <QUuid>

EmbeddedShard::EmbeddedShard(const QString &name, const QString &filePath, int failureThreshold,
                             QObject *parent)
    : Shard(parent), m_name(name), m_filePath(filePath),
      m_connectionName(QStringLiteral("tally-shard-%1-%2")
                           .arg(name, QUuid::createUuid().toString(QUuid::Id128))),
      m_failureThreshold(std::max(1, failureThreshold))
{
}

void EmbeddedShard::recordWrite(bool ok)
{
    if (ok) {
        m_failedWrites = 0;
        if (m_state == State::Down) {
            qInfo("Shard %s: writes succeed again", qPrintable(m_name));
            m_state = State::Up;
            Q_EMIT stateChanged(m_state);
        }
        return;
    }
    if (++m_failedWrites >= m_failureThreshold && m_state == State::Up) {
        qWarning("Shard %s: %d writes in a row failed (%s); reporting the shard down",
                 qPrintable(m_name), m_failedWrites, qPrintable(m_db.lastError().text()));
        m_state = State::Down;
        Q_EMIT stateChanged(m_state);
    }
}

EmbeddedShard::~EmbeddedShard()
{
    m_statements = {}; // before the connection they belong to
    m_db.close();
    m_db = QSqlDatabase();
    QSqlDatabase::removeDatabase(m_connectionName);
}

TallyError EmbeddedShard::storageError(const QString &what) const
{
    return TallyError::unavailable(
        QStringLiteral("shard_unavailable"),
        QStringLiteral("Shard %1 failed to %2: %3").arg(m_name, what, m_db.lastError().text()));
}

QSqlQuery &EmbeddedShard::statement(Statement which)
{
    static const std::array<QString, StatementCount> sql = {
        QStringLiteral("SELECT option, votes FROM counts WHERE poll_id = ?"),
        QStringLiteral(
            "INSERT INTO counts (poll_id, option, votes) VALUES (?, ?, ?) "
            "ON CONFLICT (poll_id, option) DO UPDATE SET votes = votes + excluded.votes"),
        QStringLiteral("INSERT INTO flushed (instance, sequence) VALUES (?, ?) "
                       "ON CONFLICT (instance) DO UPDATE SET sequence = excluded.sequence"),
        QStringLiteral("SELECT sequence FROM flushed WHERE instance = ?"),
        QStringLiteral("INSERT OR IGNORE INTO voters (poll_id, voter) VALUES (?, ?)"),
        QStringLiteral("DELETE FROM voters WHERE poll_id = ? AND voter = ?")};
    Prepared &prepared = m_statements[size_t(which)];
    if (!prepared.ready) {
        // A statement that failed to prepare (the disk went away) is prepared again next
        // time; meanwhile its exec() fails and the caller reports the error.
        prepared.query.emplace(m_db);
        prepared.ready = prepared.query->prepare(sql[size_t(which)]);
    }
    return *prepared.query;
}

bool EmbeddedShard::exec(const QString &sql)
{
    QSqlQuery query(m_db);
    return query.exec(sql);
}

void EmbeddedShard::open(Reply<bool> done)
{
    m_db = QSqlDatabase::addDatabase(QStringLiteral("QSQLITE"), m_connectionName);
    m_db.setDatabaseName(m_filePath);
    const bool ok =
        m_db.open() && exec(QStringLiteral("PRAGMA journal_mode=WAL")) &&
        exec(QStringLiteral("PRAGMA synchronous=FULL")) &&
        exec(QStringLiteral("CREATE TABLE IF NOT EXISTS polls ("
                            "id TEXT PRIMARY KEY, meta TEXT NOT NULL)")) &&
        exec(QStringLiteral("CREATE TABLE IF NOT EXISTS counts (poll_id TEXT NOT NULL, "
                            "option INTEGER NOT NULL, votes INTEGER NOT NULL, "
                            "PRIMARY KEY (poll_id, option)) WITHOUT ROWID")) &&
        exec(QStringLiteral("CREATE TABLE IF NOT EXISTS flushed ("
                            "instance TEXT PRIMARY KEY, sequence INTEGER NOT NULL)")) &&
        exec(QStringLiteral("CREATE TABLE IF NOT EXISTS voters (poll_id TEXT NOT NULL, "
                            "voter TEXT NOT NULL, PRIMARY KEY (poll_id, voter)) WITHOUT ROWID"));
    if (!ok) {
        m_state = State::Down;
        Q_EMIT stateChanged(m_state);
        done(storageError(QStringLiteral("open %1").arg(m_filePath)));
        return;
    }
    QSqlQuery total(m_db);
    if (total.exec(QStringLiteral("SELECT COALESCE(SUM(votes), 0) FROM counts")) && total.next())
        m_storedVotes = total.value(0).toLongLong();
    m_state = State::Up;
    Q_EMIT stateChanged(m_state);
    done(true);
}

void EmbeddedShard::loadPolls(Reply<QList<Poll>> done)
{
    QSqlQuery query(m_db);
    if (!query.exec(QStringLiteral("SELECT meta FROM polls"))) {
        done(storageError(QStringLiteral("load polls")));
        return;
    }
    QList<Poll> polls;
    while (query.next()) {
        const QJsonObject meta = QJsonDocument::fromJson(query.value(0).toByteArray()).object();
        if (std::optional<Poll> poll = Poll::fromJson(meta)) {
            m_generations.insert(poll->id, poll->resets);
            polls.append(*poll);
        } else
            qCWarning(lcStorage, "Shard %s: skipping unreadable poll record", qPrintable(m_name));
    }
    done(polls);
}

void EmbeddedShard::savePoll(const Poll &poll, bool create, Reply<bool> done)
{
    QSqlQuery query(m_db);
    query.prepare(create ? QStringLiteral("INSERT OR IGNORE INTO polls (id, meta) VALUES (?, ?)")
                         : QStringLiteral("INSERT OR REPLACE INTO polls (id, meta) VALUES (?, ?)"));
    query.addBindValue(poll.id);
    query.addBindValue(QJsonDocument(poll.toJson()).toJson(QJsonDocument::Compact));
    if (!query.exec()) {
        recordWrite(false);
        done(storageError(QStringLiteral("save poll %1").arg(poll.id)));
        return;
    }
    recordWrite(true);
    if (create && query.numRowsAffected() == 0) {
        done(TallyError::conflict(
            QStringLiteral("poll_exists"),
            QStringLiteral("A poll with id '%1' already exists.").arg(poll.id)));
        return;
    }
    m_generations.insert(poll.id, poll.resets);
    if (create) {
        // A new poll never inherits what a deleted poll of the same id left behind.
        for (const QString &table : {QStringLiteral("counts"), QStringLiteral("voters")}) {
            QSqlQuery orphans(m_db);
            orphans.prepare(QStringLiteral("DELETE FROM %1 WHERE poll_id = ?").arg(table));
            orphans.addBindValue(poll.id);
            orphans.exec();
        }
    }
    done(true);
}

void EmbeddedShard::deletePoll(const QString &pollId, Reply<bool> done)
{
    if (!m_db.transaction()) {
        recordWrite(false);
        done(storageError(QStringLiteral("delete poll %1").arg(pollId)));
        return;
    }
    qint64 removedVotes = 0;
    QSqlQuery sum(m_db);
    sum.prepare(QStringLiteral("SELECT COALESCE(SUM(votes), 0) FROM counts WHERE poll_id = ?"));
    sum.addBindValue(pollId);
    if (sum.exec() && sum.next())
        removedVotes = sum.value(0).toLongLong();
    QSqlQuery counts(m_db);
    counts.prepare(QStringLiteral("DELETE FROM counts WHERE poll_id = ?"));
    counts.addBindValue(pollId);
    QSqlQuery polls(m_db);
    polls.prepare(QStringLiteral("DELETE FROM polls WHERE id = ?"));
    polls.addBindValue(pollId);
    QSqlQuery voters(m_db);
    voters.prepare(QStringLiteral("DELETE FROM voters WHERE poll_id = ?"));
    voters.addBindValue(pollId);
    if (!counts.exec() || !polls.exec() || !voters.exec() || !m_db.commit()) {
        const TallyError error = storageError(QStringLiteral("delete poll %1").arg(pollId));
        m_db.rollback();
        recordWrite(false);
        done(error);
        return;
    }
    recordWrite(true);
    m_storedVotes -= removedVotes;
    m_generations.remove(pollId);
    done(true);
}

void EmbeddedShard::resetPoll(const Poll &poll, Reply<bool> done)
{
    if (!m_generations.contains(poll.id)) {
        done(TallyError::pollNotFound(poll.id));
        return;
    }
    if (!m_db.transaction()) {
        recordWrite(false);
        done(storageError(QStringLiteral("reset poll %1").arg(poll.id)));
        return;
    }
    qint64 removedVotes = 0;
    QSqlQuery sum(m_db);
    sum.prepare(QStringLiteral("SELECT COALESCE(SUM(votes), 0) FROM counts WHERE poll_id = ?"));
    sum.addBindValue(poll.id);
    if (sum.exec() && sum.next())
        removedVotes = sum.value(0).toLongLong();
    QSqlQuery counts(m_db);
    counts.prepare(QStringLiteral("DELETE FROM counts WHERE poll_id = ?"));
    counts.addBindValue(poll.id);
    QSqlQuery voters(m_db);
    voters.prepare(QStringLiteral("DELETE FROM voters WHERE poll_id = ?"));
    voters.addBindValue(poll.id);
    QSqlQuery meta(m_db);
    meta.prepare(QStringLiteral("UPDATE polls SET meta = ? WHERE id = ?"));
    meta.addBindValue(QJsonDocument(poll.toJson()).toJson(QJsonDocument::Compact));
    meta.addBindValue(poll.id);
    if (!counts.exec() || !voters.exec() || !meta.exec() || !m_db.commit()) {
        const TallyError error = storageError(QStringLiteral("reset poll %1").arg(poll.id));
        m_db.rollback();
        recordWrite(false);
        done(error);
        return;
    }
    recordWrite(true);
    m_storedVotes -= removedVotes;
    m_generations.insert(poll.id, poll.resets);
    done(true);
}

void EmbeddedShard::readCounts(const QString &pollId, Reply<StoredCounts> done)
{
    QSqlQuery &query = statement(Statement::ReadCounts);
    query.bindValue(0, pollId);
    if (!query.exec()) {
        done(storageError(QStringLiteral("read poll %1").arg(pollId)));
        return;
    }
    OptionCounts counts;
    while (query.next()) {
        const int option = query.value(0).toInt();
        if (option < 0 || option >= 64)
            continue;
        if (counts.size() <= option)
            counts.resize(option + 1);
        counts[option] = query.value(1).toLongLong();
    }
    query.finish();
    StoredCounts read;
    read.counts = counts;
    done(read);
}

void EmbeddedShard::applyBatch(const QString &instance, const QString &, quint64 sequence,
                               const PollCounts &counts, Reply<qint64> done)
{
    if (!m_db.transaction()) {
        recordWrite(false);
        done(storageError(QStringLiteral("begin a batch")));
        return;
    }
    QSqlQuery &upsert = statement(Statement::AddCount);
    qint64 added = 0;
    qint64 stale = 0;
    bool ok = true;
    for (auto it = counts.cbegin(); ok && it != counts.cend(); ++it) {
        // Votes taken before a reset of their poll are not counted after it.
        const QString pollId = Poll::pollIdOfKey(it.key());
        if (m_generations.value(pollId, 0) != Poll::generationOfKey(it.key())) {
            stale += VoteCounts::total(it.value());
            continue;
        }
        // A bound value stays for the next exec(): the poll is bound once for its options.
        upsert.bindValue(0, pollId);
        for (qsizetype option = 0; ok && option < it->size(); ++option) {
            const qint64 votes = it->at(option);
            if (votes == 0)
                continue;
            upsert.bindValue(1, int(option));
            upsert.bindValue(2, votes);
            ok = upsert.exec();
            added += votes;
        }
    }
    QSqlQuery &mark = statement(Statement::MarkFlushed);
    mark.bindValue(0, instance);
    mark.bindValue(1, qint64(sequence));
    if (!ok || !mark.exec() || !m_db.commit()) {
        const TallyError error = storageError(QStringLiteral("apply batch %1").arg(sequence));
        m_db.rollback();
        recordWrite(false);
        done(error);
        return;
    }
    recordWrite(true);
    m_storedVotes += added;
    done(stale);
}

void EmbeddedShard::appliedSequence(const QString &instance, Reply<quint64> done)
{
    QSqlQuery &query = statement(Statement::ReadFlushed);
    query.bindValue(0, instance);
    if (!query.exec()) {
        done(storageError(QStringLiteral("read the flush sequence")));
        return;
    }
    const quint64 sequence = query.next() ? quint64(query.value(0).toLongLong()) : quint64(0);
    query.finish();
    done(sequence);
}

void EmbeddedShard::claimVoter(const QString &pollId, const QString &voterId, Reply<bool> done)
{
    QSqlQuery &query = statement(Statement::ClaimVoter);
    query.bindValue(0, pollId);
    query.bindValue(1, voterId);
    if (!query.exec()) {
        recordWrite(false);
        done(storageError(QStringLiteral("record a voter")));
        return;
    }
    recordWrite(true);
    done(query.numRowsAffected() == 1);
}

void EmbeddedShard::releaseVoter(const QString &pollId, const QString &voterId, Reply<bool> done)
{
    QSqlQuery &query = statement(Statement::ReleaseVoter);
    query.bindValue(0, pollId);
    query.bindValue(1, voterId);
    if (!query.exec()) {
        done(storageError(QStringLiteral("release a voter")));
        return;
    }
    done(query.numRowsAffected() == 1);
}
