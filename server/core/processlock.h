#pragma once

#include <QString>

// An exclusive lock on a file, held by this process until it is destroyed or unlocked.
// The kernel's flock() does the locking, so a lock dies with its process: a file left by
// a killed Tally, empty or naming a dead pid, is free to take. (QLockFile judges a
// leftover file by the pid written in it, and a process killed between creating the file
// and writing its pid leaves one that it never considers stale.) The file holds the
// holder's pid so that a refused process can name it.
class ProcessLock {
public:
    enum class Result { Acquired, Held, Failed };

    explicit ProcessLock(QString path);
    ~ProcessLock();
    ProcessLock(const ProcessLock &) = delete;
    ProcessLock &operator=(const ProcessLock &) = delete;

    // Never waits. Held: another open lock has the file (holderPid() names its process
    // when it wrote its pid already, else 0). Failed: the file cannot be opened or written
    // (errorString() says why).
    Result tryLock();
    // Removes the file, then lets the lock go.
    void unlock();

    bool isLocked() const { return m_fd >= 0; }
    const QString &path() const { return m_path; }
    qint64 holderPid() const { return m_holderPid; }
    const QString &errorString() const { return m_error; }

    // The pid of the live process holding `path`: 0 when nobody holds it, -1 when someone
    // does but has not written its pid yet. A free leftover file is removed.
    static qint64 holder(const QString &path);

private:
    QString m_path;
    QString m_error;
    qint64 m_holderPid = 0;
    int m_fd = -1;
};
