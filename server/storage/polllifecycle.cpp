#include "polllifecycle.h"
#include "core/logcategories.h"
#include "core/pollcatalog.h"
#include "core/tallyerror.h"
#include "core/voteledger.h"
#include "journal.h"
#include "resethandshake.h"
#include "shard.h"
#include "shardrouter.h"

#include <QDateTime>
#include <QTimer>
#include <memory>

namespace {
// Timed closes: votes stop at the close time itself (Poll::isOpenAt); this records the
// close (and tells subscribers) within a quarter second, on every instance.
constexpr int CloseCheckMs = 250;
// Should a reset's answer never be confirmed, votes are taken again after this anyway.
constexpr int ResetAnswerMs = 2000;
} // namespace

PollLifecycle::PollLifecycle(PollCatalog &catalog, VoteLedger &ledger, ShardRouter &router,
                             Journal *journal, const Instance &instance, Hooks hooks,
                             QObject *parent)
    : QObject(parent), m_catalog(catalog), m_ledger(ledger), m_router(router), m_journal(journal),
      m_hooks(std::move(hooks)),
      m_handshake(new ResetHandshake(
          instance.id, instance.source, instance.leaseMs, instance.resetTimeoutMs,
          {[this](const QString &pollId) { return holdVotes(pollId); },
           [this](const QString &pollId, quint64 serial, quint32 resets, const QDateTime &resetAt) {
               releaseVotes(pollId, serial, resets, resetAt);
           },
           [this](std::function<void(bool)> done) { afterPendingAcknowledgements(done); },
           m_hooks.publish, m_hooks.reload,
           [this](const QString &pollId) {
               const PollCatalog::Snapshot poll = m_catalog.snapshot(pollId);
               return poll && m_hooks.shardReady(poll->shard);
           },
           m_hooks.shardOf},
          this)),
      m_sharesShards(instance.sharesShards)
{
}

void PollLifecycle::start()
{
    auto *closer = new QTimer(this);
    connect(closer, &QTimer::timeout, this, &PollLifecycle::closeDue);
    closer->start(CloseCheckMs);
    closeDue();
}

void PollLifecycle::create(const Poll &draft, Reply<Poll> reply)
{
    if (m_catalog.contains(draft.id)) {
        reply(TallyError::conflict(
            QStringLiteral("poll_exists"),
            QStringLiteral("A poll with id '%1' already exists.").arg(draft.id)));
        return;
    }
    Poll poll = draft;
    poll.shard = m_router.shardNameFor(poll.id);
    poll.createdAt = QDateTime::currentDateTimeUtc();
    if (!m_hooks.shardReady(poll.shard)) {
        reply(TallyError::unavailable(
            QStringLiteral("shard_unavailable"),
            QStringLiteral("Shard %1, where poll '%2' belongs, has not been reached yet.")
                .arg(poll.shard, poll.id)));
        return;
    }
    m_router.shard(poll.shard)->savePoll(poll, true, [this, poll, reply](Outcome<bool> saved) {
        if (!saved) {
            reply(saved.error());
            return;
        }
        m_catalog.upsert(poll);
        Q_EMIT pollEvent(QStringLiteral("poll_created"), poll.toJson());
        reply(poll);
    });
}

void PollLifecycle::remove(const QString &pollId, Reply<bool> reply)
{
    const std::optional<Poll> poll = m_catalog.find(pollId);
    if (!poll) {
        reply(TallyError::pollNotFound(pollId));
        return;
    }
    // Batches already sent are ordered before the delete on the shard. Batches not yet
    // sent that hold the poll's votes wait (isDeleting) until the shard answers: once it
    // confirms, their votes go with the poll; when the delete fails, the poll stays and
    // so do its acknowledged votes.
    ++m_deleting[pollId];
    m_router.shard(poll->shard)->deletePoll(pollId, [this, pollId, reply](Outcome<bool> deleted) {
        if (--m_deleting[pollId] == 0)
            m_deleting.remove(pollId);
        if (deleted) {
            qint64 dropped = 0;
            if (const PollCatalog::Snapshot gone = m_catalog.snapshot(pollId))
                dropped += m_ledger.forget(gone->countKey());
            m_catalog.remove(pollId);
            dropped += m_ledger.forget(pollId);
            m_hooks.discarded(dropped);
            m_hooks.stripUnsent(pollId, QString());
            m_hooks.shardsChanged();
            Q_EMIT pollEvent(QStringLiteral("poll_deleted"),
                             QJsonObject{{QStringLiteral("id"), pollId}});
        }
        reply(deleted);
    });
}

void PollLifecycle::setOpen(const QString &pollId, bool open, Reply<Poll> reply)
{
    std::optional<Poll> poll = m_catalog.find(pollId);
    if (!poll) {
        reply(TallyError::pollNotFound(pollId));
        return;
    }
    poll->open = open;
    // Opened again after its close time: it stays open until closed by hand.
    if (open && poll->closesAt.isValid() && !poll->isOpen())
        poll->closesAt = QDateTime();
    save(*poll, reply);
}

void PollLifecycle::reveal(const QString &pollId, Reply<Poll> reply)
{
    std::optional<Poll> poll = m_catalog.find(pollId);
    if (!poll) {
        reply(TallyError::pollNotFound(pollId));
        return;
    }
    poll->visibility = Poll::Visibility::Always;
    save(*poll, reply);
}

void PollLifecycle::save(const Poll &changed, Reply<Poll> reply)
{
    Poll updated = changed;
    updated.resetting = 0;
    m_router.shard(updated.shard)
        ->savePoll(updated, false, [this, updated, reply](Outcome<bool> saved) {
            if (!saved && m_hooks.adoptMoves(saved.error(), updated.id)) {
                // Moved meanwhile: the change goes to the poll's new shard.
                Poll moved = updated;
                moved.shard = m_catalog.shardOf(updated.id);
                if (const PollCatalog::Snapshot current = m_catalog.snapshot(updated.id))
                    moved.placement = current->placement;
                save(moved, reply);
                return;
            }
            if (!saved) {
                reply(saved.error());
                return;
            }
            // A reset under way keeps refusing votes until it ends.
            const PollCatalog::Snapshot current = m_catalog.snapshot(updated.id);
            Poll published = updated;
            published.resetting = current ? current->resetting : 0;
            m_catalog.upsert(published);
            Q_EMIT pollEvent(QStringLiteral("poll_updated"), updated.toJson());
            reply(updated);
        });
}

void PollLifecycle::closeDue()
{
    // Runs four times a second whatever the number of polls: it copies none of them.
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const PollCatalog::Snapshot &snapshot : m_catalog.snapshots()) {
        const Poll &poll = *snapshot;
        if (!poll.open || !poll.closesAt.isValid() || poll.closesAt > now ||
            m_closing.contains(poll.id) || !m_hooks.shardReady(poll.shard))
            continue;
        Poll closed = poll;
        closed.open = false;
        m_closing.insert(poll.id);
        save(closed, [this, id = poll.id](Outcome<Poll> saved) {
            m_closing.remove(id);
            if (!saved)
                qCWarning(lcStorage, "Poll %s: its timed close could not be saved (%s); retrying",
                          qPrintable(id), qPrintable(saved.error().message));
        });
    }
}

void PollLifecycle::setWorkerThreads(const QList<QObject *> &workers)
{
    m_workerThreads.clear();
    for (QObject *worker : workers)
        m_workerThreads.append(worker);
}

void PollLifecycle::afterPendingAcknowledgements(const std::function<void(bool)> &done)
{
    // Each worker hears of its durable records before the barrier answers, and answers
    // its votes as it hears; a task queued on each worker after that runs once those
    // answers are out.
    const auto visitWorkers = [this, done] {
        auto remaining = std::make_shared<int>(int(m_workerThreads.size()));
        if (*remaining == 0) {
            done(true);
            return;
        }
        QPointer<PollLifecycle> self(this);
        for (const QPointer<QObject> &worker : std::as_const(m_workerThreads))
            QMetaObject::invokeMethod(worker.data(), [self, remaining, done] {
                if (self)
                    QMetaObject::invokeMethod(self.data(), [remaining, done] {
                        if (--*remaining == 0)
                            done(true);
                    });
            });
    };
    if (!m_journal) {
        visitWorkers();
        return;
    }
    m_journal->barrier(this, [visitWorkers, done](bool written) {
        if (written)
            visitWorkers();
        else
            done(false);
    });
}

void PollLifecycle::reset(const QString &pollId, Reply<Poll> reply)
{
    const PollCatalog::Snapshot poll = m_catalog.snapshot(pollId);
    if (!poll) {
        reply(TallyError::pollNotFound(pollId));
        return;
    }
    if (poll->resetting) {
        reply(
            TallyError::conflict(QStringLiteral("reset_in_progress"),
                                 QStringLiteral("Poll '%1' is being reset already.").arg(pollId)));
        return;
    }
    if (!m_hooks.shardReady(poll->shard)) {
        reply(TallyError::unavailable(
            QStringLiteral("shard_unavailable"),
            QStringLiteral("Shard %1 of poll '%2' has not been reached yet.")
                .arg(poll->shard, pollId)));
        return;
    }
    // From here on votes for the poll are refused; every vote judged before is in a
    // worker's buffer with its journal record (the catalog's write lock saw to it).
    Poll marked = *poll;
    marked.resetting = ++m_lastResetSerial;
    m_catalog.upsert(marked);
    afterPendingAcknowledgements([this, marked, reply](bool ok) {
        if (ok) {
            applyReset(marked, reply);
            return;
        }
        endReset(marked.id, marked.resetting);
        reply(TallyError::unavailable(
            QStringLiteral("journal_unavailable"),
            QStringLiteral("The journal cannot be written; the poll was not reset.")));
    });
}

void PollLifecycle::applyReset(const Poll &marked, Reply<Poll> reply)
{
    Poll reset = marked;
    reset.resetting = 0;
    reset.resets = marked.resets + 1;
    reset.resetAt = QDateTime::currentDateTimeUtc();
    const QString oldKey = marked.countKey();
    // One atomic step on the shard: counts and voters go, and batches of the old
    // generation (buffered, in flight, journaled, or from another instance) no longer count.
    // Shared with other instances, the step waits until each of them holds the poll's votes.
    Shard *shard = m_router.shard(reset.shard);
    const auto resetOnShard = [this, shard, marked](const Poll &poll, Shard::Reply<bool> done) {
        if (m_sharesShards && ResetHandshake::handles(shard))
            m_handshake->run(marked, poll, std::move(done));
        else
            shard->resetPoll(poll, std::move(done));
    };
    resetOnShard(reset, [this, marked, reset, oldKey, reply](Outcome<bool> done) {
        if (!done && m_hooks.adoptMoves(done.error(), marked.id)) {
            // Moved meanwhile (the move carried the poll's generation): reset it there.
            Poll moved = marked;
            moved.shard = m_catalog.shardOf(marked.id);
            if (const PollCatalog::Snapshot current = m_catalog.snapshot(marked.id))
                moved.placement = current->placement;
            applyReset(moved, reply);
            return;
        }
        if (!done) {
            endReset(marked.id, marked.resetting);
            reply(done.error());
            return;
        }
        m_hooks.discarded(m_ledger.forget(oldKey));
        m_hooks.stripUnsent(marked.id, oldKey);
        Poll published = reset;
        published.resetting = marked.resetting; // until the caller has answered
        m_catalog.upsert(published);
        Q_EMIT pollEvent(QStringLiteral("poll_updated"), reset.toJson());
        QTimer::singleShot(ResetAnswerMs, this, [this, id = reset.id, serial = marked.resetting] {
            endReset(id, serial);
        });
        m_hooks.shardsChanged();
        reply(published);
    });
}

void PollLifecycle::endReset(const QString &pollId, quint64 serial)
{
    if (m_sharesShards)
        QMetaObject::invokeMethod(m_handshake, [handshake = m_handshake, pollId, serial] {
            handshake->finish(pollId, serial);
        });
    const PollCatalog::Snapshot poll = m_catalog.snapshot(pollId);
    if (!poll || poll->resetting != serial)
        return;
    Poll ended = *poll;
    ended.resetting = 0;
    m_catalog.upsert(ended);
}

quint64 PollLifecycle::holdVotes(const QString &pollId)
{
    const PollCatalog::Snapshot poll = m_catalog.snapshot(pollId);
    if (!poll || poll->resetting)
        return 0;
    Poll held = *poll;
    held.resetting = ++m_lastResetSerial;
    m_catalog.upsert(held);
    return held.resetting;
}

void PollLifecycle::releaseVotes(const QString &pollId, quint64 serial, quint32 resets,
                                 const QDateTime &resetAt)
{
    const PollCatalog::Snapshot poll = m_catalog.snapshot(pollId);
    if (!poll || poll->resetting != serial)
        return;
    Poll released = *poll;
    released.resetting = 0;
    if (resets <= poll->resets) {
        m_catalog.upsert(released); // aborted: the poll counts on as it did
        return;
    }
    const QString oldKey = poll->countKey();
    released.resets = resets;
    released.resetAt = resetAt;
    m_catalog.upsert(released);
    m_hooks.discarded(m_ledger.forget(oldKey));
    m_hooks.stripUnsent(pollId, oldKey);
    m_hooks.shardsChanged();
    Q_EMIT pollEvent(QStringLiteral("poll_updated"), released.toJson());
}
