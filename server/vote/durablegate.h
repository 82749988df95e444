#pragma once

#include <QObject>
#include <functional>
#include <map>

// Holds a worker's acknowledgements until the journal says their votes are on disk.
// Lives on the worker's thread; with no journal (or async durability) it runs every
// callback at once.
class DurableGate : public QObject {
    Q_OBJECT
public:
    explicit DurableGate(bool waitForJournal, QObject *parent = nullptr)
        : QObject(parent), m_wait(waitForJournal)
    {
    }

    bool waits() const { return m_wait; }
    // Runs `acknowledge` once journal record `sequence` of this worker is durable.
    void after(quint64 sequence, std::function<void()> acknowledge);
    // From the journal: every record up to `sequence` is durable.
    void reached(quint64 sequence);

private:
    bool m_wait;
    quint64 m_durable = 0;
    std::multimap<quint64, std::function<void()>> m_waiting;
};
