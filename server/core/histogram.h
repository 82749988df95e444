#pragma once

#include <QList>
#include <atomic>
#include <memory>
#include <vector>

// A Prometheus-style histogram of whole-number observations (nanoseconds, bytes)
// with fixed upper bounds. Each writing thread uses its own slot of relaxed atomic
// counters (see bindThreadSlot), so recording takes no lock and shares no cache line
// between HTTP workers; snapshot() sums the slots at scrape time.
class Histogram {
public:
    struct Snapshot {
        QList<quint64> upperBounds; // in units, ascending
        QList<quint64> cumulative;  // one per bound, then one for +Inf
        quint64 sum = 0;            // in units
        quint64 count() const { return cumulative.isEmpty() ? 0 : cumulative.constLast(); }
    };

    // `upperBounds` ascending, in the unit observations are made in.
    explicit Histogram(QList<quint64> upperBounds);
    ~Histogram();
    Histogram(const Histogram &) = delete;
    Histogram &operator=(const Histogram &) = delete;

    void observe(quint64 value);
    Snapshot snapshot() const;
    const QList<quint64> &upperBounds() const { return m_bounds; }

    // Called once on a thread that records (an HTTP worker passes its index): its
    // observations go to slot `index % Slots`. Threads that never call it use slot 0.
    static void bindThreadSlot(int index);

    static constexpr int Slots = 8;

private:
    static constexpr qsizetype Padding = 8; // 64 bytes of counters

    struct alignas(64) Slot {
        // Padded on both sides so no other allocation shares the counters' cache lines.
        explicit Slot(qsizetype buckets) : counts(size_t(buckets + 2 * Padding)) {}
        std::vector<std::atomic<quint64>> counts; // per bucket, not cumulative; last is +Inf
        std::atomic<quint64> sum{0};
    };

    QList<quint64> m_bounds;
    std::vector<std::unique_ptr<Slot>> m_slots;
};
