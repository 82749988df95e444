#pragma once

#include <QElapsedTimer>
#include <QObject>

class QTimer;

// Measures how late the GUI thread's event loop runs a 10 ms timer: the console's
// responsiveness while it is busy (e.g. during a vote burst).
class LagMeter : public QObject {
    Q_OBJECT
public:
    static constexpr int IntervalMs = 10;

    explicit LagMeter(QObject *parent = nullptr);

    void start();
    void stop();
    bool isRunning() const;
    double maxMs() const { return m_maxMs; }
    double averageMs() const { return m_samples > 0 ? m_sumMs / double(m_samples) : 0.0; }
    int samples() const { return m_samples; }

private:
    void tick();

    QTimer *m_timer;
    QElapsedTimer m_clock;
    qint64 m_lastNs = 0;
    double m_maxMs = 0;
    double m_sumMs = 0;
    int m_samples = 0;
};
