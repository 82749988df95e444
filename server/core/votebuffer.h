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
    // Drops the poll's votes; returns how many there were.
    qint64 discard(const QString &pollId);
    qint64 size() const;
    QStringList polls() const;

private:
    mutable QMutex m_mutex;
    PollCounts m_counts;
    qint64 m_size = 0;
};
