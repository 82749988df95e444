#pragma once

#include "votecounts.h"

#include <QHash>
#include <functional>
#include <list>
#include <optional>

// Stored counts per poll with a time-to-live and a bounded number of entries
// (least recently used evicted first). Expired entries stay as "last known" counts
// until evicted, so a storage outage can still be answered. Not thread-safe: the
// VoteLedger serialises access.
class ResultCache {
public:
    using Clock = std::function<qint64()>; // milliseconds, monotonic

    ResultCache(qint64 ttlMs, int capacity, Clock clock = {});

    // Fresh counts, or nullopt when absent or expired. Refreshes the entry's recency.
    std::optional<OptionCounts> fresh(const QString &pollId);
    // Counts of any age, or nullopt when absent.
    std::optional<OptionCounts> lastKnown(const QString &pollId) const;
    void put(const QString &pollId, const OptionCounts &counts,
             const QHash<QString, OptionCounts> &appliedBySource = {});
    // What each remote source had applied when the entry was read (empty if unknown).
    QHash<QString, OptionCounts> appliedBySource(const QString &pollId) const;
    // Adds a batch that just reached storage to an existing entry, keeping its age.
    void addApplied(const QString &pollId, const OptionCounts &delta);
    void remove(const QString &pollId);
    int size() const { return int(m_entries.size()); }
    int capacity() const { return m_capacity; }
    qint64 ttlMs() const { return m_ttlMs; }

private:
    struct Entry {
        OptionCounts counts;
        QHash<QString, OptionCounts> appliedBySource;
        qint64 storedAt = 0;
        std::list<QString>::iterator recency;
    };
    void touch(Entry &entry);

    qint64 m_ttlMs;
    int m_capacity;
    Clock m_clock;
    QHash<QString, Entry> m_entries;
    std::list<QString> m_recency; // front = most recently used
};
