#pragma once

#include "outcome.h"
#include "poll.h"

#include <QHash>
#include <QList>
#include <QReadWriteLock>
#include <memory>

// The in-memory index of every poll, read by all HTTP workers on the hot path and
// written by the storage thread once a change is stored on the poll's shard.
//
// Each poll is held as an immutable snapshot: a change replaces the snapshot, so a
// reader that took one sees a consistent poll (options, status, shard) for as long as
// it keeps it, whatever changes land meanwhile. Code that judges a poll and then acts
// on it takes one snapshot and never looks the poll up a second time.
class PollCatalog {
public:
    using Snapshot = std::shared_ptr<const Poll>;

    struct Theme {
        QString name;
        int polls = 0;
    };

    std::optional<Poll> find(const QString &id) const;
    // The poll as it is now, or null when unknown.
    Snapshot snapshot(const QString &id) const;
    bool contains(const QString &id) const;
    // Checks that a vote for `optionId` may be cast in `poll`; returns the option index.
    static Outcome<int> validateVote(const Snapshot &poll, const QString &pollId,
                                     QStringView optionId);
    // The same against the poll as it is now. A caller that goes on to count the vote
    // must use the snapshot it was judged against instead.
    Outcome<int> validateVote(const QString &pollId, QStringView optionId) const
    {
        return validateVote(snapshot(pollId), pollId, optionId);
    }
    // Option count of a poll, or -1 when unknown.
    int optionCount(const QString &id) const
    {
        const Snapshot poll = snapshot(id);
        return poll ? int(poll->options.size()) : -1;
    }
    // Runs `use` with the poll's current snapshot (null when unknown) while no change to
    // the catalog can land. Whatever `use` records for the poll (a buffered vote) is
    // therefore recorded before a later delete, which drops the poll's pending votes
    // after removing it here. `use` must not call back into the catalog.
    template <typename Use> decltype(auto) whileCurrent(const QString &id, Use &&use) const
    {
        QReadLocker locker(&m_lock);
        return use(m_polls.value(id));
    }
    // Shard holding a poll, or empty when unknown.
    QString shardOf(const QString &id) const;

    // Polls sorted by creation time (oldest first); empty filters match everything.
    QList<Poll> list(const QString &theme = {}, const QString &status = {}) const;
    // Every poll as it is now, in no particular order, without copying any.
    QList<Snapshot> snapshots() const;
    QList<Theme> themes() const;
    int size() const;
    QHash<QString, int> pollsPerShard() const;

    void upsert(const Poll &poll);
    bool remove(const QString &id);
    void clear();

private:
    mutable QReadWriteLock m_lock;
    QHash<QString, Snapshot> m_polls;
};
