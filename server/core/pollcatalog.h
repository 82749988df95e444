#pragma once

#include "outcome.h"
#include "poll.h"

#include <QHash>
#include <QList>
#include <QReadWriteLock>

// The in-memory index of every poll, read by all HTTP workers on the hot path and
// written by the storage thread once a change is stored on the poll's shard.
class PollCatalog {
public:
    struct Theme {
        QString name;
        int polls = 0;
    };

    std::optional<Poll> find(const QString &id) const;
    bool contains(const QString &id) const;
    // Checks that a vote may be cast; returns the option index.
    Outcome<int> validateVote(const QString &pollId, QStringView optionId) const;
    // Shard holding a poll, or empty when unknown.
    QString shardOf(const QString &id) const;
    // Option count of a poll, or -1 when unknown.
    int optionCount(const QString &id) const;

    // Polls sorted by creation time (oldest first); empty filters match everything.
    QList<Poll> list(const QString &theme = {}, const QString &status = {}) const;
    QList<Theme> themes() const;
    int size() const;
    QHash<QString, int> pollsPerShard() const;

    void upsert(const Poll &poll);
    bool remove(const QString &id);
    void clear();

private:
    mutable QReadWriteLock m_lock;
    QHash<QString, Poll> m_polls;
};
