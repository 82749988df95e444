#pragma once

#include <QObject>
#include <QPointer>
#include <functional>

// What a controller needs from the worker it runs in: an object living on the
// worker's thread to bring storage replies back to it.
struct WorkerScope {
    QObject *thread = nullptr;

    // Wraps `handler` so that, called on any thread, it runs on the worker's thread.
    template <typename Arg>
    std::function<void(Arg)> onWorker(std::function<void(Arg)> handler) const
    {
        QPointer<QObject> target = thread;
        return [target, handler = std::move(handler)](Arg value) {
            if (target)
                QMetaObject::invokeMethod(
                    target.data(), [handler, value = std::move(value)] { handler(value); },
                    Qt::QueuedConnection);
        };
    }
};
