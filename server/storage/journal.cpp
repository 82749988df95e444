#include "journal.h"
#include "core/histogram.h"
#include "core/logcategories.h"
#include "core/voteledger.h"
#include "journalrecord.h"

#include <QDir>
#include <QElapsedTimer>
#include <QFile>
#include <QMetaObject>

#include <QSet>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace {
// In async mode a commit starts at most this often (sooner when the backlog is half its
// bound); sync mode commits as fast as it can.
constexpr auto AsyncCommitInterval = std::chrono::milliseconds(10);
constexpr auto IdleWait = std::chrono::milliseconds(50);
constexpr auto FailureBackoff = std::chrono::milliseconds(200);
} // namespace

Journal::Journal(const QString &directory, Mode mode, VoteLedger *ledger, int workers,
                 qint64 maxBacklog)
    : m_directory(directory), m_mode(mode), m_ledger(ledger),
      m_waiters(size_t(std::max(1, workers))), m_unwritten(m_waiters.size()),
      m_maxBacklog(maxBacklog)
{
}

QString Journal::lastError() const
{
    std::lock_guard<std::mutex> lock(m_errorMutex);
    return m_lastError;
}

qint64 Journal::backlog() const
{
    return std::max<qint64>(0, m_appended.load(std::memory_order_relaxed) -
                                   m_durable.load(std::memory_order_relaxed));
}

std::optional<TallyError> Journal::refusal() const
{
    if (m_mode == Mode::Sync) {
        if (!failing())
            return std::nullopt;
        return TallyError::unavailable(
            QStringLiteral("journal_unavailable"),
            QStringLiteral("The vote journal cannot be written (%1); retry shortly.")
                .arg(lastError()));
    }
    if (backlog() < m_maxBacklog)
        return std::nullopt;
    return TallyError::unavailable(
        QStringLiteral("journal_unavailable"),
        QStringLiteral("Too many accepted votes are not on disk yet; retry shortly."));
}

Journal::~Journal()
{
    stop();
}

QString Journal::fileName(quint64 epoch)
{
    return QStringLiteral("%1.log").arg(epoch, 20, 10, QLatin1Char('0'));
}

quint64 Journal::lastEpoch() const
{
    quint64 last = 0;
    for (const QString &name :
         QDir(m_directory).entryList({QStringLiteral("*.log")}, QDir::Files)) {
        bool numeric = false;
        const quint64 epoch = name.chopped(4).toULongLong(&numeric);
        if (numeric)
            last = std::max(last, epoch);
    }
    return last;
}

Outcome<Journal::Recovery> Journal::recover(const std::function<QString(const QString &)> &shardOf,
                                            const QHash<QString, quint64> &applied,
                                            const std::function<bool(const QString &)> &pollExists,
                                            quint64 upToEpoch, const MovedFromLookup &movedFrom)
{
    QDir dir(m_directory);
    if (!dir.mkpath(QStringLiteral(".")))
        return TallyError::unavailable(QStringLiteral("journal_unavailable"),
                                       QStringLiteral("cannot create %1").arg(m_directory));
    // A replay file still under its temporary name was never complete: the files it
    // was made from are all still here.
    for (const QString &name : dir.entryList({QStringLiteral("*.log.tmp")}, QDir::Files))
        dir.remove(name);
    Recovery recovery;
    QStringList files;
    for (const QString &name : dir.entryList({QStringLiteral("*.log")}, QDir::Files, QDir::Name)) {
        bool numeric = false;
        const quint64 epoch = name.chopped(4).toULongLong(&numeric);
        if (!numeric || epoch <= upToEpoch)
            files.append(name);
    }
    // A file that starts with a Replaces record holds every vote the files up to that
    // epoch still owed the shards. Such older files are left only when a crash came
    // between writing the replay file and removing them: reading them again would count
    // their votes twice.
    quint64 replaced = 0;
    for (const QString &name : files) {
        QFile file(dir.filePath(name));
        if (!file.open(QIODevice::ReadOnly))
            continue;
        const QByteArray head = file.read(64);
        qsizetype offset = 0;
        const std::optional<JournalRecord::Decoded> first = JournalRecord::read(head, &offset);
        if (first && first->type == JournalRecord::Type::Replaces)
            replaced = std::max(replaced, first->epoch);
    }
    quint64 lastEpoch = 0;
    for (const QString &name : files) {
        bool numeric = false;
        const quint64 epoch = name.chopped(4).toULongLong(&numeric);
        if (!numeric)
            continue;
        lastEpoch = std::max(lastEpoch, epoch);
        if (epoch <= replaced) {
            qCInfo(lcJournal,
                   "Journal: %s is left from an interrupted recovery; a newer file holds its votes",
                   qPrintable(name));
            continue;
        }
        QFile file(dir.filePath(name));
        if (!file.open(QIODevice::ReadOnly))
            return TallyError::unavailable(
                QStringLiteral("journal_unavailable"),
                QStringLiteral("cannot read %1: %2").arg(file.fileName(), file.errorString()));
        const QByteArray data = file.readAll();
        ++recovery.files;
        QList<JournalRecord::Decoded> votes;
        std::optional<JournalRecord::Decoded> manifest;
        qsizetype offset = 0;
        while (std::optional<JournalRecord::Decoded> record = JournalRecord::read(data, &offset)) {
            if (record->type == JournalRecord::Type::Manifest)
                manifest = record;
            else if (record->type == JournalRecord::Type::Vote ||
                     record->type == JournalRecord::Type::Ballot)
                votes.append(*record);
        }
        // Zeros after the last record are space reserved for records (JournalSegment).
        qsizetype dataEnd = data.size();
        while (dataEnd > offset && data.at(dataEnd - 1) == '\0')
            --dataEnd;
        if (offset < dataEnd)
            recovery.problems.append(
                QStringLiteral("%1: torn or corrupt record at offset %2; %3 trailing bytes ignored")
                    .arg(name)
                    .arg(offset)
                    .arg(dataEnd - offset));
        for (const JournalRecord::Decoded &vote : std::as_const(votes)) {
            bool stored = !pollExists(vote.pollId);
            if (!stored && manifest) {
                const QString shard = shardOf(vote.pollId);
                const QString ownKey = manifestKey(shard, vote.pollId);
                const std::optional<MovedFrom> moved =
                    movedFrom ? movedFrom(vote.pollId) : std::optional<MovedFrom>();
                if (manifest->sequences.contains(ownKey)) {
                    // A moved poll's batch, on the shard it lives on now.
                    stored = applied.value(shard) >= manifest->sequences.value(ownKey);
                } else if (moved) {
                    // Sent to the shard it moved from: at or below this instance's fence
                    // there, the batch was applied and went with the copy; above it, the
                    // source refused the poll's votes and they were not sent again.
                    const QString fromKey = manifestKey(moved->shard, vote.pollId);
                    const bool sent = manifest->sequences.contains(fromKey) ||
                                      manifest->sequences.contains(moved->shard);
                    const quint64 sequence =
                        manifest->sequences.value(fromKey, manifest->sequences.value(moved->shard));
                    stored = !sent ||
                             (sequence <= moved->fence && applied.value(moved->shard) >= sequence);
                } else {
                    // No batch for the shard means the votes were dropped with their poll.
                    stored = !manifest->sequences.contains(shard) ||
                             applied.value(shard) >= manifest->sequences.value(shard);
                }
            }
            if (stored) {
                recovery.skipped += vote.votes;
                continue;
            }
            OptionCounts &counts = recovery.votes[vote.pollId];
            for (int slot : vote.countSlots) {
                if (counts.size() <= slot)
                    counts.resize(slot + 1);
                counts[slot] += vote.votes;
            }
            recovery.replayed += vote.votes;
        }
    }
    recovery.nextEpoch = lastEpoch + 1;

    // The votes to replay become the first records of the new epoch, after a marker
    // naming the files they come from. The file appears under its name only once it is
    // complete on disk (rename), and only then do the old files go, oldest first: a
    // crash at any point leaves either the old files alone or the new file (with
    // perhaps some old ones it replaces), never both to count.
    if (!recovery.votes.isEmpty()) {
        QByteArray records = JournalRecord::replaces(lastEpoch);
        for (auto it = recovery.votes.cbegin(); it != recovery.votes.cend(); ++it)
            for (qsizetype option = 0; option < it->size(); ++option)
                if (it->at(option) > 0)
                    records.append(JournalRecord::vote(it.key(), int(option), it->at(option)));
        const QByteArray path = QFile::encodeName(dir.filePath(fileName(recovery.nextEpoch)));
        const QByteArray temporary = path + ".tmp";
        const int fd =
            ::open(temporary.constData(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        int error = 0;
        const bool written =
            fd >= 0 &&
            JournalSegment::writeAt(fd, records.constData(), records.size(), 0, &error) &&
            ::fdatasync(fd) == 0 && ::rename(temporary.constData(), path.constData()) == 0;
        if (!written) {
            if (fd >= 0)
                ::close(fd);
            ::unlink(temporary.constData());
            return TallyError::unavailable(
                QStringLiteral("journal_unavailable"),
                QStringLiteral("cannot write the recovered votes to %1").arg(m_directory));
        }
        // Sealing that epoch appends to the file by its name.
        ::close(fd);
        syncDirectory();
    }
    for (const QString &name : files)
        dir.remove(name);
    syncDirectory();
    return recovery;
}

void Journal::registerWorker(int worker, QObject *context, std::function<void(quint64)> durableUpTo)
{
    Waiter &waiter = m_waiters[size_t(worker)];
    waiter.context = context;
    waiter.durableUpTo = std::move(durableUpTo);
}

void Journal::start()
{
    if (m_running.exchange(true))
        return;
    m_thread = std::thread([this] { run(); });
}

void Journal::stop()
{
    if (!m_running.exchange(false))
        return;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_stopping = true;
    }
    m_wake.notify_one();
    m_thread.join();
    m_files.clear();
}

void Journal::notifyAppended()
{
    m_appended.fetch_add(1, std::memory_order_relaxed);
    // Only the first append after the writer woke needs to wake it again.
    if (m_signalled.exchange(true, std::memory_order_acq_rel))
        return;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_pending = true;
    }
    m_wake.notify_one();
}

void Journal::barrier(QObject *context, std::function<void(bool)> done)
{
    // A seal of no epoch: the cycle that takes it writes every record buffered now.
    seal(0, {}, context, std::move(done));
}

void Journal::seal(quint64 epoch, const QHash<QString, quint64> &sequences, QObject *context,
                   std::function<void(bool)> done)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_seals.append({epoch, sequences, context, std::move(done)});
    }
    m_wake.notify_one();
}

void Journal::discard(quint64 epoch)
{
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_discards.append(epoch);
    }
    m_wake.notify_one();
}

JournalSegment *Journal::fileFor(quint64 epoch)
{
    const auto it = m_files.find(epoch);
    if (it != m_files.end())
        return &it->second;
    const QByteArray path = QFile::encodeName(QDir(m_directory).filePath(fileName(epoch)));
    JournalSegment file;
    bool created = false;
    if (!file.open(path, m_lastFileSize * 2, &created, &m_writeErrno)) {
        if (!failing())
            qCWarning(lcJournal, "Journal: cannot open %s: %s", path.constData(),
                      std::strerror(m_writeErrno));
        return nullptr;
    }
    // The file's name must be as durable as the records acknowledged in it.
    if (created)
        syncDirectory();
    return &m_files.emplace(epoch, std::move(file)).first->second;
}

void Journal::syncDirectory()
{
    const int fd =
        ::open(QFile::encodeName(m_directory).constData(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        ::fsync(fd);
        ::close(fd);
    }
}

void Journal::run()
{
    for (;;) {
        QList<Seal> seals;
        QList<quint64> discards;
        bool stopping = false;
        {
            std::unique_lock<std::mutex> lock(m_mutex);
            m_wake.wait_for(lock, IdleWait, [this] {
                return m_pending || m_stopping || !m_seals.isEmpty() || !m_discards.isEmpty();
            });
            m_pending = false;
            m_signalled.store(false, std::memory_order_release);
            seals = std::exchange(m_seals, {});
            discards = std::exchange(m_discards, {});
            stopping = m_stopping;
        }
        const auto cycleStart = std::chrono::steady_clock::now();
        // Seals were requested after their epoch's records were buffered, so taking
        // the records now includes every record of every epoch being sealed. Records
        // of a failed cycle stay first in line for the next one.
        for (size_t worker = 0; worker < m_waiters.size(); ++worker)
            m_unwritten[worker].append(m_ledger->takeJournal(int(worker)));
        const bool written = commitCycle(seals);
        if (written) {
            for (size_t worker = 0; worker < m_waiters.size(); ++worker) {
                Waiter &waiter = m_waiters[worker];
                const QList<VoteBuffer::JournalChunk> done = std::exchange(m_unwritten[worker], {});
                if (done.isEmpty())
                    continue;
                // Sequences of one worker's records increase by one per record.
                m_durable.fetch_add(qint64(done.constLast().lastSequence - waiter.written),
                                    std::memory_order_relaxed);
                waiter.written = done.constLast().lastSequence;
                if (!waiter.context)
                    continue;
                const quint64 upTo = waiter.written;
                auto notify = waiter.durableUpTo;
                QMetaObject::invokeMethod(waiter.context, [notify, upTo] { notify(upTo); });
            }
        }
        for (const Seal &seal : std::as_const(seals)) {
            if (written) {
                const auto file = m_files.find(seal.epoch);
                if (file != m_files.end()) {
                    m_lastFileSize = file->second.end();
                    m_files.erase(file);
                }
            }
            if (seal.context) {
                auto done = seal.done;
                QMetaObject::invokeMethod(seal.context, [done, written] { done(written); });
            }
        }
        for (quint64 epoch : std::as_const(discards))
            QFile::remove(QDir(m_directory).filePath(fileName(epoch)));
        if (stopping)
            return;
        // The interval counts from this cycle's start, so a slow write (a burst of bulk
        // votes) is not followed by a full pause; a backlog near its bound, where new
        // votes would be refused, gets no pause at all.
        if (m_mode == Mode::Async && backlog() < m_maxBacklog / 2)
            std::this_thread::sleep_until(cycleStart + AsyncCommitInterval);
    }
}

bool Journal::commitCycle(const QList<Seal> &seals)
{
    // Either every record and manifest of this cycle is on disk, or the files are cut
    // back to where they were: a failed write never leaves garbage between records,
    // and nothing is acknowledged that is not durable.
    QHash<JournalSegment *, qint64> endBefore;
    const auto append = [&](quint64 epoch, const QByteArray &bytes) {
        JournalSegment *file = fileFor(epoch);
        if (!file)
            return false;
        if (!endBefore.contains(file))
            endBefore.insert(file, file->end());
        return file->append(bytes, &m_writeErrno);
    };
    bool ok = true;
    for (size_t worker = 0; ok && worker < m_unwritten.size(); ++worker)
        for (const VoteBuffer::JournalChunk &chunk : std::as_const(m_unwritten[worker]))
            if (!(ok = append(chunk.epoch, chunk.bytes)))
                break;
    for (const Seal &seal : seals)
        if (ok && seal.epoch != 0)
            ok = append(seal.epoch, JournalRecord::manifest(seal.epoch, seal.sequences));
    QElapsedTimer syncTimer;
    syncTimer.start();
    for (auto it = endBefore.cbegin(); ok && it != endBefore.cend(); ++it)
        ok = it.key()->sync(&m_writeErrno);
    if (ok && m_syncDurations && !endBefore.isEmpty())
        m_syncDurations->observe(quint64(syncTimer.nsecsElapsed()));
    if (ok) {
        if (m_failing.exchange(false))
            qCInfo(lcJournal, "Journal: writing to %s works again", qPrintable(m_directory));
        return true;
    }
    const QString reason = QString::fromLocal8Bit(std::strerror(m_writeErrno));
    {
        std::lock_guard<std::mutex> lock(m_errorMutex);
        m_lastError = reason;
    }
    if (!m_failing.exchange(true))
        qCWarning(lcJournal,
                  "Journal: writing to %s failed (%s); the votes are kept and retried, and new "
                  "votes are refused while it fails (sync) or once %lld are not on disk (async)",
                  qPrintable(m_directory), qPrintable(reason), m_maxBacklog);
    for (auto it = endBefore.cbegin(); it != endBefore.cend(); ++it)
        it.key()->cutBack(it.value());
    std::this_thread::sleep_for(FailureBackoff);
    return false;
}
