#pragma once

#include "core/outcome.h"
#include "core/poll.h"

#include <QAtomicInt>
#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QMutex>
#include <QObject>
#include <QSet>
#include <QStringList>
#include <functional>
#include <optional>

class RedisShard;
class Shard;
class QTimer;

// Makes a poll reset exact across instances sharing Redis shards, on the storage thread.
//
// Leases: each instance holds a lease on every Redis shard (sorted set `tally:instances`:
// member the instance id, score the expiry on Redis's clock), renewed every quarter of
// --instance-lease. An instance that could not renew for three quarters of it is fenced:
// it refuses votes for that shard's polls until it renewed and read their generations
// again, so it never counts a vote in a generation a reset may have left meanwhile.
//
// Handshake. The resetting instance records the reset on the poll's shard
// (`poll:<id>:reset`, expiring), asks the others over Pub/Sub (repeated until it ends)
// and applies the reset only once every instance with a live lease has joined; the check
// and the reset are one script, so an instance whose lease starts later reads the new
// generation as it loads the poll. Joining: refuse the poll's votes, wait until every
// vote taken before is answered, then add itself to `poll:<id>:reset_acks`. A joined
// instance counts anew in the new generation once the resetting one has answered (it
// says so over Pub/Sub), or, without word, once the record is gone (finished, aborted,
// or expired after a crash): until then it refuses the poll's votes. Not every live
// instance joined within --reset-timeout: the reset is aborted and fails.
class ResetHandshake : public QObject {
    Q_OBJECT
public:
    struct Hooks {
        // Refuses the poll's votes; returns the reset serial, 0 when that cannot be done now.
        std::function<quint64(const QString &pollId)> holdVotes;
        // Takes votes again, in generation `resets` (with `resetAt`) if that is newer.
        std::function<void(const QString &pollId, quint64 serial, quint32 resets,
                           const QDateTime &resetAt)>
            release;
        // Runs `done` once every vote acknowledged so far has been answered.
        std::function<void(std::function<void(bool)> done)> afterPendingAcknowledgements;
        std::function<void(const QString &shard, const QByteArray &message)> publish;
        // Loads a shard's polls again; `done(ok)`.
        std::function<void(const QString &shard, std::function<void(bool)> done)> reload;
        // Whether the poll is known and its shard ready here.
        std::function<bool(const QString &pollId)> knows;
        // The poll's shard (storage thread).
        std::function<Shard *(const QString &pollId)> shardOf;
    };

    // `instanceId` holds the leases (a new run of an instance takes over its old lease);
    // `source` names this run in messages.
    ResetHandshake(const QString &instanceId, const QString &source, int leaseMs, int timeoutMs,
                   Hooks hooks, QObject *parent = nullptr);

    // Whether resets on this shard go through the handshake (Redis shards).
    static bool handles(Shard *shard);

    // Leases. Takes the lease on a shard before its polls are loaded.
    void acquire(Shard *shard, std::function<void(std::optional<TallyError>)> done);
    // Renews every shard's lease from now on.
    void start(const QList<Shard *> &shards);
    // Any thread: whether votes for this shard's polls must be refused.
    bool isFenced(const QString &shardName) const;
    // Gives the leases up (a stopping instance holds no reset up); `done` when answered.
    void release(std::function<void()> done);

    // The resetting side: `reset` is the poll as it will be stored. `done` once applied,
    // or with the error (a move refusal, reset_in_progress, reset_incomplete).
    void run(const Poll &marked, const Poll &reset, std::function<void(Outcome<bool>)> done);
    // The reset `serial` (the poll's `resetting` number) was answered: the others count anew.
    void finish(const QString &pollId, quint64 serial);

    // A "reset" message from another instance.
    void onMessage(const QJsonObject &message);

    static QByteArray resetKey(const QString &pollId);
    static QByteArray acksKey(const QString &pollId);

private:
    struct Lease {
        Shard *shard = nullptr;
        qint64 deadline = 0; // on m_clock; fenced after it
        bool renewing = false;
        bool reloading = false;
        bool fenced = true;
    };
    struct Run {
        Poll marked;
        Poll reset;
        RedisShard *shard = nullptr;
        QString ticket;
        QElapsedTimer started;
        QTimer *tick = nullptr;
        bool applying = false;
        QStringList missing;
        std::function<void(Outcome<bool>)> done;
    };
    struct Joined {
        QString ticket;
        quint64 serial = 0;
        bool acked = false;
        bool asking = false;
    };

    void renew(Lease &lease, std::function<void(std::optional<TallyError>)> done = {});
    void checkLeases();
    void setFenced(Lease &lease, bool fenced);
    void tryApply(const QString &pollId);
    void endRun(const QString &pollId, Outcome<bool> outcome);
    void publishPhase(const QString &shard, const QJsonObject &reset);
    void join(const QString &pollId, const QString &ticket);
    // Joined: adds itself (when `ack`) and learns where the reset stands.
    void ask(const QString &pollId, bool ack);
    void conclude(const QString &pollId, quint32 resets, const QDateTime &resetAt);
    void checkJoined();
    RedisShard *redisOf(const QString &pollId) const;

    const QString m_instanceId;
    const QString m_source;
    const int m_leaseMs;
    const int m_timeoutMs;
    Hooks m_hooks;
    QElapsedTimer m_clock;
    QHash<QString, Lease> m_leases; // shard name -> lease
    QHash<QString, Run> m_runs;     // poll id -> this instance's reset of it
    struct Answered {
        QString ticket;
        QString shard;
        quint64 serial = 0;
    };
    QHash<QString, Answered> m_answered; // poll id -> its applied reset, to finish
    QHash<QString, Joined> m_joined;     // poll id -> another instance's reset this one joined
    QTimer *m_joinedTimer;
    quint64 m_nextTicket = 0;

    mutable QMutex m_fenceMutex;
    QSet<QString> m_fenced;
    QAtomicInt m_fencedCount = 0;
};
