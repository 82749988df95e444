#include "storageengine.h"
#include "core/logcategories.h"
#include "core/pollcatalog.h"
#include "core/serverstats.h"
#include "core/voteledger.h"
#include "embeddedshard.h"
#include "journal.h"
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
            lane->shard = new EmbeddedShard(name, QDir(dataDir).filePath(name + QStringLiteral(".sqlite")), this);
        else
            lane->shard = new RedisShard(name, redisNodes[i].host, redisNodes[i].port, redisOptions, this);
        lane->retryTimer = new QTimer(this);
        lane->retryTimer->setSingleShot(true);
        Lane *raw = lane.get();
        connect(lane->retryTimer, &QTimer::timeout, this, [this, raw] { pump(raw); });
        connect(lane->shard, &Shard::stateChanged, this, [this, raw](Shard::State state) {
            publishShardInfo();
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
    openShards(0);
}

void StorageEngine::openShards(int index)
{
    if (index == int(m_lanes.size())) {
        loadCatalog(0);
        return;
    }
    Lane *lane = m_lanes[size_t(index)].get();
    qCInfo(lcStorage, "Opening shard %s (%s %s)", qPrintable(lane->shard->name()), qPrintable(lane->shard->kind()),
          qPrintable(lane->shard->address()));
    lane->shard->open([this, lane, index](Outcome<bool> opened) {
        if (!opened) {
            Q_EMIT started(false, opened.error().message);
            return;
        }
        lane->shard->appliedSequence(m_instanceId, [this, lane, index](Outcome<quint64> applied) {
            if (!applied) {
                Q_EMIT started(false, applied.error().message);
                return;
            }
            // Sequences continue across restarts, so an old batch is never mistaken
            // for a new one.
            lane->nextSequence = applied.value() + 1;
            openShards(index + 1);
        });
    });
}

void StorageEngine::loadCatalog(int index)
{
    if (index == int(m_lanes.size())) {
        finishStart();
        return;
    }
    Shard *shard = m_lanes[size_t(index)]->shard;
    shard->loadPolls([this, shard, index](Outcome<QList<Poll>> polls) {
        if (!polls) {
            Q_EMIT started(false, polls.error().message);
            return;
        }
        for (Poll poll : polls.value()) {
            poll.shard = shard->name();
            m_catalog.upsert(poll);
        }
        loadCatalog(index + 1);
    });
}

void StorageEngine::refreshCatalog()
{
    for (const auto &lane : m_lanes) {
        Shard *shard = lane->shard;
        if (shard->state() != Shard::State::Up)
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
                if (!known || known->open != poll.open) {
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
        applied.insert(lane->shard->name(), lane->nextSequence - 1);
    QElapsedTimer timer;
    timer.start();
    const Outcome<Journal::Recovery> recovered = m_journal->recover(
        [this](const QString &pollId) { return laneFor(pollId)->shard->name(); }, applied,
        [this](const QString &pollId) { return m_catalog.contains(pollId); });
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
    if (m_journal && !recoverJournal())
        return;
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
    if (lane->busy || lane->queue.empty() || lane->retryTimer->isActive() || !lane->queue.front().sealed)
        return;
    Batch &batch = lane->queue.front();
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
        // Batches already sent are ordered before the delete on the shard; batches
        // not yet sent must not bring the counts back afterwards.
        stripUnsent(pollId);
        m_router.shard(poll->shard)->deletePoll(pollId, [this, pollId, reply](Outcome<bool> deleted) {
            if (!deleted) {
                reply(deleted.error());
                return;
            }
            m_catalog.remove(pollId);
            m_ledger.forget(pollId);
            stripUnsent(pollId);
            publishShardInfo();
            Q_EMIT pollEvent(QStringLiteral("poll_deleted"), QJsonObject{{QStringLiteral("id"), pollId}});
            reply(true);
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
            if (batch.sent || (i == 0 && lane->busy))
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
        const int optionCount = m_catalog.optionCount(pollId);
        if (optionCount < 0) {
            reply(TallyError::pollNotFound(pollId));
            return;
        }
        Shard *shard = laneFor(pollId)->shard;
        shard->readCounts(pollId, [this, shard, pollId, optionCount, reply](Outcome<StoredCounts> stored) {
            if (!stored) {
                // The shard is unreachable: the last counts we had plus what is pending
                // are still a lower bound worth showing, and say so.
                if (std::optional<OptionCounts> stale = m_ledger.readStale(pollId, optionCount))
                    reply(ResultRead{*stale, QStringLiteral("stale_cache")});
                else
                    reply(stored.error());
                return;
            }
            reply(ResultRead{m_ledger.storeRead(pollId, stored.value(), optionCount),
                             shard->kind() + u':' + shard->name()});
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
        item.ringShare = m_router.ring().share(item.name);
        item.points = m_router.ring().virtualNodes();
        item.storedVotes = shard->storedVotes();
        item.queuedBatches = int(lane->queue.size());
        info.append(item);
    }
    QMutexLocker locker(&m_infoMutex);
    m_info = info;
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
        if (shard.state != u"up")
            return false;
    return true;
}
