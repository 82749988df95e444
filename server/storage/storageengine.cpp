#include "storageengine.h"
#include "core/logcategories.h"
#include "core/pollcatalog.h"
#include "core/requestparser.h"
#include "core/serverstats.h"
#include "core/voteledger.h"
#include "embeddedshard.h"
#include "journal.h"
#include "movescripts.h"
#include "redisshard.h"

#include <QDir>
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
    if (!redisNodes.isEmpty()) {
        m_rebalancer = new Rebalancer(
            [this](const QString &name) -> RedisShard * {
                Lane *lane = laneNamed(name);
                return lane ? qobject_cast<RedisShard *>(lane->shard) : nullptr;
            },
            m_router, m_catalog,
            [this](const QString &pollId, const QString &shard, const PollPlacement &placement) {
                adoptMove(pollId, shard, placement);
            },
            this);
        connect(m_rebalancer, &Rebalancer::finished, this, &StorageEngine::rebalanceFinished);
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
                if (!placeLoaded(poll, lane->shard->name()))
                    continue;
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
        [this](const QString &pollId) { return laneFor(pollId)->shard->name(); }, applied,
        [this](const QString &pollId) { return m_catalog.contains(pollId); }, m_deferredEpoch - 1,
        [this](const QString &pollId) { return movedFrom(pollId); });
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
        // The read takes more than one round trip, so a poll this instance creates
        // meanwhile may be in the catalog before the answer (without it) comes back:
        // only polls known when the read was sent can be found missing.
        QSet<QString> knownBefore;
        for (const Poll &known : m_catalog.list())
            if (known.shard == shard->name())
                knownBefore.insert(known.id);
        shard->loadPolls([this, shard, knownBefore](Outcome<QList<Poll>> polls) {
            if (!polls)
                return;
            QSet<QString> present;
            for (Poll poll : polls.value()) {
                if (!placeLoaded(poll, shard->name()))
                    continue;
                if (poll.shard == shard->name())
                    present.insert(poll.id);
                const std::optional<Poll> known = m_catalog.find(poll.id);
                if (!known || known->open != poll.open || known->shard != poll.shard ||
                    known->placement.state != poll.placement.state) {
                    m_catalog.upsert(poll);
                    Q_EMIT pollEvent(known ? QStringLiteral("poll_updated") : QStringLiteral("poll_created"),
                                     poll.toJson());
                }
            }
            for (const Poll &known : m_catalog.list())
                // A poll learned from its source's redirect is listed on its target
                // only once its move is finished.
                if (known.shard == shard->name() && !present.contains(known.id) &&
                    knownBefore.contains(known.id) && !known.placement.isTombstone()) {
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
    const Outcome<Journal::Recovery> recovered = m_journal->recover(
        [this](const QString &pollId) { return laneFor(pollId)->shard->name(); }, applied,
        [this](const QString &pollId) { return m_catalog.contains(pollId); },
        std::numeric_limits<quint64>::max(),
        [this](const QString &pollId) { return movedFrom(pollId); });
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
    if (!m_config.redisNodes().isEmpty()) {
        // Other instances may create, close or delete polls on the same nodes.
        auto *refresh = new QTimer(this);
        connect(refresh, &QTimer::timeout, this, &StorageEngine::refreshCatalog);
        refresh->start(m_config.catalogRefreshMs());
    }
    publishShardInfo();
    Q_EMIT started(true, QString());
    // Moves a crashed mover left behind are finished by whoever starts next.
    if (m_rebalancer)
        m_rebalancer->resume();
}

StorageEngine::Lane *StorageEngine::laneFor(const QString &pollId) const
{
    // A poll stays on the shard it was created on, even if the ring changed since.
    QString name = m_catalog.shardOf(pollId);
    if (name.isEmpty() || !m_router.shard(name))
        name = m_router.shardNameFor(pollId);
    for (const auto &lane : m_lanes)
        if (lane->shard->name() == name)
            return lane.get();
    return nullptr;
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
    const PollCounts taken = m_ledger.takeBuffered(
        [this](const QString &pollId) { return m_catalog.contains(pollId); }, m_nextFlushId);
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
        // A moved poll's batch has its own entry: the journal must tell it apart from
        // a batch of the shard it came from (see Journal::recover).
        for (auto poll = it->counts.cbegin(); poll != it->counts.cend(); ++poll)
            if (const PollCatalog::Snapshot known = m_catalog.snapshot(poll.key());
                known && known->placement.cameFrom())
                manifest.insert(Journal::manifestKey(it.key()->shard->name(), poll.key()),
                                it->sequence);
        it.key()->queue.push_back(std::move(*it));
        ++record.remainingBatches;
    }
    if (votes > 0) {
        ServerStats::bump(m_stats.flushes);
        m_stats.lastFlushVotes.storeRelaxed(quint64(votes));
    }
    record.manifest = manifest;
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
    for (auto it = m_deleting.cbegin(); it != m_deleting.cend(); ++it)
        if (batch.counts.contains(it.key()))
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
                                const QString code = applied.error().code;
                                if (code == u"poll_moving" || code == u"polls_moved") {
                                    // Refused whole, nothing applied: a poll of the batch is
                                    // being moved (try again shortly) or has moved (its votes
                                    // go to its new shard).
                                    failed.sent = false;
                                    failed.checkApplied = false;
                                    if (code == u"polls_moved")
                                        reroute(lane, MoveScripts::movesOf(applied.error()));
                                    else
                                        lane->retryTimer->start(20);
                                    return;
                                }
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
        const Poll updated = *poll;
        m_router.shard(updated.shard)->savePoll(updated, false, [this, updated, reply](Outcome<bool> saved) {
            if (!saved) {
                reply(saved.error());
                return;
            }
            m_catalog.upsert(updated);
            Q_EMIT pollEvent(QStringLiteral("poll_updated"), updated.toJson());
            reply(updated);
        });
    });
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

void StorageEngine::stripUnsent(const QString &pollId)
{
    for (const auto &lane : m_lanes) {
        for (size_t i = 0; i < lane->queue.size(); ++i) {
            Batch &batch = lane->queue[i];
            // The batch on the wire is ordered before the delete. One whose outcome is
            // unknown either landed before it (and is gone with the poll) or must not
            // bring the counts back when it is sent again.
            if (i == 0 && lane->busy)
                continue;
            const auto it = batch.counts.find(pollId);
            if (it == batch.counts.end())
                continue;
            m_ledger.abandon(PollCounts{{pollId, *it}});
            batch.votes -= VoteCounts::total(*it);
            batch.counts.erase(it);
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
        // Cache misses for one poll that arrive while its read is on the way share that
        // read: its answer holds every vote stored before the later requests came, and
        // the pending votes added to it are taken when it arrives.
        auto waiting = m_readers.find(pollId);
        if (waiting != m_readers.end()) {
            waiting->append(reply);
            return;
        }
        m_readers.insert(pollId, {reply});
        readFromShard(pollId, optionCount);
    });
}

void StorageEngine::readFromShard(const QString &pollId, int optionCount)
{
    Lane *lane = laneFor(pollId);
    Shard *shard = lane->shard;
    // A batch whose outcome is unknown may be in the shard's counts while the ledger
    // still counts it in flight: ask the shard about it first (replies come in
    // order), rather than after a backoff that a read could overtake.
    if (!lane->queue.empty() && lane->queue.front().checkApplied && lane->retryTimer->isActive() &&
        shard->state() == Shard::State::Up) {
        lane->retryTimer->stop();
        pump(lane);
    }
    shard->readCounts(pollId, [this, shard, pollId, optionCount](Outcome<StoredCounts> stored) {
        if (stored && !stored.value().movedTo.isEmpty() && laneNamed(stored.value().movedTo)) {
            // Moved: this shard's answer comes after every batch it applied for the
            // poll, so the target's counts and what is pending here add up exactly.
            PollPlacement placement;
            placement.state = QStringLiteral("moved");
            placement.to = stored.value().movedTo;
            placement.from = shard->name();
            placement.fences = stored.value().movedFences;
            adoptMove(pollId, placement.to, placement);
            readFromShard(pollId, optionCount);
            return;
        }
        const QList<Reply<ResultRead>> replies = m_readers.take(pollId);
        Outcome<ResultRead> result = TallyError::pollNotFound(pollId);
        if (!stored) {
            // The shard is unreachable: the last counts we had plus what is pending
            // are still a lower bound worth showing, and say so.
            if (std::optional<OptionCounts> stale = m_ledger.readStale(pollId, optionCount))
                result = ResultRead{*stale, QStringLiteral("stale_cache"), optionCount};
            else
                result = stored.error();
        } else {
            result = ResultRead{m_ledger.storeRead(pollId, stored.value(), optionCount),
                                shard->kind() + u':' + shard->name(), optionCount};
        }
        for (const Reply<ResultRead> &waiter : replies)
            waiter(result);
    });
}

void StorageEngine::claimVoter(const QString &pollId, const QString &voterId, Reply<bool> reply)
{
    QMetaObject::invokeMethod(this, [this, pollId, voterId, reply] {
        if (!m_catalog.contains(pollId)) {
            reply(TallyError::pollNotFound(pollId));
            return;
        }
        laneFor(pollId)->shard->claimVoter(
            pollId, voterId, [this, pollId, voterId, reply](Outcome<bool> claimed) {
                const QHash<QString, PollPlacement> moves =
                    claimed ? QHash<QString, PollPlacement>()
                            : MoveScripts::movesOf(claimed.error());
                if (moves.contains(pollId) && laneNamed(moves.value(pollId).to)) {
                    adoptMove(pollId, moves.value(pollId).to, moves.value(pollId));
                    claimVoter(pollId, voterId, reply); // on its new shard
                    return;
                }
                reply(claimed);
            });
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

StorageEngine::Lane *StorageEngine::laneNamed(const QString &shardName) const
{
    for (const auto &lane : m_lanes)
        if (lane->shard->name() == shardName)
            return lane.get();
    return nullptr;
}

bool StorageEngine::placeLoaded(Poll &poll, const QString &shardName)
{
    const PollPlacement &placement = poll.placement;
    const std::optional<Poll> known = m_catalog.find(poll.id);
    if (placement.state == u"incoming") {
        // A copy on its way in is the poll's home only once its source has committed
        // the move (a mover may have died before listing it here).
        const auto tombstone = m_unpairedTombstones.constFind(poll.id);
        if (known || tombstone == m_unpairedTombstones.cend() ||
            tombstone->placement.to != shardName) {
            m_unpairedIncoming.insert(poll.id, shardName);
            return false;
        }
        m_unpairedTombstones.erase(tombstone);
        poll.placement.state = QStringLiteral("moved");
        poll.shard = shardName;
        return true;
    }
    if (placement.isTombstone()) {
        if (!laneNamed(placement.to))
            return false;
        poll.placement.from = shardName;
        poll.shard = placement.to;
        if (!known) {
            // Committed, and its target not listing it yet: it lives there if the copy is.
            if (m_unpairedIncoming.value(poll.id) == placement.to) {
                m_unpairedIncoming.remove(poll.id);
                return true;
            }
            m_unpairedTombstones.insert(poll.id, poll);
            return false;
        }
        // The source's record of a finished move redirects a poll known to be there.
        return known->shard == shardName;
    }
    if (known && known->shard != shardName) {
        // Listed on its new shard while a batch of it may still be on its way to the
        // old one: that batch's answer first, or a read here could count it twice.
        if (const Lane *old = laneNamed(known->shard))
            for (const Batch &batch : old->queue)
                if (batch.counts.contains(poll.id))
                    return false;
    }
    poll.shard = shardName;
    return true;
}

void StorageEngine::adoptMove(const QString &pollId, const QString &shard,
                              const PollPlacement &placement)
{
    std::optional<Poll> poll = m_catalog.find(pollId);
    if (!poll || (poll->shard == shard && poll->placement.state == placement.state))
        return;
    qCInfo(lcStorage, "Poll %s now lives on shard %s (moved from %s)", qPrintable(pollId),
           qPrintable(shard), qPrintable(placement.from));
    poll->shard = shard;
    poll->placement = placement;
    m_catalog.upsert(*poll);
    publishShardInfo();
    Q_EMIT pollEvent(QStringLiteral("poll_updated"), poll->toJson());
}

void StorageEngine::reroute(Lane *lane, const QHash<QString, PollPlacement> &moves)
{
    Batch &batch = lane->queue.front();
    for (auto it = moves.cbegin(); it != moves.cend(); ++it) {
        if (!laneNamed(it->to)) {
            qCCritical(lcStorage,
                       "Poll %s moved to shard %s, which this instance does not have: its votes "
                       "wait until --redis-nodes names that shard",
                       qPrintable(it.key()), qPrintable(it->to));
            lane->retryTimer->start(5000);
            return;
        }
    }
    const auto record = m_flushes.find(batch.flushId);
    QHash<Lane *, Batch> resent;
    for (auto it = moves.cbegin(); it != moves.cend(); ++it) {
        adoptMove(it.key(), it->to, *it);
        const auto counts = batch.counts.find(it.key());
        if (counts == batch.counts.end())
            continue;
        Batch &moved = resent[laneNamed(it->to)];
        moved.counts.insert(it.key(), *counts);
        const qint64 votes = VoteCounts::total(*counts);
        moved.votes += votes;
        batch.votes -= votes;
        batch.counts.erase(counts);
    }
    // The rest of the batch keeps its sequence; the moved polls' votes go to their new
    // shards in the same epoch, each under its own manifest entry, sealed before sending.
    for (auto it = resent.begin(); it != resent.end(); ++it) {
        it->sequence = it.key()->nextSequence++;
        it->flushId = batch.flushId;
        it->sealed = m_journal == nullptr;
        if (record != m_flushes.end()) {
            ++record->remainingBatches;
            for (auto poll = it->counts.cbegin(); poll != it->counts.cend(); ++poll)
                record->manifest.insert(Journal::manifestKey(it.key()->shard->name(), poll.key()),
                                        it->sequence);
        }
        it.key()->queue.push_back(std::move(*it));
    }
    if (m_journal && record != m_flushes.end() && !resent.isEmpty())
        sealEpoch(batch.flushId, record->manifest);
    publishShardInfo();
    for (const auto &each : m_lanes)
        pump(each.get());
}

std::optional<Journal::MovedFrom> StorageEngine::movedFrom(const QString &pollId) const
{
    const PollCatalog::Snapshot poll = m_catalog.snapshot(pollId);
    if (!poll || !poll->placement.cameFrom())
        return std::nullopt;
    return Journal::MovedFrom{poll->placement.from, poll->placement.fences.value(m_instanceId)};
}

void StorageEngine::rebalance(bool dryRun, Reply<Rebalancer::Progress> reply)
{
    QMetaObject::invokeMethod(this, [this, dryRun, reply] {
        if (!m_rebalancer) {
            reply(TallyError::conflict(
                QStringLiteral("rebalance_unsupported"),
                QStringLiteral(
                    "Embedded shards live in this one process and its data directory: there is "
                    "nothing to move between them. Rebalancing is for Redis shards.")));
            return;
        }
        if (!m_started) {
            reply(TallyError::unavailable(
                QStringLiteral("shard_unavailable"),
                QStringLiteral("Storage is still starting; try again shortly.")));
            return;
        }
        for (const auto &lane : m_lanes)
            if (!lane->ready) {
                reply(TallyError::unavailable(
                    QStringLiteral("shard_unavailable"),
                    QStringLiteral(
                        "Shard %1 has not been reached: every shard must be up to rebalance.")
                        .arg(lane->shard->name())));
                return;
            }
        reply(m_rebalancer->start(dryRun));
    });
}

Rebalancer::Progress StorageEngine::rebalanceProgress() const
{
    return m_rebalancer ? m_rebalancer->progress() : Rebalancer::Progress();
}
