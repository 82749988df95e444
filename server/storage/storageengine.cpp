#include "storageengine.h"
#include "core/logcategories.h"
#include "core/pollcatalog.h"
#include "core/requestparser.h"
#include "core/serverstats.h"
#include "core/voteledger.h"
#include "embeddedshard.h"
#include "journal.h"
#include "redisshard.h"

#include <QDir>
#include <QPointer>
#include <QSet>
#include <QRandomGenerator>
#include <QThread>
#include <QTimer>

namespace {

QStringList shardNames(const Config &config)
{
    QStringList names;
    const QList<Config::RedisNode> nodes = config.redisNodes();
    for (const Config::RedisNode &node : nodes)
        names.append(node.name);
    if (names.isEmpty())
        for (int i = 0; i < config.embeddedShards(); ++i)
            names.append(QStringLiteral("shard-%1").arg(i));
    return names;
}

// Backoff for a failing shard: 50 ms doubling to 5 s, with up to 25% jitter so
// several instances do not retry in lockstep.
int retryDelayMs(int failures)
{
    const int base = std::min(5000, 50 << std::min(failures, 7));
    return base + int(QRandomGenerator::global()->bounded(base / 4 + 1));
}

} // namespace

StorageEngine::StorageEngine(const Config &config, const QString &instanceId,
                             PollCatalog &catalog, VoteLedger &ledger, ServerStats &stats,
                             Journal *journal, QObject *parent)
    : QObject(parent), m_journal(journal), m_config(config), m_instanceId(instanceId),
      m_source(instanceId + u'@' + QString::number(QRandomGenerator::global()->generate(), 36)), m_catalog(catalog),
      m_ledger(ledger), m_stats(stats), m_router(shardNames(config), config.virtualNodes())
{
}

StorageEngine::~StorageEngine() = default;

void StorageEngine::start()
{
    QMetaObject::invokeMethod(this, &StorageEngine::startOnThread, Qt::QueuedConnection);
}

void StorageEngine::startOnThread()
{
    m_flushTimer = new QTimer(this);
    m_flushTimer->setInterval(m_config.batchIntervalMs());
    connect(m_flushTimer, &QTimer::timeout, this, &StorageEngine::flush);

    const QString dataDir = m_config.dataDir();
    const QList<Config::RedisNode> redisNodes = m_config.redisNodes();
    RedisShard::Options redisOptions;
    redisOptions.connectTimeoutMs = m_config.redisConnectTimeoutMs();
    redisOptions.commandTimeoutMs = m_config.redisCommandTimeoutMs();
    redisOptions.breakerFailures = m_config.breakerFailures();
    redisOptions.breakerResetMs = m_config.breakerResetMs();
    for (int i = 0; i < m_router.shardNames().size(); ++i) {
        const QString &name = m_router.shardNames()[i];
        auto lane = std::make_unique<Lane>();
        if (redisNodes.isEmpty())
            lane->shard =
                new EmbeddedShard(name, QDir(dataDir).filePath(name + QStringLiteral(".sqlite")),
                                  m_config.breakerFailures(), this);
        else
            lane->shard = new RedisShard(name, redisNodes[i].host, redisNodes[i].port, redisOptions, this);
        lane->retryTimer = new QTimer(this);
        lane->retryTimer->setSingleShot(true);
        Lane *raw = lane.get();
        connect(lane->retryTimer, &QTimer::timeout, this, [this, raw] { pump(raw); });
        connect(lane->shard, &Shard::stateChanged, this, [this, raw](Shard::State state) {
            publishShardInfo();
            if (!raw->ready) {
                if (state == Shard::State::Up && raw->opened && !raw->preparing)
                    prepareLane(raw); // reached again after a failed preparation
                else if (state == Shard::State::Down || state == Shard::State::Open) {
                    raw->failedOnce = true;
                    checkStart();
                }
                return;
            }
            // A shard that is back takes its queued batches now, not after the backoff.
            if (state == Shard::State::Up && raw->retryTimer->isActive()) {
                raw->retryTimer->stop();
                pump(raw);
            }
        });
        m_router.attach(lane->shard);
        m_lanes.push_back(std::move(lane));
    }
    publishShardInfo();
    // Every shard is opened at once; serving starts when each is open or has failed its
    // first attempt, so one unreachable Redis node does not keep the others from serving.
    for (const auto &lane : m_lanes)
        openLane(lane.get());
}

void StorageEngine::openLane(Lane *lane)
{
    qCInfo(lcStorage, "Opening shard %s (%s %s)", qPrintable(lane->shard->name()), qPrintable(lane->shard->kind()),
          qPrintable(lane->shard->address()));
    // Redis shards answer once connected (however long that takes); embedded ones at once.
    lane->shard->open([this, lane](Outcome<bool> opened) {
        if (!opened) {
            if (!m_started)
                Q_EMIT started(false, opened.error().message);
            return;
        }
        lane->opened = true;
        prepareLane(lane);
    });
}

void StorageEngine::prepareLane(Lane *lane)
{
    lane->preparing = true;
    const auto failed = [this, lane](const TallyError &error) {
        lane->preparing = false;
        // A Redis shard tries again when it is reached again; an embedded one cannot.
        if (lane->shard->kind() == u"redis") {
            qCWarning(lcStorage, "Shard %s: %s", qPrintable(lane->shard->name()), qPrintable(error.message));
            lane->failedOnce = true;
            checkStart();
        } else if (!m_started) {
            Q_EMIT started(false, error.message);
        }
    };
    const auto load = [this, lane, failed] {
        lane->shard->loadPolls([this, lane, failed](Outcome<QList<Poll>> polls) {
            if (!polls) {
                failed(polls.error());
                return;
            }
            for (Poll poll : polls.value()) {
                poll.shard = lane->shard->name();
                const bool known = m_catalog.contains(poll.id);
                m_catalog.upsert(poll);
                if (m_started && !known)
                    Q_EMIT pollEvent(QStringLiteral("poll_created"), poll.toJson());
            }
            lane->preparing = false;
            lane->ready = true;
            if (!m_started) {
                publishShardInfo();
                checkStart();
                return;
            }
            qCInfo(lcStorage, "Shard %s reached: %lld poll(s) loaded", qPrintable(lane->shard->name()),
                  qint64(polls.value().size()));
            // Replayed votes are pending before anyone can see the shard up.
            if (m_recoveryPending && std::all_of(m_lanes.cbegin(), m_lanes.cend(),
                                                 [](const auto &l) { return l->ready; }))
                recoverDeferred();
            publishShardInfo();
        });
    };
    if (lane->fenced) {
        load();
        return;
    }
    lane->shard->fenceSequence(m_instanceId, [lane, failed, load](Outcome<quint64> applied) {
        if (!applied) {
            failed(applied.error());
            return;
        }
        // Sequences continue across restarts, so an old batch is never mistaken for a
        // new one; the one after the applied sequence is fenced off.
        lane->fenced = true;
        lane->appliedAtStart = applied.value();
        lane->nextSequence = applied.value() + 2;
        load();
    });
}

void StorageEngine::checkStart()
{
    if (m_started)
        return;
    bool allReady = true;
    for (const auto &lane : m_lanes) {
        if (!lane->ready && !lane->failedOnce)
            return;
        allReady = allReady && lane->ready;
    }
    if (m_journal) {
        if (allReady || m_journal->lastEpoch() == 0) {
            if (!recoverJournal())
                return;
        } else {
            // The journal's votes can be sorted out only with every shard's applied
            // sequence: they wait in their files; new votes go to later epochs, one
            // epoch is kept free for the votes replayed then.
            const quint64 last = m_journal->lastEpoch();
            m_deferredEpoch = last + 1;
            m_nextFlushId = last + 2;
            m_ledger.setEpoch(m_nextFlushId);
            m_recoveryPending = true;
            m_journal->start();
            qCWarning(lcStorage, "Journal: its files are replayed once every shard has been reached");
        }
    }
    for (const auto &lane : m_lanes)
        if (!lane->ready)
            qCWarning(lcStorage, "Shard %s (%s) is not reachable: serving the other shards; its polls "
                     "become available when it is reached",
                     qPrintable(lane->shard->name()), qPrintable(lane->shard->kind()));
    finishStart();
}

void StorageEngine::recoverDeferred()
{
    QHash<QString, quint64> applied;
    for (const auto &lane : m_lanes)
        applied.insert(lane->shard->name(), lane->appliedAtStart);
    const Outcome<Journal::Recovery> recovered = m_journal->recover(
        [this](const QString &key) { return laneFor(key)->shard->name(); }, applied,
        [this](const QString &key) { return isCurrentKey(key); }, m_deferredEpoch - 1);
    if (!recovered) {
        qCritical("Journal: %s; its files stay for the next start",
                  qPrintable(recovered.error().message));
        m_recoveryPending = false;
        return;
    }
    m_recoveryPending = false;
    const Journal::Recovery &recovery = recovered.value();
    for (const QString &problem : recovery.problems)
        qCWarning(lcStorage, "Journal: %s", qPrintable(problem));
    qCInfo(lcStorage, "Journal: %d file(s) read: %lld vote(s) replayed, %lld already stored", recovery.files,
          recovery.replayed, recovery.skipped);
    m_stats.votesRecovered.storeRelaxed(quint64(recovery.replayed));
    if (recovery.votes.isEmpty())
        return;
    // The replayed votes are the epoch kept free for them, sealed like any other.
    m_ledger.addInflight(recovery.votes);
    enqueue(m_deferredEpoch, recovery.votes);
}

void StorageEngine::refreshCatalog()
{
    for (const auto &lane : m_lanes) {
        Shard *shard = lane->shard;
        if (shard->state() != Shard::State::Up || !lane->ready)
            continue;
        shard->loadPolls([this, shard](Outcome<QList<Poll>> polls) {
            if (!polls)
                return;
            // Replies arrive in command order, so a create or delete made by this
            // instance after the read is applied after this reconciliation.
            QSet<QString> present;
            for (Poll poll : polls.value()) {
                poll.shard = shard->name();
                present.insert(poll.id);
                const std::optional<Poll> known = m_catalog.find(poll.id);
                if (known && known->resetting)
                    continue; // this instance's reset publishes the poll when it ends
                if (!known || known->open != poll.open || known->resets != poll.resets ||
                    known->visibility != poll.visibility || known->closesAt != poll.closesAt) {
                    m_catalog.upsert(poll);
                    Q_EMIT pollEvent(known ? QStringLiteral("poll_updated") : QStringLiteral("poll_created"),
                                     poll.toJson());
                }
            }
            for (const Poll &known : m_catalog.list())
                if (known.shard == shard->name() && !present.contains(known.id)) {
                    m_catalog.remove(known.id);
                    m_ledger.forget(known.id);
                    Q_EMIT pollEvent(QStringLiteral("poll_deleted"), QJsonObject{{QStringLiteral("id"), known.id}});
                }
        });
    }
}

bool StorageEngine::recoverJournal()
{
    QHash<QString, quint64> applied;
    for (const auto &lane : m_lanes)
        applied.insert(lane->shard->name(), lane->appliedAtStart);
    QElapsedTimer timer;
    timer.start();
    const Outcome<Journal::Recovery> recovered =
        m_journal->recover([this](const QString &key) { return laneFor(key)->shard->name(); },
                           applied, [this](const QString &key) { return isCurrentKey(key); });
    if (!recovered) {
        Q_EMIT started(false, recovered.error().message);
        return false;
    }
    const Journal::Recovery &recovery = recovered.value();
    for (const QString &problem : recovery.problems)
        qCWarning(lcJournal, "Journal: %s", qPrintable(problem));
    if (recovery.files > 0)
        qCInfo(lcJournal, "Journal: %d file(s) read in %lld ms: %lld vote(s) replayed, %lld already stored",
              recovery.files, timer.elapsed(), recovery.replayed, recovery.skipped);
    m_nextFlushId = recovery.nextEpoch;
    m_ledger.setEpoch(recovery.nextEpoch);
    m_ledger.addRecovered(recovery.votes);
    m_stats.votesRecovered.storeRelaxed(quint64(recovery.replayed));
    m_journal->start();
    return true;
}

void StorageEngine::finishStart()
{
    m_started = true;
    m_flushTimer->start();
    // Timed closes: votes stop at the close time itself; this records the close (and
    // tells subscribers) within a quarter second, on every instance.
    auto *closer = new QTimer(this);
    connect(closer, &QTimer::timeout, this, &StorageEngine::closeDuePolls);
    closer->start(250);
    closeDuePolls();
    if (!m_config.redisNodes().isEmpty()) {
        // Other instances may create, close or delete polls on the same nodes.
        auto *refresh = new QTimer(this);
        connect(refresh, &QTimer::timeout, this, &StorageEngine::refreshCatalog);
        refresh->start(m_config.catalogRefreshMs());
    }
    publishShardInfo();
    Q_EMIT started(true, QString());
}

StorageEngine::Lane *StorageEngine::laneFor(const QString &key) const
{
    // Count keys of any generation route with their poll.
    const QString pollId = Poll::pollIdOfKey(key);
    // A poll stays on the shard it was created on, even if the ring changed since.
    QString name = m_catalog.shardOf(pollId);
    if (name.isEmpty() || !m_router.shard(name))
        name = m_router.shardNameFor(pollId);
    for (const auto &lane : m_lanes)
        if (lane->shard->name() == name)
            return lane.get();
    return nullptr;
}

bool StorageEngine::isCurrentKey(const QString &key) const
{
    const PollCatalog::Snapshot poll = m_catalog.snapshot(Poll::pollIdOfKey(key));
    return poll && poll->countKey() == key;
}

void StorageEngine::requestFlush()
{
    // Many workers may ask at once; one queued flush serves them all.
    if (m_flushRequested.testAndSetRelaxed(0, 1))
        QMetaObject::invokeMethod(this, &StorageEngine::flush, Qt::QueuedConnection);
}

void StorageEngine::flush()
{
    m_flushRequested.storeRelaxed(0);
    if (!m_started || m_ledger.bufferedVotes() == 0) {
        checkDrained();
        return;
    }
    // The flush id doubles as the journal epoch of the votes it takes.
    const quint64 flushId = m_nextFlushId++;
    // Votes of a deleted poll, or of a generation before the poll's last reset, go nowhere.
    const PollCounts taken = m_ledger.takeBuffered(
        [this](const QString &key) { return isCurrentKey(key); }, m_nextFlushId);
    enqueue(flushId, taken);
}

void StorageEngine::enqueue(quint64 flushId, const PollCounts &taken)
{
    FlushRecord &record = m_flushes[flushId];
    record.timer.start();
    QHash<Lane *, Batch> batches;
    qint64 votes = 0;
    for (auto it = taken.cbegin(); it != taken.cend(); ++it) {
        Batch &batch = batches[laneFor(it.key())];
        batch.counts.insert(it.key(), it.value());
        const qint64 pollVotes = VoteCounts::total(it.value());
        batch.votes += pollVotes;
        votes += pollVotes;
    }
    QHash<QString, quint64> manifest;
    for (auto it = batches.begin(); it != batches.end(); ++it) {
        it->sequence = it.key()->nextSequence++;
        it->flushId = flushId;
        // With a journal, a batch may go out only once its epoch's manifest is on disk.
        it->sealed = m_journal == nullptr;
        manifest.insert(it.key()->shard->name(), it->sequence);
        it.key()->queue.push_back(std::move(*it));
        ++record.remainingBatches;
    }
    if (votes > 0) {
        ServerStats::bump(m_stats.flushes);
        m_stats.lastFlushVotes.storeRelaxed(quint64(votes));
    }
    if (m_journal)
        sealEpoch(flushId, manifest);
    else if (record.remainingBatches == 0)
        m_flushes.remove(flushId);
    for (const auto &lane : m_lanes)
        pump(lane.get());
    checkDrained();
}

void StorageEngine::sealEpoch(quint64 epoch, const QHash<QString, quint64> &manifest)
{
    ++m_pendingSeals;
    m_journal->seal(epoch, manifest, this, [this, epoch, manifest](bool ok) {
        --m_pendingSeals;
        if (!ok) {
            ++m_pendingSeals; // still owed; retried shortly
            QTimer::singleShot(1000, this, [this, epoch, manifest] {
                --m_pendingSeals;
                sealEpoch(epoch, manifest);
            });
            return;
        }
        for (const auto &lane : m_lanes)
            for (Batch &batch : lane->queue)
                if (batch.flushId == epoch)
                    batch.sealed = true;
        const auto record = m_flushes.find(epoch);
        if (record != m_flushes.end() && record->remainingBatches == 0) {
            m_flushes.erase(record);
            m_journal->discard(epoch);
        }
        for (const auto &lane : m_lanes)
            pump(lane.get());
        checkDrained();
    });
}

void StorageEngine::pump(Lane *lane)
{
    if (!lane->ready || lane->busy || lane->queue.empty() || lane->retryTimer->isActive() ||
        !lane->queue.front().sealed)
        return;
    Batch &batch = lane->queue.front();
    for (auto key = batch.counts.cbegin(); key != batch.counts.cend(); ++key)
        if (m_deleting.contains(Poll::pollIdOfKey(key.key())))
            return; // sent after the delete it would bring the counts back; see deletePoll

    const quint64 sequence = batch.sequence;
    lane->busy = true;
    if (batch.checkApplied) {
        // The last attempt may have landed: the shard's recorded sequence decides.
        lane->shard->appliedSequence(m_instanceId, [this, lane, sequence](Outcome<quint64> applied) {
            lane->busy = false;
            if (!applied) {
                onFailed(lane, applied.error());
            } else if (applied.value() >= sequence) {
                onApplied(lane);
            } else {
                lane->queue.front().checkApplied = false;
                pump(lane);
            }
        });
        return;
    }
    batch.sent = true;
    lane->shard->applyBatch(m_instanceId, m_source, sequence, batch.counts,
                            [this, lane](Outcome<bool> applied) {
                                lane->busy = false;
                                if (applied) {
                                    onApplied(lane);
                                    return;
                                }
                                Batch &failed = lane->queue.front();
                                const bool unknown =
                                    applied.error().code == QStringLiteral("outcome_unknown");
                                failed.checkApplied = unknown;
                                failed.sent = unknown;
                                onFailed(lane, applied.error());
                            });
}

void StorageEngine::onApplied(Lane *lane)
{
    Batch batch = std::move(lane->queue.front());
    lane->queue.pop_front();
    m_ledger.confirmApplied(batch.counts);
    ServerStats::bump(m_stats.votesFlushed, quint64(batch.votes));
    if (lane->failures > 0)
        qCInfo(lcStorage, "Shard %s: batch %llu applied after %d failed attempts",
              qPrintable(lane->shard->name()), batch.sequence, lane->failures);
    lane->failures = 0;
    const auto record = m_flushes.find(batch.flushId);
    if (record != m_flushes.end() && --record->remainingBatches == 0) {
        m_stats.lastFlushMicros.storeRelaxed(quint64(record->timer.nsecsElapsed() / 1000));
        m_stats.flushDuration.observe(quint64(record->timer.nsecsElapsed()));
        m_flushes.erase(record);
        // Every vote of that epoch is in its shards now: its journal file can go.
        if (m_journal)
            m_journal->discard(batch.flushId);
    }
    publishShardInfo();
    pump(lane);
    checkDrained();
}

void StorageEngine::onFailed(Lane *lane, const TallyError &error)
{
    ServerStats::bump(m_stats.flushFailures);
    if (lane->failures == 0)
        qCWarning(lcStorage, "Shard %s: batch %llu failed, retrying with backoff: %s",
                 qPrintable(lane->shard->name()), lane->queue.front().sequence,
                 qPrintable(error.message));
    lane->retryTimer->start(retryDelayMs(lane->failures++));
    publishShardInfo();
}

void StorageEngine::createPoll(const Poll &draft, Reply<Poll> reply)
{
    QMetaObject::invokeMethod(this, [this, draft, reply] {
        if (m_catalog.contains(draft.id)) {
            reply(TallyError::conflict(QStringLiteral("poll_exists"),
                                       QStringLiteral("A poll with id '%1' already exists.").arg(draft.id)));
            return;
        }
        Poll poll = draft;
        poll.shard = m_router.shardNameFor(poll.id);
        poll.createdAt = QDateTime::currentDateTimeUtc();
        if (!isShardReady(poll.shard)) {
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
    });
}

void StorageEngine::setPollOpen(const QString &pollId, bool open, Reply<Poll> reply)
{
    QMetaObject::invokeMethod(this, [this, pollId, open, reply] {
        std::optional<Poll> poll = m_catalog.find(pollId);
        if (!poll) {
            reply(TallyError::pollNotFound(pollId));
            return;
        }
        poll->open = open;
        // Opened again after its close time: it stays open until closed by hand.
        if (open && poll->closesAt.isValid() && !poll->isOpen())
            poll->closesAt = QDateTime();
        savePollChange(*poll, reply);
    });
}

void StorageEngine::revealPoll(const QString &pollId, Reply<Poll> reply)
{
    QMetaObject::invokeMethod(this, [this, pollId, reply] {
        std::optional<Poll> poll = m_catalog.find(pollId);
        if (!poll) {
            reply(TallyError::pollNotFound(pollId));
            return;
        }
        poll->visibility = Poll::Visibility::Always;
        savePollChange(*poll, reply);
    });
}

void StorageEngine::savePollChange(const Poll &changed, Reply<Poll> reply)
{
    Poll updated = changed;
    updated.resetting = 0;
    m_router.shard(updated.shard)
        ->savePoll(updated, false, [this, updated, reply](Outcome<bool> saved) {
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

void StorageEngine::closeDuePolls()
{
    const QDateTime now = QDateTime::currentDateTimeUtc();
    for (const Poll &poll : m_catalog.list()) {
        // Votes are refused from the close time on (Poll::isOpenAt); this records it.
        if (!poll.open || !poll.closesAt.isValid() || poll.closesAt > now ||
            m_closing.contains(poll.id) || !isShardReady(poll.shard))
            continue;
        Poll closed = poll;
        closed.open = false;
        m_closing.insert(poll.id);
        savePollChange(closed, [this, id = poll.id](Outcome<Poll> saved) {
            m_closing.remove(id);
            if (!saved)
                qCWarning(lcStorage, "Poll %s: its timed close could not be saved (%s); retrying",
                          qPrintable(id), qPrintable(saved.error().message));
        });
    }
}

void StorageEngine::setWorkerThreads(const QList<QObject *> &workers)
{
    QMetaObject::invokeMethod(this, [this, workers] {
        m_workerThreads.clear();
        for (QObject *worker : workers)
            m_workerThreads.append(worker);
    });
}

void StorageEngine::afterPendingAcknowledgements(const std::function<void(bool)> &done)
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
        QPointer<StorageEngine> self(this);
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

void StorageEngine::resetPoll(const QString &pollId, Reply<Poll> reply)
{
    QMetaObject::invokeMethod(this, [this, pollId, reply] {
        const PollCatalog::Snapshot poll = m_catalog.snapshot(pollId);
        if (!poll) {
            reply(TallyError::pollNotFound(pollId));
            return;
        }
        if (poll->resetting) {
            reply(TallyError::conflict(
                QStringLiteral("reset_in_progress"),
                QStringLiteral("Poll '%1' is being reset already.").arg(pollId)));
            return;
        }
        if (!isShardReady(poll->shard)) {
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
    });
}

void StorageEngine::applyReset(const Poll &marked, Reply<Poll> reply)
{
    Poll reset = marked;
    reset.resetting = 0;
    reset.resets = marked.resets + 1;
    reset.resetAt = QDateTime::currentDateTimeUtc();
    const QString oldKey = marked.countKey();
    // One atomic step on the shard: counts and voters go, and batches of the old
    // generation (buffered, in flight, journaled, or from another instance) no longer count.
    m_router.shard(reset.shard)
        ->resetPoll(reset, [this, marked, reset, oldKey, reply](Outcome<bool> done) {
            if (!done) {
                endReset(marked.id, marked.resetting);
                reply(done.error());
                return;
            }
            m_ledger.forget(oldKey);
            stripUnsent(marked.id, oldKey);
            Poll published = reset;
            published.resetting = marked.resetting; // until the caller has answered
            m_catalog.upsert(published);
            Q_EMIT pollEvent(QStringLiteral("poll_updated"), reset.toJson());
            // Should the answer never be confirmed, votes are taken again shortly anyway.
            QTimer::singleShot(2000, this, [this, id = reset.id, serial = marked.resetting] {
                endReset(id, serial);
            });
            publishShardInfo();
            reply(published);
        });
}

void StorageEngine::endReset(const QString &pollId, quint64 serial)
{
    // Any thread, synchronously: the worker that answered calls this before its answer
    // leaves (it is written once the worker returns to its event loop), so a vote sent
    // after the answer arrived finds the poll taking votes again.
    const PollCatalog::Snapshot poll = m_catalog.snapshot(pollId);
    if (!poll || poll->resetting != serial)
        return;
    Poll ended = *poll;
    ended.resetting = 0;
    m_catalog.upsert(ended);
}

void StorageEngine::deletePoll(const QString &pollId, Reply<bool> reply)
{
    QMetaObject::invokeMethod(this, [this, pollId, reply] {
        const std::optional<Poll> poll = m_catalog.find(pollId);
        if (!poll) {
            reply(TallyError::pollNotFound(pollId));
            return;
        }
        // Batches already sent are ordered before the delete on the shard. Batches not
        // yet sent that hold the poll's votes wait (see pump) until the shard answers:
        // once it confirms, their votes go with the poll; when the delete fails, the poll
        // stays and so do its acknowledged votes.
        ++m_deleting[pollId];
        m_router.shard(poll->shard)
            ->deletePoll(pollId, [this, pollId, reply](Outcome<bool> deleted) {
                if (--m_deleting[pollId] == 0)
                    m_deleting.remove(pollId);
                if (deleted) {
                    if (const PollCatalog::Snapshot gone = m_catalog.snapshot(pollId))
                        m_ledger.forget(gone->countKey());
                    m_catalog.remove(pollId);
                    m_ledger.forget(pollId);
                    stripUnsent(pollId);
                    publishShardInfo();
                    Q_EMIT pollEvent(QStringLiteral("poll_deleted"),
                                     QJsonObject{{QStringLiteral("id"), pollId}});
                }
                for (const auto &lane : m_lanes)
                    pump(lane.get());
                checkDrained();
                if (deleted)
                    reply(true);
                else
                    reply(deleted.error());
            });
    });
}

void StorageEngine::publishOn(const QString &shardName, const QByteArray &channel,
                              const QByteArray &message)
{
    for (const auto &lane : m_lanes)
        if ((shardName.isEmpty() || lane->shard->name() == shardName) && lane->shard->state() == Shard::State::Up)
            lane->shard->publish(channel, message);
}

void StorageEngine::stripUnsent(const QString &pollId, const QString &onlyKey)
{
    for (const auto &lane : m_lanes) {
        for (size_t i = 0; i < lane->queue.size(); ++i) {
            Batch &batch = lane->queue[i];
            // The batch on the wire is ordered before the delete. One whose outcome is
            // unknown either landed before it (and is gone with the poll) or must not
            // bring the counts back when it is sent again.
            if (i == 0 && lane->busy)
                continue;
            for (auto it = batch.counts.begin(); it != batch.counts.end();) {
                const bool matches =
                    onlyKey.isEmpty() ? Poll::pollIdOfKey(it.key()) == pollId : it.key() == onlyKey;
                if (!matches) {
                    ++it;
                    continue;
                }
                m_ledger.abandon(PollCounts{{it.key(), *it}});
                batch.votes -= VoteCounts::total(*it);
                it = batch.counts.erase(it);
            }
        }
    }
}

void StorageEngine::readResults(const QString &pollId, Reply<ResultRead> reply)
{
    QMetaObject::invokeMethod(this, [this, pollId, reply] {
        // One snapshot for the option count and the shard.
        const PollCatalog::Snapshot poll = m_catalog.snapshot(pollId);
        if (!poll) {
            reply(TallyError::pollNotFound(pollId));
            return;
        }
        const int optionCount = int(poll->options.size());
        const QString countKey = poll->countKey();
        // Cache misses for one poll that arrive while its read is on the way share that
        // read: its answer holds every vote stored before the later requests came, and
        // the pending votes added to it are taken when it arrives.
        auto waiting = m_readers.find(countKey);
        if (waiting != m_readers.end()) {
            waiting->append(reply);
            return;
        }
        m_readers.insert(countKey, {reply});
        Lane *lane = laneFor(pollId);
        Shard *shard = lane->shard;
        // A batch whose outcome is unknown may be in the shard's counts while the ledger
        // still counts it in flight: ask the shard about it first (replies come in
        // order), rather than after a backoff that a read could overtake.
        if (!lane->queue.empty() && lane->queue.front().checkApplied &&
            lane->retryTimer->isActive() && shard->state() == Shard::State::Up) {
            lane->retryTimer->stop();
            pump(lane);
        }
        shard->readCounts(pollId, [this, shard, pollId, countKey,
                                   optionCount](Outcome<StoredCounts> stored) {
            const QList<Reply<ResultRead>> replies = m_readers.take(countKey);
            Outcome<ResultRead> result = TallyError::pollNotFound(pollId);
            if (!stored) {
                // The shard is unreachable: the last counts we had plus what is pending
                // are still a lower bound worth showing, and say so.
                if (std::optional<OptionCounts> stale = m_ledger.readStale(countKey, optionCount))
                    result = ResultRead{*stale, QStringLiteral("stale_cache"), optionCount};
                else
                    result = stored.error();
            } else {
                result = ResultRead{m_ledger.storeRead(countKey, stored.value(), optionCount),
                                    shard->kind() + u':' + shard->name(), optionCount};
            }
            for (const Reply<ResultRead> &waiter : replies)
                waiter(result);
        });
    });
}

void StorageEngine::claimVoter(const QString &pollId, const QString &voterId, Reply<bool> reply)
{
    QMetaObject::invokeMethod(this, [this, pollId, voterId, reply] {
        if (!m_catalog.contains(pollId)) {
            reply(TallyError::pollNotFound(pollId));
            return;
        }
        laneFor(pollId)->shard->claimVoter(pollId, voterId, reply);
    });
}

void StorageEngine::releaseVoter(const QString &pollId, const QString &voterId)
{
    QMetaObject::invokeMethod(this, [this, pollId, voterId] {
        if (!m_catalog.contains(pollId))
            return; // deleted with its voters
        laneFor(pollId)->shard->releaseVoter(pollId, voterId, [pollId, voterId](Outcome<bool> released) {
            if (!released)
                qCWarning(lcStorage, "Poll %s: voter %s stays recorded although the vote was refused: %s",
                         qPrintable(pollId), qPrintable(voterId.left(VoteRequest::MaxVoterIdLength)),
                         qPrintable(released.error().message));
        });
    });
}

void StorageEngine::drain()
{
    QMetaObject::invokeMethod(this, [this] {
        m_draining = true;
        if (m_flushTimer)
            m_flushTimer->stop();
        flush();
        checkDrained();
    });
}

void StorageEngine::checkDrained()
{
    if (!m_draining || m_ledger.bufferedVotes() > 0 || m_pendingSeals > 0)
        return;
    for (const auto &lane : m_lanes)
        if (!lane->queue.empty())
            return;
    m_draining = false;
    Q_EMIT drained();
}

void StorageEngine::publishShardInfo()
{
    QList<ShardInfo> info;
    for (const auto &lane : m_lanes) {
        const Shard *shard = lane->shard;
        ShardInfo item;
        item.name = shard->name();
        item.kind = shard->kind();
        item.address = shard->address();
        item.state = Shard::stateName(shard->state());
        // Reached but its polls are not loaded yet: not ready to serve.
        if (!lane->ready && shard->state() == Shard::State::Up)
            item.state = Shard::stateName(Shard::State::Connecting);
        item.ringShare = m_router.ring().share(item.name);
        item.points = m_router.ring().virtualNodes();
        item.storedVotes = shard->storedVotes();
        item.queuedBatches = int(lane->queue.size());
        item.subscribed = item.kind != u"redis" || m_subscribed.contains(item.name);
        info.append(item);
    }
    QMutexLocker locker(&m_infoMutex);
    m_info = info;
}

bool StorageEngine::isShardReady(const QString &shardName) const
{
    for (const auto &lane : m_lanes)
        if (lane->shard->name() == shardName)
            return lane->ready;
    return true; // not one of ours: nothing to wait for
}

void StorageEngine::setSubscribed(const QString &shardName, bool subscribed)
{
    if (subscribed)
        m_subscribed.insert(shardName);
    else
        m_subscribed.remove(shardName);
    publishShardInfo();
}

QList<StorageEngine::ShardInfo> StorageEngine::shardInfo() const
{
    QMutexLocker locker(&m_infoMutex);
    return m_info;
}

bool StorageEngine::allShardsUp() const
{
    QMutexLocker locker(&m_infoMutex);
    if (m_info.isEmpty())
        return false;
    for (const ShardInfo &shard : m_info)
        if (shard.state != u"up" || !shard.subscribed)
            return false;
    return true;
}
