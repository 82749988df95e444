#pragma once

#include "servercontext.h"

#include <QObject>
#include <QPointer>
#include <functional>

class DurableGate;

// What a controller needs from the worker it runs in: the shared server state, the
// index of the worker's vote buffer, and an object living on the worker's thread
// to bring storage replies back to it.
struct WorkerScope {
    ServerContext server;
    int workerIndex = 0;
    QObject *thread = nullptr;
    DurableGate *durable = nullptr;

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
