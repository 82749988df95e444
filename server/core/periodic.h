#pragma once

#include <QObject>
#include <QTimer>

#include <utility>

// Every recurring job of the server with its period, in one place (the table in
// docs/architecture.md, "Periodic jobs", says which thread runs each and why).
// Periods that are settings (--batch-interval, --live-interval, --catalog-refresh,
// --ws-idle-timeout) come from Config; the fixed ones are here.
namespace Periodic {

// HTTP worker 0: drop rate-limit buckets that hold no information any more.
inline constexpr int RateLimitEvictionMs = 10000;
// Storage thread: Pub/Sub heartbeat, and the repeat of recently changed counts.
inline constexpr int PubSubHeartbeatMs = 1000;
// A remote run heard nothing from for this long is forgotten; counts that changed
// within it are repeated with each heartbeat.
inline constexpr int PubSubSourceExpiryMs = 10000;
// Storage thread: the WebSocket "stats" channel.
inline constexpr int StatsPushMs = 500;
// Each worker's WebSocket hub pings its sessions at a third of --ws-idle-timeout,
// at most this far apart.
inline constexpr int MaxWebSocketPingMs = 25000;

// Runs `job` every `periodMs` on the thread of `owner`, until `owner` is destroyed
// (the timer is its child). Returns the timer for jobs whose period changes. A coarse
// timer may fire up to 5% late; jobs whose lateness users see take Qt::PreciseTimer.
template <typename Job>
QTimer *every(QObject *owner, int periodMs, Job &&job, Qt::TimerType type = Qt::CoarseTimer)
{
    auto *timer = new QTimer(owner);
    timer->setTimerType(type);
    QObject::connect(timer, &QTimer::timeout, owner, std::forward<Job>(job));
    timer->start(periodMs);
    return timer;
}

} // namespace Periodic
