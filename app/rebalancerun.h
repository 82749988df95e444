#pragma once

#include "core/config.h"

#include <QObject>

class TallyServer;
class QTimer;

// `tally --rebalance`: starts a headless instance on the configured storage, moves the
// polls whose shard is not the ring's choice, prints the progress and stops.
// finished(0) when every poll moved, 1 when some could not be, 2 when it could not run.
class RebalanceRun : public QObject {
    Q_OBJECT
public:
    explicit RebalanceRun(const Config &config, QObject *parent = nullptr);
    void start();

Q_SIGNALS:
    void finished(int exitCode);

private:
    void begin();
    void report();
    void end(int exitCode);

    TallyServer *m_server;
    QTimer *m_progressTimer;
    int m_exitCode = 0;
    bool m_ending = false;
};
