#include "voteledger.h"

VoteLedger::VoteLedger(int workers, qint64 cacheTtlMs, int cacheCapacity,
                       ResultCache::Clock clock)
    : m_cache(cacheTtlMs, cacheCapacity, std::move(clock))
{
    for (int i = 0; i < std::max(1, workers); ++i)
        m_buffers.push_back(std::make_unique<VoteBuffer>());
}

qint64 VoteLedger::addVote(int worker, const QString &pollId, int option, int optionCount)
{
    m_pendingVotes.fetchAndAddRelaxed(1);
    return m_buffers[size_t(worker)]->add(pollId, option, optionCount);
}

void VoteLedger::addPendingLocked(const QString &pollId, OptionCounts &counts) const
{
    const auto inflight = m_inflight.constFind(pollId);
    if (inflight != m_inflight.cend())
        VoteCounts::add(counts, *inflight);
    for (const auto &buffer : m_buffers)
        buffer->addPendingTo(pollId, counts);
}

std::optional<OptionCounts> VoteLedger::readCached(const QString &pollId, int optionCount,
                                                   bool countStats)
{
    QMutexLocker locker(&m_mutex);
    std::optional<OptionCounts> counts = m_cache.fresh(pollId);
    if (!counts) {
        if (countStats)
            m_misses.fetchAndAddRelaxed(1);
        return std::nullopt;
    }
    if (countStats)
        m_hits.fetchAndAddRelaxed(1);
    counts->resize(std::max<qsizetype>(counts->size(), optionCount));
    addPendingLocked(pollId, *counts);
    return counts;
}

std::optional<OptionCounts> VoteLedger::readStale(const QString &pollId, int optionCount)
{
    QMutexLocker locker(&m_mutex);
    std::optional<OptionCounts> counts = m_cache.lastKnown(pollId);
    if (!counts)
        return std::nullopt;
    counts->resize(std::max<qsizetype>(counts->size(), optionCount));
    addPendingLocked(pollId, *counts);
    return counts;
}

PollCounts VoteLedger::takeBuffered(const std::function<bool(const QString &)> &keep)
{
    QMutexLocker locker(&m_mutex);
    PollCounts merged;
    for (const auto &buffer : m_buffers)
        VoteCounts::merge(merged, buffer->takeAll());
    for (auto it = merged.begin(); it != merged.end();) {
        if (!keep(it.key())) {
            m_pendingVotes.fetchAndAddRelaxed(-VoteCounts::total(it.value()));
            it = merged.erase(it);
            continue;
        }
        VoteCounts::add(m_inflight[it.key()], it.value());
        m_inflightVotes += VoteCounts::total(it.value());
        ++it;
    }
    return merged;
}

void VoteLedger::removeInflightLocked(const PollCounts &batch)
{
    for (auto it = batch.cbegin(); it != batch.cend(); ++it) {
        auto inflight = m_inflight.find(it.key());
        if (inflight != m_inflight.end()) {
            VoteCounts::subtract(*inflight, it.value());
            if (VoteCounts::total(*inflight) == 0)
                m_inflight.erase(inflight);
        }
        m_inflightVotes -= VoteCounts::total(it.value());
        m_pendingVotes.fetchAndAddRelaxed(-VoteCounts::total(it.value()));
    }
}

void VoteLedger::confirmApplied(const PollCounts &batch)
{
    QMutexLocker locker(&m_mutex);
    removeInflightLocked(batch);
    for (auto it = batch.cbegin(); it != batch.cend(); ++it)
        m_cache.addApplied(it.key(), it.value());
}

void VoteLedger::abandon(const PollCounts &batch)
{
    QMutexLocker locker(&m_mutex);
    removeInflightLocked(batch);
}

OptionCounts VoteLedger::storeRead(const QString &pollId, const OptionCounts &stored,
                                   int optionCount)
{
    QMutexLocker locker(&m_mutex);
    OptionCounts counts = stored;
    counts.resize(std::max<qsizetype>(counts.size(), optionCount));
    m_cache.put(pollId, counts);
    addPendingLocked(pollId, counts);
    return counts;
}

void VoteLedger::forget(const QString &pollId)
{
    QMutexLocker locker(&m_mutex);
    for (const auto &buffer : m_buffers)
        m_pendingVotes.fetchAndAddRelaxed(-buffer->discard(pollId));
    m_cache.remove(pollId);
}

qint64 VoteLedger::bufferedVotes() const
{
    qint64 total = 0;
    for (const auto &buffer : m_buffers)
        total += buffer->size();
    return total;
}

qint64 VoteLedger::inflightVotes() const
{
    QMutexLocker locker(&m_mutex);
    return m_inflightVotes;
}

int VoteLedger::cacheEntries() const
{
    QMutexLocker locker(&m_mutex);
    return m_cache.size();
}
