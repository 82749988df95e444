#pragma once

#include <QtGlobal>

// The standard process figures Prometheus clients export, read from /proc (Linux).
// A figure that cannot be read is negative.
struct ProcessMetrics {
    double cpuSeconds = -1; // user + system
    double residentBytes = -1;
    double virtualBytes = -1;
    double openFds = -1;
    double maxFds = -1;
    double startTimeSeconds = -1; // since the Unix epoch
    double threads = -1;

    static ProcessMetrics read();
};
