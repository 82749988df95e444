#pragma once

#include <QHash>
#include <QString>
#include <QVector>

// Vote counts per option index, and a set of them keyed by poll id. Used for
// buffered votes, batches in flight and stored results alike.
using OptionCounts = QVector<qint64>;
using PollCounts = QHash<QString, OptionCounts>;

namespace VoteCounts {
// Adds `delta` into `target`, growing it to the longer of the two.
void add(OptionCounts &target, const OptionCounts &delta);
void subtract(OptionCounts &target, const OptionCounts &delta);
void merge(PollCounts &target, const PollCounts &delta);
qint64 total(const OptionCounts &counts);
qint64 total(const PollCounts &counts);
} // namespace VoteCounts
