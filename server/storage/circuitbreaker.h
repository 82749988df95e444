#pragma once

#include <QtGlobal>
#include <functional>

// Stops hammering a failing shard: after `failureThreshold` consecutive failures the
// breaker opens and refuses attempts for `resetMs`; then one probe is let through
// (half-open); its success closes the breaker, its failure opens it again.
class CircuitBreaker {
public:
    enum class State { Closed, Open, HalfOpen };
    using Clock = std::function<qint64()>; // milliseconds, monotonic

    CircuitBreaker(int failureThreshold, qint64 resetMs, Clock clock = {});

    // Whether an attempt may be made now; in half-open, only the first caller gets true.
    bool allowAttempt();
    void recordSuccess();
    void recordFailure();

    State state() const { return m_state; }
    int consecutiveFailures() const { return m_failures; }
    // Milliseconds until an open breaker lets a probe through (0 when not open).
    qint64 msUntilProbe() const;

private:
    int m_threshold;
    qint64 m_resetMs;
    Clock m_clock;
    State m_state = State::Closed;
    int m_failures = 0;
    qint64 m_openedAt = 0;
    bool m_probeInFlight = false;
};
