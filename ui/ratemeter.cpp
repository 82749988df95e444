#include "ratemeter.h"

RateMeter::RateMeter(int windowMs) : m_windowMs(windowMs)
{
    m_clock.start();
}

void RateMeter::reset()
{
    m_samples.clear();
}

void RateMeter::add(qint64 value)
{
    add(value, m_clock.elapsed());
}

void RateMeter::add(qint64 value, qint64 atMs)
{
    if (!m_samples.isEmpty() && value < m_samples.constLast().value)
        m_samples.clear();
    m_samples.append({atMs, value});
    // Keep one reading older than the window so the window is always covered.
    while (m_samples.size() > 2 && m_samples.at(1).atMs < atMs - m_windowMs)
        m_samples.removeFirst();
}

double RateMeter::rate() const
{
    if (m_samples.size() < 2)
        return 0.0;
    const Sample &first = m_samples.constFirst();
    const Sample &last = m_samples.constLast();
    const qint64 spanMs = last.atMs - first.atMs;
    if (spanMs <= 0)
        return 0.0;
    return double(last.value - first.value) * 1000.0 / double(spanMs);
}
