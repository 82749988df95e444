#pragma once

#include "votecounts.h"

#include <QMutex>
#include <QStringList>

// Votes accepted by one HTTP worker and not yet handed to storage. Each worker owns
// one, so the only contention on its lock is the storage thread's periodic swap.
class VoteBuffer {
public:
    // Adds `votes` for option `option` of a poll with `optionCount` options; returns
    // the number of votes now buffered.
    qint64 add(const QString &pollId, int option, int optionCount, qint64 votes = 1);
    // Adds this buffer's votes for `pollId` into `into`.
    void addPendingTo(const QString &pollId, OptionCounts &into) const;
    PollCounts takeAll();

    // Journal support: each vote's encoded record is kept with its count, under the
    // same lock, tagged with the flush epoch it belongs to, until the journal writer
    // takes it. Sequence numbers are per buffer and increase by one per record.
    struct JournalChunk {
        quint64 epoch = 0;
        QByteArray bytes;
        quint64 lastSequence = 0;
    };
    // Adds one vote and its journal record; returns the record's sequence number.
    quint64 addJournaled(const QString &pollId, int option, int optionCount,
                         const QByteArray &record, qint64 *bufferedAfter);
    // One vote that adds one to each of `countSlots` (a multiple-choice vote: its options and
    // the voters slot), with its journal record unless `record` is empty; returns the
    // record's sequence number (0 without a record).
    quint64 addBallot(const QString &pollId, const QList<int> &countSlots, int width,
                      const QByteArray &record, qint64 *bufferedAfter);
    QList<JournalChunk> takeJournal();
    // Swaps out the counts and starts a new epoch for records that follow.
    PollCounts takeAllAndStartEpoch(quint64 nextEpoch);
    void setEpoch(quint64 epoch);
    // Drops the poll's votes; returns how many there were.
    qint64 discard(const QString &pollId);
    qint64 size() const;
    QStringList polls() const;

private:
    qint64 addLocked(const QString &pollId, int option, int optionCount, qint64 votes);
    // Appends a journal record to the current epoch's chunk; its sequence number.
    quint64 appendRecordLocked(const QByteArray &record);

    mutable QMutex m_mutex;
    PollCounts m_counts;
    qint64 m_size = 0;
    quint64 m_epoch = 0;
    quint64 m_journalSequence = 0;
    QList<JournalChunk> m_journal;
    // The bytes the last taken chunk held: a new chunk starts with room for as many, so
    // records are not copied again and again while it grows.
    qsizetype m_chunkCapacity = 0;
};
