#include "circuitbreaker.h"

#include <QDeadlineTimer>
#include <algorithm>

CircuitBreaker::CircuitBreaker(int failureThreshold, qint64 resetMs, Clock clock)
    : m_threshold(std::max(1, failureThreshold)), m_resetMs(resetMs), m_clock(std::move(clock))
{
    if (!m_clock)
        m_clock = [] { return QDeadlineTimer::current().deadline(); };
}

bool CircuitBreaker::allowAttempt()
{
    switch (m_state) {
    case State::Closed:
        return true;
    case State::Open:
        if (m_clock() - m_openedAt < m_resetMs)
            return false;
        m_state = State::HalfOpen;
        m_probeInFlight = true;
        return true;
    case State::HalfOpen:
        if (m_probeInFlight)
            return false;
        m_probeInFlight = true;
        return true;
    }
    return false;
}

void CircuitBreaker::recordSuccess()
{
    m_state = State::Closed;
    m_failures = 0;
    m_probeInFlight = false;
}

void CircuitBreaker::recordFailure()
{
    ++m_failures;
    m_probeInFlight = false;
    if (m_state == State::HalfOpen || m_failures >= m_threshold) {
        m_state = State::Open;
        m_openedAt = m_clock();
    }
}

qint64 CircuitBreaker::msUntilProbe() const
{
    if (m_state != State::Open)
        return 0;
    return std::max<qint64>(0, m_resetMs - (m_clock() - m_openedAt));
}
