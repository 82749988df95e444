#pragma once

#include "core/outcome.h"

#include <QString>

// Listening sockets built by hand with SO_REUSEPORT so that every HTTP worker can
// accept on the same port (QTcpServer cannot set that option itself in Qt 6.4).
class ListenSocket {
public:
    // Returns the descriptor of a socket bound to address:port and listening.
    static Outcome<int> open(const QString &address, quint16 port);
    static quint16 boundPort(int descriptor);
    static void close(int descriptor);
};
