#include "epolldispatcher.h"

#include <QCoreApplication>
#include <QElapsedTimer>
#include <QSocketNotifier>
#include <QTimerEvent>
#include <QVarLengthArray>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <limits>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

namespace {
constexpr int MaxEventsPerTurn = 512;

// Microseconds on CLOCK_MONOTONIC, as Qt's own timers use: finer than the intervals, so
// that rounding never fires a timer early.
qint64 nowUs()
{
    timespec now{};
    ::clock_gettime(CLOCK_MONOTONIC, &now);
    return qint64(now.tv_sec) * 1000000 + now.tv_nsec / 1000;
}
} // namespace

EpollDispatcher::EpollDispatcher(QObject *parent)
    : QAbstractEventDispatcher(parent), m_epoll(::epoll_create1(EPOLL_CLOEXEC)),
      m_wakeFd(::eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK))
{
    if (m_epoll < 0 || m_wakeFd < 0)
        qFatal("EpollDispatcher: cannot create epoll or eventfd descriptors: %s", strerror(errno));
    epoll_event event{};
    event.events = EPOLLIN;
    event.data.fd = m_wakeFd;
    ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wakeFd, &event);
}

EpollDispatcher::~EpollDispatcher()
{
    ::close(m_wakeFd);
    ::close(m_epoll);
}

void EpollDispatcher::wakeUp()
{
    // One write per sleep is enough; the flag is cleared when the loop drains it.
    if (!m_wakeUpPending.exchange(true, std::memory_order_acq_rel)) {
        const eventfd_t one = 1;
        while (::eventfd_write(m_wakeFd, one) != 0 && errno == EINTR) {
        }
    }
}

void EpollDispatcher::interrupt()
{
    m_interrupted.store(true, std::memory_order_release);
    wakeUp();
}

void EpollDispatcher::drainWakeUps()
{
    eventfd_t value = 0;
    while (::eventfd_read(m_wakeFd, &value) != 0 && errno == EINTR) {
    }
    m_wakeUpPending.store(false, std::memory_order_release);
}

bool EpollDispatcher::processEvents(QEventLoop::ProcessEventsFlags flags)
{
    m_interrupted.store(false, std::memory_order_relaxed);
    Q_EMIT awake();
    QCoreApplication::sendPostedEvents();

    const bool includeTimers = !(flags & QEventLoop::X11ExcludeTimers);
    const bool includeNotifiers = !(flags & QEventLoop::ExcludeSocketNotifiers);
    // Events posted while the posted events ran woke the eventfd, so waiting is safe.
    const bool canWait =
        (flags & QEventLoop::WaitForMoreEvents) && !m_interrupted.load(std::memory_order_acquire);
    if (canWait)
        Q_EMIT aboutToBlock();
    if (m_interrupted.load(std::memory_order_acquire))
        return false;

    epoll_event events[MaxEventsPerTurn];
    int ready = 0;
    do {
        ready = ::epoll_wait(m_epoll, events, MaxEventsPerTurn,
                             includeTimers ? waitTimeoutMs(canWait) : (canWait ? -1 : 0));
    } while (ready < 0 && errno == EINTR);

    int handled = 0;
    if (ready > 0) {
        if (includeNotifiers)
            handled += activateNotifiers(events, ready);
        else
            for (int i = 0; i < ready; ++i)
                if (events[i].data.fd == m_wakeFd)
                    drainWakeUps();
    }
    if (includeTimers)
        handled += activateTimers();
    return handled > 0;
}

int EpollDispatcher::waitTimeoutMs(bool canWait) const
{
    if (!canWait)
        return 0;
    if (m_deadlines.empty())
        return -1;
    // Rounded up: epoll_wait counts milliseconds.
    const qint64 waitUs = m_deadlines.cbegin()->first - nowUs();
    return int(std::clamp<qint64>((waitUs + 999) / 1000, 0, std::numeric_limits<int>::max()));
}

int EpollDispatcher::activateNotifiers(const epoll_event *events, int count)
{
    // Which notifiers to activate is settled before any runs: a handler may close
    // sockets and unregister other notifiers of this turn, which are then skipped.
    struct Activation {
        int fd;
        QSocketNotifier::Type type;
        QSocketNotifier *notifier;
    };
    QVarLengthArray<Activation, 64> activations;
    for (int i = 0; i < count; ++i) {
        const int fd = events[i].data.fd;
        if (fd == m_wakeFd) {
            drainWakeUps();
            continue;
        }
        const auto watch = m_watches.constFind(fd);
        if (watch == m_watches.cend())
            continue;
        const quint32 happened = events[i].events;
        // As QEventDispatcherUNIX maps poll() results.
        if (watch->read && (happened & (EPOLLIN | EPOLLHUP | EPOLLERR)))
            activations.append({fd, QSocketNotifier::Read, watch->read});
        if (watch->write && (happened & (EPOLLOUT | EPOLLERR)))
            activations.append({fd, QSocketNotifier::Write, watch->write});
        if (watch->exception && (happened & EPOLLPRI))
            activations.append({fd, QSocketNotifier::Exception, watch->exception});
    }
    int handled = 0;
    for (const Activation &activation : std::as_const(activations)) {
        const auto watch = m_watches.constFind(activation.fd);
        if (watch == m_watches.cend())
            continue;
        QSocketNotifier *current = activation.type == QSocketNotifier::Read    ? watch->read
                                   : activation.type == QSocketNotifier::Write ? watch->write
                                                                               : watch->exception;
        if (current != activation.notifier)
            continue;
        QEvent event(QEvent::SockAct);
        QCoreApplication::sendEvent(current, &event);
        ++handled;
    }
    return handled;
}

void EpollDispatcher::updateInterest(int fd, Watch &watch)
{
    epoll_event event{};
    event.data.fd = fd;
    if (watch.read)
        event.events |= EPOLLIN;
    if (watch.write)
        event.events |= EPOLLOUT;
    if (watch.exception)
        event.events |= EPOLLPRI;
    if (event.events == 0) {
        // The descriptor may be closed already, which removed it from the set.
        if (watch.inEpoll)
            ::epoll_ctl(m_epoll, EPOLL_CTL_DEL, fd, &event);
        m_watches.remove(fd);
        return;
    }
    const int operation = watch.inEpoll ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (::epoll_ctl(m_epoll, operation, fd, &event) == 0) {
        watch.inEpoll = true;
        return;
    }
    // A descriptor closed and reused without its notifiers being removed first: the
    // kernel dropped the old registration, so register it anew.
    if (operation == EPOLL_CTL_MOD && errno == ENOENT &&
        ::epoll_ctl(m_epoll, EPOLL_CTL_ADD, fd, &event) == 0)
        return;
    qWarning("EpollDispatcher: cannot watch descriptor %d: %s", fd, strerror(errno));
}

void EpollDispatcher::registerSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    Watch &watch = m_watches[fd];
    switch (notifier->type()) {
    case QSocketNotifier::Read:
        watch.read = notifier;
        break;
    case QSocketNotifier::Write:
        watch.write = notifier;
        break;
    case QSocketNotifier::Exception:
        watch.exception = notifier;
        break;
    }
    updateInterest(fd, watch);
}

void EpollDispatcher::unregisterSocketNotifier(QSocketNotifier *notifier)
{
    const int fd = int(notifier->socket());
    const auto found = m_watches.find(fd);
    if (found == m_watches.end())
        return;
    Watch &watch = *found;
    if (watch.read == notifier)
        watch.read = nullptr;
    else if (watch.write == notifier)
        watch.write = nullptr;
    else if (watch.exception == notifier)
        watch.exception = nullptr;
    else
        return;
    updateInterest(fd, watch);
}

int EpollDispatcher::notifierCount() const
{
    int count = 0;
    for (const Watch &watch : m_watches)
        count += int(watch.read != nullptr) + int(watch.write != nullptr) +
                 int(watch.exception != nullptr);
    return count;
}

void EpollDispatcher::schedule(Timer &timer, qint64 deadlineUs)
{
    m_deadlines.erase({timer.deadlineUs, timer.id});
    timer.deadlineUs = deadlineUs;
    m_deadlines.insert({deadlineUs, timer.id});
}

void EpollDispatcher::registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                                    QObject *object)
{
    Timer timer{timerId, std::max<qint64>(0, interval), timerType, object, 0, false};
    timer.deadlineUs = nowUs() + timer.intervalMs * 1000;
    m_deadlines.insert({timer.deadlineUs, timerId});
    m_timers.insert(timerId, timer);
}

bool EpollDispatcher::unregisterTimer(int timerId)
{
    const auto found = m_timers.find(timerId);
    if (found == m_timers.end())
        return false;
    m_deadlines.erase({found->deadlineUs, timerId});
    m_timers.erase(found);
    return true;
}

bool EpollDispatcher::unregisterTimers(QObject *object)
{
    bool any = false;
    for (auto it = m_timers.begin(); it != m_timers.end();) {
        if (it->object == object) {
            m_deadlines.erase({it->deadlineUs, it->id});
            it = m_timers.erase(it);
            any = true;
        } else {
            ++it;
        }
    }
    return any;
}

QList<QAbstractEventDispatcher::TimerInfo> EpollDispatcher::registeredTimers(QObject *object) const
{
    QList<TimerInfo> timers;
    for (const Timer &timer : m_timers)
        if (timer.object == object)
            timers.append(TimerInfo(timer.id, int(timer.intervalMs), timer.type));
    return timers;
}

int EpollDispatcher::remainingTime(int timerId)
{
    const auto found = m_timers.constFind(timerId);
    if (found == m_timers.cend())
        return -1;
    return int(std::max<qint64>(0, (found->deadlineUs - nowUs() + 999) / 1000));
}

int EpollDispatcher::activateTimers()
{
    const qint64 now = nowUs();
    // The timers due now, taken before any runs: one that a handler restarts or that
    // has a zero interval waits for the next turn.
    QVarLengthArray<int, 16> due;
    for (auto it = m_deadlines.cbegin(); it != m_deadlines.cend() && it->first <= now; ++it)
        due.append(it->second);
    int fired = 0;
    for (int id : std::as_const(due)) {
        const auto found = m_timers.find(id);
        if (found == m_timers.end() || found->firing)
            continue;
        Timer &timer = *found;
        // The next deadline keeps the timer's rhythm unless it fell a whole interval behind.
        const qint64 intervalUs = timer.intervalMs * 1000;
        qint64 next = timer.deadlineUs + intervalUs;
        if (next <= now)
            next = now + intervalUs;
        schedule(timer, next);
        timer.firing = true;
        QObject *object = timer.object;
        QTimerEvent event(id);
        QCoreApplication::sendEvent(object, &event);
        ++fired;
        // The handler may have killed the timer (and a new one may have its id).
        const auto still = m_timers.find(id);
        if (still != m_timers.end())
            still->firing = false;
    }
    return fired;
}
