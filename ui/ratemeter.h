#pragma once

#include <QElapsedTimer>
#include <QList>

// Turns successive readings of a growing counter into a rate per second over a
// sliding window: votes/s from a poll's totals, requests/s from the server's
// request counter. A counter that went down (a restarted server) starts over.
class RateMeter {
public:
    explicit RateMeter(int windowMs = 3000);

    void reset();
    // A reading of the counter now (or at `atMs` on the meter's own clock).
    void add(qint64 value);
    void add(qint64 value, qint64 atMs);
    // Per second over the window; 0 with fewer than two readings.
    double rate() const;
    qint64 nowMs() const { return m_clock.elapsed(); }

private:
    struct Sample {
        qint64 atMs;
        qint64 value;
    };
    int m_windowMs;
    QElapsedTimer m_clock;
    QList<Sample> m_samples;
};
