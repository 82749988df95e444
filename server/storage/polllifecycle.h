#pragma once

#include "core/outcome.h"
#include "core/poll.h"

#include <QHash>
#include <QJsonObject>
#include <QList>
#include <QObject>
#include <QPointer>
#include <QSet>
#include <functional>

class Journal;
class ResetHandshake;
class Shard;
class PollCatalog;
class ShardRouter;
class VoteLedger;

// Polls created and changed on the storage thread: open and close (by hand or at their
// close time), reveal, and reset. A change is saved on the poll's shard before the
// catalog and subscribers see it.
class PollLifecycle : public QObject {
    Q_OBJECT
public:
    template <typename T> using Reply = std::function<void(Outcome<T>)>;

    // What it needs of the storage engine that owns it.
    struct Hooks {
        std::function<bool(const QString &shard)> shardReady;
        // Drops votes of the poll (only those under the count key, when given) from
        // batches not yet sent.
        std::function<void(const QString &pollId, const QString &onlyKey)> stripUnsent;
        std::function<void()> shardsChanged;
        // A change refused because the poll moved to another shard: adopts the move;
        // true when the poll lives on another shard of this instance now.
        std::function<bool(const TallyError &refusal, const QString &pollId)> adoptMoves;
        // Accepted votes dropped unstored (ServerStats::votesDiscarded).
        std::function<void(qint64 votes)> discarded;
        // For the reset handshake (see ResetHandshake::Hooks).
        std::function<void(const QString &shard, const QByteArray &message)> publish;
        std::function<void(const QString &shard, std::function<void(bool)> done)> reload;
        std::function<Shard *(const QString &pollId)> shardOf;
    };
    // This instance, for the reset handshake of polls on shards other instances share.
    struct Instance {
        QString id;
        QString source;
        int leaseMs = 0;
        int resetTimeoutMs = 0;
        bool sharesShards = false; // Redis shards: resets wait for every live instance
    };

    PollLifecycle(PollCatalog &catalog, VoteLedger &ledger, ShardRouter &router, Journal *journal,
                  const Instance &instance, Hooks hooks, QObject *parent = nullptr);

    // Starts closing polls whose close time has come.
    void start();
    // Places a new poll by the ring and saves it on its shard.
    void create(const Poll &draft, Reply<Poll> reply);
    // Deletes the poll on its shard, then forgets it and its unsent votes here.
    void remove(const QString &pollId, Reply<bool> reply);
    // Whether a delete of the poll waits for its shard: its unsent batches wait too.
    bool isDeleting(const QString &pollId) const { return m_deleting.contains(pollId); }
    void setOpen(const QString &pollId, bool open, Reply<Poll> reply);
    void reveal(const QString &pollId, Reply<Poll> reply);
    // Sets every count of the poll to zero and forgets its voters. Votes judged before
    // are discarded wherever they are (buffer, batch, journal, shard); votes arriving
    // while the reset takes effect are refused (poll_resetting) until endReset(), which
    // the caller makes once it has answered, so that every vote acknowledged after
    // that answer counts and none acknowledged before does.
    void reset(const QString &pollId, Reply<Poll> reply);
    // Any thread (the catalog is thread-safe). `serial`: the `resetting` number of the
    // poll the reset answered with; a later reset is left alone.
    void endReset(const QString &pollId, quint64 serial);
    void setWorkerThreads(const QList<QObject *> &workers);
    // Leases and resets across instances; owned by this object.
    ResetHandshake &handshake() const { return *m_handshake; }

    // Another instance's reset: refuses the poll's votes; the serial, or 0 when the poll
    // is unknown or being reset here.
    quint64 holdVotes(const QString &pollId);
    // Ends holdVotes(); with a newer generation, the poll counts in it from now on.
    void releaseVotes(const QString &pollId, quint64 serial, quint32 resets,
                      const QDateTime &resetAt);
    // Runs `done` once every vote acknowledged so far has been answered by its worker.
    void afterPendingAcknowledgements(const std::function<void(bool)> &done);

Q_SIGNALS:
    void pollEvent(const QString &type, const QJsonObject &poll);

private:
    // Saves a changed poll on its shard, then publishes it (catalog and poll_updated).
    void save(const Poll &changed, Reply<Poll> reply);
    // Timer: closes open polls whose close time has come.
    void closeDue();
    void applyReset(const Poll &marked, Reply<Poll> reply);

    PollCatalog &m_catalog;
    VoteLedger &m_ledger;
    ShardRouter &m_router;
    Journal *m_journal; // optional, outlives this object
    Hooks m_hooks;
    ResetHandshake *m_handshake;
    bool m_sharesShards;
    QList<QPointer<QObject>> m_workerThreads;
    QSet<QString> m_closing; // polls whose timed close is being saved
    quint64 m_lastResetSerial = 0;
    QHash<QString, int> m_deleting; // poll id -> deletes waiting for their shard
};
