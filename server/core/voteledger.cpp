#include "voteledger.h"

#include <QDeadlineTimer>
#include <QSet>

VoteLedger::VoteLedger(int workers, qint64 cacheTtlMs, int cacheCapacity, ResultCache::Clock clock)
    : m_cache(cacheTtlMs, cacheCapacity, clock), m_clock(std::move(clock))
{
    if (!m_clock) {
        m_clock = [] {
            static const QDeadlineTimer origin = QDeadlineTimer::current();
            return QDeadlineTimer::current().deadline() - origin.deadline();
        };
    }
    for (int i = 0; i < std::max(1, workers); ++i)
        m_buffers.push_back(std::make_unique<VoteBuffer>());
}

qint64 VoteLedger::addVote(int worker, const QString &pollId, int option, int optionCount)
{
    m_pendingVotes.fetchAndAddRelaxed(1);
    return m_buffers[size_t(worker)]->add(pollId, option, optionCount);
}

quint64 VoteLedger::addJournaledVote(int worker, const QString &pollId, int option, int optionCount,
                                     const QByteArray &record, qint64 *bufferedAfter)
{
    m_pendingVotes.fetchAndAddRelaxed(1);
    return m_buffers[size_t(worker)]->addJournaled(pollId, option, optionCount, record,
                                                   bufferedAfter);
}

quint64 VoteLedger::addBallot(int worker, const QString &countKey, const QList<int> &countSlots,
                              int width, const QByteArray &record, qint64 *bufferedAfter)
{
    m_pendingVotes.fetchAndAddRelaxed(countSlots.size());
    return m_buffers[size_t(worker)]->addBallot(countKey, countSlots, width, record, bufferedAfter);
}

QList<VoteBuffer::JournalChunk> VoteLedger::takeJournal(int worker)
{
    return m_buffers[size_t(worker)]->takeJournal();
}

void VoteLedger::addRecovered(const PollCounts &counts)
{
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        for (qsizetype option = 0; option < it->size(); ++option)
            if (it->at(option) > 0) {
                m_buffers[0]->add(it.key(), int(option), int(it->size()), it->at(option));
                m_pendingVotes.fetchAndAddRelaxed(it->at(option));
            }
}

void VoteLedger::setEpoch(quint64 epoch)
{
    for (const auto &buffer : m_buffers)
        buffer->setEpoch(epoch);
}

void VoteLedger::addPendingLocked(const QString &pollId, OptionCounts &counts) const
{
    const auto inflight = m_inflight.constFind(pollId);
    if (inflight != m_inflight.cend())
        VoteCounts::add(counts, *inflight);
    for (const auto &buffer : m_buffers)
        buffer->addPendingTo(pollId, counts);
    const auto remote = m_remoteAccepted.constFind(pollId);
    if (remote == m_remoteAccepted.cend())
        return;
    const QHash<QString, OptionCounts> applied = m_cache.appliedBySource(pollId);
    for (auto source = remote->cbegin(); source != remote->cend(); ++source)
        VoteCounts::addUnapplied(counts, source.value(), applied.value(source.key()));
}

OptionCounts VoteLedger::ownAcceptedLocked(const QString &pollId) const
{
    OptionCounts counts = m_appliedThisRun.value(pollId);
    VoteCounts::add(counts, m_inflight.value(pollId));
    for (const auto &buffer : m_buffers)
        buffer->addPendingTo(pollId, counts);
    return counts;
}

void VoteLedger::setRemoteAccepted(const QString &source, const QString &pollId,
                                   const OptionCounts &accepted, const QString &replaces)
{
    QMutexLocker locker(&m_mutex);
    QHash<QString, OptionCounts> &sources = m_remoteAccepted[pollId];
    if (!replaces.isEmpty())
        sources.remove(replaces);
    OptionCounts &known = sources[source];
    // Messages may arrive out of order: accepted counts only grow.
    if (known.size() < accepted.size())
        known.resize(accepted.size());
    for (qsizetype i = 0; i < accepted.size(); ++i)
        known[i] = std::max(known[i], accepted[i]);
    m_remoteHeard.insert(source, m_clock());
}

void VoteLedger::touchRemoteSource(const QString &source)
{
    QMutexLocker locker(&m_mutex);
    m_remoteHeard.insert(source, m_clock());
}

qint64 VoteLedger::nowMs() const
{
    return m_clock();
}

QStringList VoteLedger::expireRemoteSources(qint64 cutoffMs)
{
    QMutexLocker locker(&m_mutex);
    QStringList expired;
    for (auto it = m_remoteHeard.begin(); it != m_remoteHeard.end();) {
        if (it.value() >= cutoffMs) {
            ++it;
            continue;
        }
        expired.append(it.key());
        it = m_remoteHeard.erase(it);
    }
    if (expired.isEmpty())
        return expired;
    for (auto poll = m_remoteAccepted.begin(); poll != m_remoteAccepted.end();) {
        for (const QString &source : std::as_const(expired))
            poll->remove(source);
        poll = poll->isEmpty() ? m_remoteAccepted.erase(poll) : std::next(poll);
    }
    return expired;
}

PollCounts VoteLedger::takeOwnAcceptedChanges()
{
    QMutexLocker locker(&m_mutex);
    // Polls whose batches were confirmed since the last call count too: their votes may
    // have gone from buffer to shard between two calls.
    QSet<QString> candidates = std::exchange(m_appliedSinceTake, {});
    for (const auto &buffer : m_buffers)
        for (const QString &pollId : buffer->polls())
            candidates.insert(pollId);
    for (auto it = m_inflight.cbegin(); it != m_inflight.cend(); ++it)
        candidates.insert(it.key());
    PollCounts changed;
    for (const QString &pollId : std::as_const(candidates)) {
        const OptionCounts accepted = ownAcceptedLocked(pollId);
        OptionCounts &published = m_lastPublished[pollId];
        if (published == accepted)
            continue;
        published = accepted;
        changed.insert(pollId, accepted);
    }
    return changed;
}

PollCounts VoteLedger::lastPublished(const QStringList &pollIds) const
{
    QMutexLocker locker(&m_mutex);
    PollCounts published;
    for (const QString &pollId : pollIds) {
        const auto it = m_lastPublished.constFind(pollId);
        if (it != m_lastPublished.cend())
            published.insert(pollId, *it);
    }
    return published;
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

PollCounts VoteLedger::takeBuffered(const std::function<bool(const QString &)> &keep,
                                    quint64 nextEpoch, qint64 *dropped)
{
    QMutexLocker locker(&m_mutex);
    PollCounts merged;
    for (const auto &buffer : m_buffers)
        VoteCounts::merge(merged, buffer->takeAllAndStartEpoch(nextEpoch));
    for (auto it = merged.begin(); it != merged.end();) {
        if (!keep(it.key())) {
            m_pendingVotes.fetchAndAddRelaxed(-VoteCounts::total(it.value()));
            if (dropped)
                *dropped += VoteCounts::total(it.value());
            it = merged.erase(it);
            continue;
        }
        VoteCounts::add(m_inflight[it.key()], it.value());
        m_inflightVotes += VoteCounts::total(it.value());
        ++it;
    }
    return merged;
}

void VoteLedger::addInflight(const PollCounts &counts)
{
    QMutexLocker locker(&m_mutex);
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        const qint64 votes = VoteCounts::total(it.value());
        VoteCounts::add(m_inflight[it.key()], it.value());
        m_inflightVotes += votes;
        m_pendingVotes.fetchAndAddRelaxed(votes);
    }
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
    for (auto it = batch.cbegin(); it != batch.cend(); ++it) {
        m_cache.addApplied(it.key(), it.value());
        VoteCounts::add(m_appliedThisRun[it.key()], it.value());
        m_appliedSinceTake.insert(it.key());
    }
}

void VoteLedger::reopenApplied(const PollCounts &batch)
{
    QMutexLocker locker(&m_mutex);
    for (auto it = batch.cbegin(); it != batch.cend(); ++it) {
        const qint64 votes = VoteCounts::total(it.value());
        VoteCounts::add(m_inflight[it.key()], it.value());
        m_inflightVotes += votes;
        m_pendingVotes.fetchAndAddRelaxed(votes);
        const auto applied = m_appliedThisRun.find(it.key());
        if (applied != m_appliedThisRun.end())
            VoteCounts::subtract(*applied, it.value());
        m_cache.remove(it.key());
    }
}

void VoteLedger::abandon(const PollCounts &batch)
{
    QMutexLocker locker(&m_mutex);
    removeInflightLocked(batch);
}

OptionCounts VoteLedger::storeRead(const QString &pollId, const OptionCounts &stored,
                                   int optionCount)
{
    StoredCounts read;
    read.counts = stored;
    return storeRead(pollId, read, optionCount);
}

OptionCounts VoteLedger::storeRead(const QString &pollId, const StoredCounts &stored,
                                   int optionCount)
{
    QMutexLocker locker(&m_mutex);
    OptionCounts counts = stored.counts;
    counts.resize(std::max<qsizetype>(counts.size(), optionCount));
    m_cache.put(pollId, counts, stored.appliedBySource);
    addPendingLocked(pollId, counts);
    return counts;
}

qint64 VoteLedger::forget(const QString &pollId)
{
    QMutexLocker locker(&m_mutex);
    qint64 dropped = 0;
    for (const auto &buffer : m_buffers)
        dropped += buffer->discard(pollId);
    m_pendingVotes.fetchAndAddRelaxed(-dropped);
    m_cache.remove(pollId);
    m_remoteAccepted.remove(pollId);
    m_lastPublished.remove(pollId);
    m_appliedThisRun.remove(pollId);
    m_appliedSinceTake.remove(pollId);
    return dropped;
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
