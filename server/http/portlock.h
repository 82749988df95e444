#pragma once

#include "core/processlock.h"

#include <QHostAddress>
#include <QString>
#include <memory>

// Keeps a second Tally from silently sharing a listening address: with SO_REUSEPORT
// (which the workers need) the kernel lets it bind and then splits connections between
// the two. One lock file per address and port in the temporary directory; instances on
// different addresses of one port (127.0.0.1 and 127.0.0.2) coexist, while a wildcard
// address (0.0.0.0, ::) conflicts with every address of its port.
class PortLock {
public:
    // False (with `error` naming the holder, and its process id in `holderPid`) when
    // another live Tally holds an overlapping address on `port`.
    bool acquire(const QHostAddress &address, quint16 port, QString *error,
                 qint64 *holderPid = nullptr);

    static QString path(const QHostAddress &address, quint16 port);

private:
    std::unique_ptr<ProcessLock> m_lock;
};
