// State shared by every thread of tally_fanout.
#pragma once

#include <QElapsedTimer>
#include <QtGlobal>

#include <atomic>
#include <vector>

struct Shared {
    explicit Shared(qint64 votes) : sentAtNs(size_t(votes + 1)) { clock.start(); }
    QElapsedTimer clock;
    std::vector<std::atomic<qint64>> sentAtNs; // index: vote number (1-based); 0 = not sent
    std::atomic<qint64> sent{0};
    std::atomic<qint64> accepted{0};
    std::atomic<qint64> rejected{0};
    std::atomic<qint64> answered{0};
};
