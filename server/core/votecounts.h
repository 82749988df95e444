#pragma once

#include <QHash>
#include <QString>
#include <QVector>

// Vote counts per option index, and a set of them keyed by poll id. Used for
// buffered votes, batches in flight and stored results alike.
using OptionCounts = QVector<qint64>;
using PollCounts = QHash<QString, OptionCounts>;

// Counts as read from a shard, with the part each live source (instance run) has
// applied there, so votes another instance reports as accepted are not counted twice.
struct StoredCounts {
    OptionCounts counts;
    QHash<QString, OptionCounts> appliedBySource;
    // Set when the poll has moved to another shard (its counts are there, not here).
    QString movedTo;
    QHash<QString, quint64> movedFences;
};

namespace VoteCounts {
// Adds `delta` into `target`, growing it to the longer of the two.
void add(OptionCounts &target, const OptionCounts &delta);
void subtract(OptionCounts &target, const OptionCounts &delta);
void merge(PollCounts &target, const PollCounts &delta);
qint64 total(const OptionCounts &counts);
qint64 total(const PollCounts &counts);
// Adds max(0, accepted - applied) option by option.
void addUnapplied(OptionCounts &target, const OptionCounts &accepted, const OptionCounts &applied);
} // namespace VoteCounts
