#pragma once

#include "core/outcome.h"
#include "core/poll.h"
#include "core/votecounts.h"

#include <QList>
#include <QObject>
#include <QStringList>
#include <functional>

// One storage node. All calls are made on the storage thread and answer through a
// callback on that thread, possibly before the call returns (embedded) or later
// (Redis). Calls on one shard take effect in the order they were made, which is
// what lets the VoteLedger keep reads exact.
class Shard : public QObject {
    Q_OBJECT
public:
    enum class State { Connecting, Up, Down, Open, HalfOpen };
    Q_ENUM(State)

    template <typename T> using Reply = std::function<void(Outcome<T>)>;

    using QObject::QObject;

    virtual QString name() const = 0;
    virtual QString kind() const = 0;
    virtual QString address() const = 0;
    virtual State state() const = 0;
    // Votes stored on this shard, as far as this instance knows.
    virtual qint64 storedVotes() const = 0;
    // A replicated group: how its master is found (empty for a single node), the
    // replicas its master lists, and the failovers seen (master changes) this run.
    virtual QString monitor() const { return {}; }
    virtual QStringList replicas() const { return {}; }
    virtual int failovers() const { return 0; }
    // Waits until `replicas` replicas hold every write made so far (at most `timeoutMs`);
    // answers how many do. A node without replicas answers at once with `replicas`.
    virtual void waitForReplicas(int replicas, int timeoutMs, Reply<int> done)
    {
        Q_UNUSED(timeoutMs);
        done(replicas);
    }

    virtual void open(Reply<bool> done) = 0;
    virtual void loadPolls(Reply<QList<Poll>> done) = 0;
    // Stores a poll; with `create`, fails with a conflict when the id exists.
    virtual void savePoll(const Poll &poll, bool create, Reply<bool> done) = 0;
    virtual void deletePoll(const QString &pollId, Reply<bool> done) = 0;
    // After a failover: writes back the record of a poll the new master lacks (its
    // creation was never replicated), keeping counts already there; false when the poll
    // is there or was deleted. A single node loses nothing to restore.
    virtual void restorePoll(const Poll &poll, Reply<bool> done)
    {
        Q_UNUSED(poll);
        done(false);
    }
    virtual void readCounts(const QString &pollId, Reply<StoredCounts> done) = 0;
    // Adds `counts` and records `sequence` as the instance's last applied batch, atomically.
    // `source` names this run of the instance for other instances' bookkeeping. Answers
    // how many of the votes were not counted because their poll was reset since.
    virtual void applyBatch(const QString &instance, const QString &source, quint64 sequence,
                            const PollCounts &counts, Reply<qint64> done) = 0;
    // Sends a message to other instances sharing this shard (no-op when none can).
    virtual void publish(const QByteArray &channel, const QByteArray &message)
    {
        Q_UNUSED(channel);
        Q_UNUSED(message);
    }
    // Records that `voterId` voted in the poll; false when it already had.
    virtual void claimVoter(const QString &pollId, const QString &voterId, Reply<bool> done) = 0;
    // Resets a poll to `poll` (its new generation and reset time): counts and voters are
    // gone and only batches of the new generation count from now on, atomically.
    // Fails with poll_not_found when the poll is not stored here.
    virtual void resetPoll(const Poll &poll, Reply<bool> done) = 0;
    // Forgets a claimed voter whose vote was refused after the claim.
    virtual void releaseVoter(const QString &pollId, const QString &voterId, Reply<bool> done) = 0;
    // The last batch sequence of `instance` applied here (0 when none).
    virtual void appliedSequence(const QString &instance, Reply<quint64> done) = 0;
    // At start: the last applied sequence, as appliedSequence(), and makes sure the next
    // one can never be applied any more. A batch of an earlier run of the instance that
    // is still on its way (a killed process's last write, processed late) then cannot
    // take the sequence number of a batch of this run. Embedded shards have no such
    // late writes.
    virtual void fenceSequence(const QString &instance, Reply<quint64> done)
    {
        appliedSequence(instance, std::move(done));
    }

    static QString stateName(State state);

Q_SIGNALS:
    void stateChanged(Shard::State state);
};
