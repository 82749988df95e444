#pragma once

#include <QAbstractEventDispatcher>
#include <QHash>
#include <atomic>
#include <set>
#include <utility>

// An event dispatcher for the HTTP worker threads, on epoll.
//
// Qt's UNIX dispatcher hands poll() the whole list of a thread's socket notifiers on
// every turn of the loop and walks it again afterwards, so each wake-up of a worker
// costs time in proportion to its open sockets: with thousands of live WebSocket
// subscribers, that scan was half of a worker's CPU. Here the kernel keeps the
// interest list, and a turn costs what became ready.
//
// Semantics follow QEventDispatcherUNIX: posted events first, then the ready socket
// notifiers (a notifier unregistered meanwhile is skipped), then the due timers (each
// timer at most once per turn, never inside its own handler, never early). Timers of
// every type are kept to the millisecond.
class EpollDispatcher : public QAbstractEventDispatcher {
    Q_OBJECT
public:
    explicit EpollDispatcher(QObject *parent = nullptr);
    ~EpollDispatcher() override;

    bool processEvents(QEventLoop::ProcessEventsFlags flags) override;

    void registerSocketNotifier(QSocketNotifier *notifier) override;
    void unregisterSocketNotifier(QSocketNotifier *notifier) override;

    void registerTimer(int timerId, qint64 interval, Qt::TimerType timerType,
                       QObject *object) override;
    bool unregisterTimer(int timerId) override;
    bool unregisterTimers(QObject *object) override;
    QList<TimerInfo> registeredTimers(QObject *object) const override;
    int remainingTime(int timerId) override;

    void wakeUp() override;
    void interrupt() override;

    // Socket notifiers and timers registered now (for tests).
    int notifierCount() const;
    int timerCount() const { return int(m_timers.size()); }

private:
    struct Watch {
        QSocketNotifier *read = nullptr;
        QSocketNotifier *write = nullptr;
        QSocketNotifier *exception = nullptr;
        bool inEpoll = false;
    };
    struct Timer {
        int id = 0;
        qint64 intervalMs = 0;
        Qt::TimerType type = Qt::CoarseTimer;
        QObject *object = nullptr;
        qint64 deadlineUs = 0; // CLOCK_MONOTONIC
        bool firing = false;
    };

    void updateInterest(int fd, Watch &watch);
    int activateNotifiers(const struct epoll_event *events, int count);
    int activateTimers();
    int waitTimeoutMs(bool canWait) const;
    void schedule(Timer &timer, qint64 deadlineUs);
    void drainWakeUps();

    int m_epoll = -1;
    int m_wakeFd = -1;
    std::atomic<bool> m_interrupted{false};
    std::atomic<bool> m_wakeUpPending{false};
    QHash<int, Watch> m_watches;                  // by file descriptor
    QHash<int, Timer> m_timers;                   // by timer id
    std::set<std::pair<qint64, int>> m_deadlines; // (deadline in us, timer id), soonest first
};
