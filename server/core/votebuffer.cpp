#include "votebuffer.h"

#include <algorithm>

qint64 VoteBuffer::addLocked(const QString &pollId, int option, int optionCount, qint64 votes)
{
    OptionCounts &counts = m_counts[pollId];
    // Votes for a poll re-created with other options may share this entry: grow to
    // fit whichever is larger, never index past it.
    const qsizetype needed = std::max(optionCount, option + 1);
    if (counts.size() < needed)
        counts.resize(needed);
    counts[option] += votes;
    m_size += votes;
    return m_size;
}

qint64 VoteBuffer::add(const QString &pollId, int option, int optionCount, qint64 votes)
{
    QMutexLocker locker(&m_mutex);
    return addLocked(pollId, option, optionCount, votes);
}

void VoteBuffer::addPendingTo(const QString &pollId, OptionCounts &into) const
{
    QMutexLocker locker(&m_mutex);
    const auto it = m_counts.constFind(pollId);
    if (it != m_counts.cend())
        VoteCounts::add(into, *it);
}

PollCounts VoteBuffer::takeAll()
{
    QMutexLocker locker(&m_mutex);
    m_size = 0;
    return std::exchange(m_counts, {});
}

qint64 VoteBuffer::discard(const QString &pollId)
{
    QMutexLocker locker(&m_mutex);
    const auto it = m_counts.find(pollId);
    if (it == m_counts.end())
        return 0;
    const qint64 votes = VoteCounts::total(*it);
    m_size -= votes;
    m_counts.erase(it);
    return votes;
}

qint64 VoteBuffer::size() const
{
    QMutexLocker locker(&m_mutex);
    return m_size;
}

QStringList VoteBuffer::polls() const
{
    QMutexLocker locker(&m_mutex);
    return m_counts.keys();
}

quint64 VoteBuffer::appendRecordLocked(const QByteArray &record)
{
    if (m_journal.isEmpty() || m_journal.constLast().epoch != m_epoch) {
        m_journal.append({m_epoch, {}, 0});
        m_journal.last().bytes.reserve(std::max(m_chunkCapacity, record.size()));
    }
    JournalChunk &chunk = m_journal.last();
    chunk.bytes.append(record);
    chunk.lastSequence = ++m_journalSequence;
    return m_journalSequence;
}

quint64 VoteBuffer::addJournaled(const QString &pollId, int option, int optionCount,
                                 const QByteArray &record, qint64 *bufferedAfter)
{
    QMutexLocker locker(&m_mutex);
    const qint64 size = addLocked(pollId, option, optionCount, 1);
    if (bufferedAfter)
        *bufferedAfter = size;
    return appendRecordLocked(record);
}

quint64 VoteBuffer::addBallot(const QString &pollId, const QList<int> &countSlots, int width,
                              const QByteArray &record, qint64 *bufferedAfter)
{
    QMutexLocker locker(&m_mutex);
    qint64 size = m_size;
    for (int slot : countSlots)
        size = addLocked(pollId, slot, width, 1);
    if (bufferedAfter)
        *bufferedAfter = size;
    if (record.isEmpty())
        return 0;
    return appendRecordLocked(record);
}

QList<VoteBuffer::JournalChunk> VoteBuffer::takeJournal()
{
    // Up to 1 MiB: a burst of bulk votes should not leave every later chunk that large.
    constexpr qsizetype MaxChunkCapacity = 1024 * 1024;
    QMutexLocker locker(&m_mutex);
    if (!m_journal.isEmpty())
        m_chunkCapacity = std::min(m_journal.constLast().bytes.size(), MaxChunkCapacity);
    return std::exchange(m_journal, {});
}

PollCounts VoteBuffer::takeAllAndStartEpoch(quint64 nextEpoch)
{
    QMutexLocker locker(&m_mutex);
    m_size = 0;
    m_epoch = nextEpoch;
    return std::exchange(m_counts, {});
}

void VoteBuffer::setEpoch(quint64 epoch)
{
    QMutexLocker locker(&m_mutex);
    m_epoch = epoch;
}
