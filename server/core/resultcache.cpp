#include "resultcache.h"

#include <QDeadlineTimer>

ResultCache::ResultCache(qint64 ttlMs, int capacity, Clock clock)
    : m_ttlMs(ttlMs), m_capacity(std::max(1, capacity)), m_clock(std::move(clock))
{
    if (!m_clock) {
        m_clock = [] {
            static const QDeadlineTimer origin = QDeadlineTimer::current();
            return QDeadlineTimer::current().deadline() - origin.deadline();
        };
    }
}

std::optional<OptionCounts> ResultCache::fresh(const QString &pollId)
{
    const auto it = m_entries.find(pollId);
    if (it == m_entries.end() || m_clock() - it->storedAt >= m_ttlMs)
        return std::nullopt;
    touch(*it);
    return it->counts;
}

std::optional<OptionCounts> ResultCache::lastKnown(const QString &pollId) const
{
    const auto it = m_entries.constFind(pollId);
    if (it == m_entries.cend())
        return std::nullopt;
    return it->counts;
}

QHash<QString, OptionCounts> ResultCache::appliedBySource(const QString &pollId) const
{
    const auto it = m_entries.constFind(pollId);
    return it == m_entries.cend() ? QHash<QString, OptionCounts>() : it->appliedBySource;
}

void ResultCache::put(const QString &pollId, const OptionCounts &counts,
                      const QHash<QString, OptionCounts> &appliedBySource)
{
    auto it = m_entries.find(pollId);
    if (it == m_entries.end()) {
        if (m_entries.size() >= m_capacity) {
            m_entries.remove(m_recency.back());
            m_recency.pop_back();
        }
        m_recency.push_front(pollId);
        it = m_entries.insert(pollId, Entry{counts, appliedBySource, m_clock(), m_recency.begin()});
        return;
    }
    it->counts = counts;
    it->appliedBySource = appliedBySource;
    it->storedAt = m_clock();
    touch(*it);
}

void ResultCache::addApplied(const QString &pollId, const OptionCounts &delta)
{
    const auto it = m_entries.find(pollId);
    if (it != m_entries.end())
        VoteCounts::add(it->counts, delta);
}

void ResultCache::remove(const QString &pollId)
{
    const auto it = m_entries.find(pollId);
    if (it == m_entries.end())
        return;
    m_recency.erase(it->recency);
    m_entries.erase(it);
}

void ResultCache::touch(Entry &entry)
{
    m_recency.splice(m_recency.begin(), m_recency, entry.recency);
}
