#pragma once

#include "shardtestkit.h"

#include <QMutex>
#include <QStringList>
#include <QThread>
#include <QUrl>
#include <QWaitCondition>

// A client that keeps voting from its own thread (with its own HttpClient) until
// finished, cycling through `pattern`, `perRound` concurrent votes at a time, and
// records every vote the server acknowledged with 202. hold() parks it between two
// rounds so that a test can compare counts while nothing is in motion.
class Voter : public QThread {
public:
    Voter(const QUrl &url, const QList<Vote> &pattern, int perRound = 20);
    ~Voter() override;

    // Returns once the voter is parked (or not running).
    void hold();
    void release();
    // Stops after the current round and waits for the thread.
    void finish();
    // Waits until at least `rounds` more rounds were answered.
    bool waitRounds(int rounds, int timeoutMs = 10000);

    PollVotes acknowledged() const;
    qint64 acknowledgedTotal() const;
    // 503 "overloaded" answers (a vote not taken, so not counted anywhere).
    qint64 overloaded() const;
    // Descriptions of any other answer.
    QStringList unexpected() const;

protected:
    void run() override;

private:
    const QUrl m_url;
    const QList<Vote> m_pattern;
    const int m_perRound;
    mutable QMutex m_mutex;
    QWaitCondition m_condition;
    bool m_stop = false;
    bool m_holdRequested = false;
    bool m_held = false;
    int m_rounds = 0;
    PollVotes m_acknowledged;
    qint64 m_overloaded = 0;
    QStringList m_unexpected;
};
