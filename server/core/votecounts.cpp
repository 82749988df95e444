#include "votecounts.h"

#include <numeric>

void VoteCounts::add(OptionCounts &target, const OptionCounts &delta)
{
    if (target.size() < delta.size())
        target.resize(delta.size());
    for (qsizetype i = 0; i < delta.size(); ++i)
        target[i] += delta[i];
}

void VoteCounts::subtract(OptionCounts &target, const OptionCounts &delta)
{
    if (target.size() < delta.size())
        target.resize(delta.size());
    for (qsizetype i = 0; i < delta.size(); ++i)
        target[i] -= delta[i];
}

void VoteCounts::merge(PollCounts &target, const PollCounts &delta)
{
    for (auto it = delta.cbegin(); it != delta.cend(); ++it)
        add(target[it.key()], it.value());
}

qint64 VoteCounts::total(const OptionCounts &counts)
{
    return std::accumulate(counts.cbegin(), counts.cend(), qint64(0));
}

qint64 VoteCounts::total(const PollCounts &counts)
{
    qint64 sum = 0;
    for (const OptionCounts &c : counts)
        sum += total(c);
    return sum;
}

void VoteCounts::addUnapplied(OptionCounts &target, const OptionCounts &accepted,
                              const OptionCounts &applied)
{
    if (target.size() < accepted.size())
        target.resize(accepted.size());
    for (qsizetype i = 0; i < accepted.size(); ++i) {
        const qint64 done = i < applied.size() ? applied[i] : 0;
        if (accepted[i] > done)
            target[i] += accepted[i] - done;
    }
}
