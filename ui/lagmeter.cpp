#include "lagmeter.h"

#include <QTimer>

LagMeter::LagMeter(QObject *parent) : QObject(parent), m_timer(new QTimer(this))
{
    m_timer->setTimerType(Qt::PreciseTimer);
    m_timer->setInterval(IntervalMs);
    connect(m_timer, &QTimer::timeout, this, &LagMeter::tick);
}

void LagMeter::start()
{
    m_maxMs = 0;
    m_sumMs = 0;
    m_samples = 0;
    m_clock.start();
    m_lastNs = 0;
    m_timer->start();
}

void LagMeter::stop()
{
    m_timer->stop();
}

bool LagMeter::isRunning() const
{
    return m_timer->isActive();
}

void LagMeter::tick()
{
    const qint64 now = m_clock.nsecsElapsed();
    const double lateMs = qMax(0.0, double(now - m_lastNs) / 1e6 - IntervalMs);
    m_lastNs = now;
    m_maxMs = qMax(m_maxMs, lateMs);
    m_sumMs += lateMs;
    ++m_samples;
}
