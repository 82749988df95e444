#include "histogram.h"

#include <algorithm>

namespace {
thread_local int threadSlot = 0;
}

Histogram::Histogram(QList<quint64> upperBounds) : m_bounds(std::move(upperBounds))
{
    std::sort(m_bounds.begin(), m_bounds.end());
    m_slots.reserve(Slots);
    for (int i = 0; i < Slots; ++i)
        m_slots.push_back(std::make_unique<Slot>(m_bounds.size() + 1));
}

Histogram::~Histogram() = default;

void Histogram::bindThreadSlot(int index)
{
    threadSlot = std::max(0, index) % Slots;
}

void Histogram::observe(quint64 value)
{
    Slot &slot = *m_slots[size_t(threadSlot)];
    const auto bucket =
        std::lower_bound(m_bounds.cbegin(), m_bounds.cend(), value) - m_bounds.cbegin();
    slot.counts[size_t(bucket + Padding)].fetch_add(1, std::memory_order_relaxed);
    slot.sum.fetch_add(value, std::memory_order_relaxed);
}

Histogram::Snapshot Histogram::snapshot() const
{
    Snapshot snapshot;
    snapshot.upperBounds = m_bounds;
    snapshot.cumulative.fill(0, m_bounds.size() + 1);
    for (const auto &slot : m_slots) {
        for (qsizetype i = 0; i < snapshot.cumulative.size(); ++i)
            snapshot.cumulative[i] +=
                slot->counts[size_t(i + Padding)].load(std::memory_order_relaxed);
        snapshot.sum += slot->sum.load(std::memory_order_relaxed);
    }
    for (qsizetype i = 1; i < snapshot.cumulative.size(); ++i)
        snapshot.cumulative[i] += snapshot.cumulative[i - 1];
    return snapshot;
}
