#include "storageengine.h"
#include "catalogsync.h"
#include "core/logcategories.h"
#include "core/pollcatalog.h"
#include "core/requestparser.h"
#include "core/serverstats.h"
#include "core/voteledger.h"
#include "flushepochs.h"
#include "journal.h"
#include "journalreplay.h"
#include "placementtracker.h"
#include "polllifecycle.h"
#include "pubsubbridge.h"
#include "resethandshake.h"
#include "shardfactory.h"
#include "shardlane.h"
#include "shardmoves.h"
#include "shardrequests.h"

#include <QRandomGenerator>
#include <QSet>
#include <QTimer>

StorageEngine::StorageEngine(const Config &config, const QString &instanceId, PollCatalog &catalog,
                             VoteLedger &ledger, ServerStats &stats, Journal *journal,
                             QObject *parent)
    : QObject(parent), m_journal(journal), m_config(config), m_instanceId(instanceId),
      m_source(instanceId + u'@' + QString::number(QRandomGenerator::global()->generate(), 36)),
      m_catalog(catalog), m_ledger(ledger), m_stats(stats),
      m_router(ShardFactory::names(config), config.virtualNodes()),
      m_epochs(new FlushEpochs(journal, stats, this)),
      m_placements(new PlacementTracker(
          instanceId, catalog, [this](const QString &shard) { return laneNamed(shard) != nullptr; },
          [this](const QString &pollId, const QString &shard) {
              const ShardLane *lane = laneNamed(shard);
              return lane && lane->holdsPoll(pollId);
          },
          this)),
      m_catalogSync(new CatalogSync(instanceId, catalog, ledger, *m_placements, this)),
      m_moves(new ShardMoves(
          *m_placements, *m_epochs, journal != nullptr,
          [this](const QString &shard) { return laneNamed(shard); }, this)),
      m_lifecycle(new PollLifecycle(
          catalog, ledger, m_router, journal,
          {instanceId, m_source, config.instanceLeaseMs(), config.resetTimeoutMs(),
           !config.redisNodes().isEmpty()},
          {[this](const QString &shard) { return isShardReady(shard); },
           [this](const QString &pollId, const QString &onlyKey) { stripUnsent(pollId, onlyKey); },
           [this] { publishShardInfo(); },
           [this](const TallyError &refusal, const QString &pollId) {
               return m_moves->adoptMoves(refusal, pollId);
           },
           [this](qint64 votes) { ServerStats::bump(m_stats.votesDiscarded, quint64(votes)); },
           [this](const QString &shard, const QByteArray &message) {
               publishOn(shard, PubSubBridge::Channel, message);
           },
           [this](const QString &shard, std::function<void(bool)> done) {
               reloadLane(shard, std::move(done));
           },
           [this](const QString &pollId) -> Shard * {
               ShardLane *lane = laneFor(pollId);
               return lane ? lane->shard : nullptr;
           }},
          this)),
      m_requests(new ShardRequests(
          catalog, ledger, *m_moves, [this](const QString &key) { return laneFor(key); },
          [this](const QString &shard) { return laneNamed(shard); }, this))
{
    connect(m_catalogSync, &CatalogSync::pollEvent, this, &StorageEngine::pollEvent);
    connect(m_lifecycle, &PollLifecycle::pollEvent, this, &StorageEngine::pollEvent);
    connect(m_placements, &PlacementTracker::pollEvent, this, &StorageEngine::pollEvent);
    connect(m_moves, &ShardMoves::shardsChanged, this, &StorageEngine::publishShardInfo);
    connect(m_moves, &ShardMoves::rebalanceFinished, this, &StorageEngine::rebalanceFinished);
    connect(m_moves, &ShardMoves::batchesQueued, this, [this] {
        publishShardInfo();
        pumpAll();
    });
    connect(m_moves, &ShardMoves::epochResealed, this, [this](quint64 epoch) {
        for (const auto &lane : m_lanes)
            lane->markSealed(epoch);
        pumpAll();
    });
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

    const bool onRedis = !m_config.redisNodes().isEmpty(); // embedded shards have no replicas
    for (int i = 0; i < m_router.shardNames().size(); ++i) {
        Shard *shard = ShardFactory::create(m_config, i, this);
        auto lane = std::make_unique<ShardLane>(shard, m_instanceId, m_source,
                                                onRedis ? m_config.redisMinReplicas() : 0,
                                                m_config.redisReplicaTimeoutMs());
        ShardLane *raw = lane.get();
        connectLane(raw);
        connect(shard, &Shard::stateChanged, this, [this, raw](Shard::State state) {
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
            if (state == Shard::State::Up)
                raw->resume();
        });
        m_router.attach(lane->shard);
        m_lanes.push_back(std::move(lane));
    }
    if (onRedis) {
        m_moves->enableRebalancing(m_router, m_catalog);
    }
    publishShardInfo();
    // Every shard is opened at once; serving starts when each is open or has failed its
    // first attempt, so one unreachable Redis node does not keep the others from serving.
    for (const auto &lane : m_lanes)
        openLane(lane.get());
}

void StorageEngine::openLane(ShardLane *lane)
{
    qCInfo(lcStorage, "Opening shard %s (%s %s)", qPrintable(lane->shard->name()),
           qPrintable(lane->shard->kind()), qPrintable(lane->shard->address()));
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

void StorageEngine::prepareLane(ShardLane *lane)
{
    lane->preparing = true;
    const auto prepared = [this, lane](std::optional<TallyError> error, qint64 polls) {
        lane->preparing = false;
        if (error) {
            // A Redis shard tries again when it is reached again; an embedded one cannot.
            if (lane->shard->kind() == u"redis") {
                qCWarning(lcStorage, "Shard %s: %s", qPrintable(lane->shard->name()),
                          qPrintable(error->message));
                lane->failedOnce = true;
                checkStart();
            } else if (!m_started) {
                Q_EMIT started(false, error->message);
            }
            return;
        }
        lane->ready = true;
        if (!m_started) {
            publishShardInfo();
            checkStart();
            return;
        }
        qCInfo(lcStorage, "Shard %s reached: %lld poll(s) loaded", qPrintable(lane->shard->name()),
               polls);
        // Replayed votes are pending before anyone can see the shard up.
        if (m_recoveryPending &&
            std::all_of(m_lanes.cbegin(), m_lanes.cend(), [](const auto &l) { return l->ready; }))
            recoverDeferred();
        publishShardInfo();
    };
    // The lease comes first: a reset applied after it waits for this instance, one
    // applied before it is in the polls loaded.
    m_lifecycle->handshake().acquire(lane->shard,
                                     [this, lane, prepared](std::optional<TallyError> error) {
                                         if (error)
                                             prepared(error, 0);
                                         else
                                             m_catalogSync->prepare(lane, m_started, prepared);
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
            qCWarning(lcStorage,
                      "Journal: its files are replayed once every shard has been reached");
        }
    }
    for (const auto &lane : m_lanes)
        if (!lane->ready)
            qCWarning(lcStorage,
                      "Shard %s (%s) is not reachable: serving the other shards; its polls "
                      "become available when it is reached",
                      qPrintable(lane->shard->name()), qPrintable(lane->shard->kind()));
    finishStart();
}

Outcome<Journal::Recovery> StorageEngine::replayJournal(quint64 upToEpoch)
{
    QHash<QString, quint64> applied;
    for (const auto &lane : m_lanes)
        applied.insert(lane->shard->name(), lane->appliedAtStart);
    JournalReplay replay(*m_journal, m_stats,
                         {[this](const QString &key) { return laneFor(key)->shard->name(); },
                          [this](const QString &key) { return isCurrentKey(key); },
                          [this](const QString &key) { return m_placements->movedFrom(key); }});
    return replay.run(applied, upToEpoch);
}

void StorageEngine::recoverDeferred()
{
    m_recoveryPending = false;
    const Outcome<Journal::Recovery> recovered = replayJournal(m_deferredEpoch - 1);
    if (!recovered) {
        qCritical("Journal: %s; its files stay for the next start",
                  qPrintable(recovered.error().message));
        return;
    }
    if (recovered.value().votes.isEmpty())
        return;
    // The replayed votes are the epoch kept free for them, sealed like any other.
    m_ledger.addInflight(recovered.value().votes);
    enqueue(m_deferredEpoch, recovered.value().votes);
}

bool StorageEngine::recoverJournal()
{
    const Outcome<Journal::Recovery> recovered = replayJournal(std::numeric_limits<quint64>::max());
    if (!recovered) {
        Q_EMIT started(false, recovered.error().message);
        return false;
    }
    m_nextFlushId = recovered.value().nextEpoch;
    m_ledger.setEpoch(recovered.value().nextEpoch);
    m_ledger.addRecovered(recovered.value().votes);
    m_journal->start();
    return true;
}

void StorageEngine::finishStart()
{
    m_started = true;
    m_flushTimer->start();
    m_lifecycle->start();
    QList<Shard *> shards;
    for (const auto &lane : m_lanes)
        shards.append(lane->shard);
    m_lifecycle->handshake().start(shards);
    if (!m_config.redisNodes().isEmpty()) {
        // Other instances may create, close or delete polls on the same nodes.
        auto *refresh = new QTimer(this);
        connect(refresh, &QTimer::timeout, this, [this] { m_catalogSync->refresh(m_lanes); });
        refresh->start(m_config.catalogRefreshMs());
    }
    publishShardInfo();
    Q_EMIT started(true, QString());
    // Moves a crashed mover left behind are finished by whoever starts next.
    m_moves->resume();
}

ShardLane *StorageEngine::laneFor(const QString &key) const
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

QString StorageEngine::shardNameOf(const QString &pollId) const
{
    return laneFor(pollId)->shard->name();
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
    qint64 dropped = 0;
    const PollCounts taken = m_ledger.takeBuffered(
        [this](const QString &key) { return isCurrentKey(key); }, m_nextFlushId, &dropped);
    if (dropped > 0)
        ServerStats::bump(m_stats.votesDiscarded, quint64(dropped));
    enqueue(flushId, taken);
}

void StorageEngine::enqueue(quint64 flushId, const PollCounts &taken)
{
    QHash<ShardLane *, ShardLane::Batch> batches;
    qint64 votes = 0;
    for (auto it = taken.cbegin(); it != taken.cend(); ++it) {
        ShardLane::Batch &batch = batches[laneFor(it.key())];
        batch.counts.insert(it.key(), it.value());
        const qint64 pollVotes = VoteCounts::total(it.value());
        batch.votes += pollVotes;
        votes += pollVotes;
    }
    m_epochs->begin(flushId, int(batches.size()));
    QHash<QString, quint64> manifest;
    for (auto it = batches.begin(); it != batches.end(); ++it) {
        it->sequence = it.key()->nextSequence++;
        it->flushId = flushId;
        // With a journal, a batch may go out only once its epoch's manifest is on disk.
        it->sealed = m_journal == nullptr;
        manifest.insert(it.key()->shard->name(), it->sequence);
        // A moved poll's batch has its own entry: the journal must tell it apart from
        // a batch of the shard it came from (see Journal::recover).
        for (auto key = it->counts.cbegin(); key != it->counts.cend(); ++key)
            if (const PollCatalog::Snapshot known =
                    m_catalog.snapshot(Poll::pollIdOfKey(key.key()));
                known && known->placement.cameFrom())
                manifest.insert(Journal::manifestKey(it.key()->shard->name(), key.key()),
                                it->sequence);
        it.key()->push(std::move(*it));
    }
    if (votes > 0) {
        ServerStats::bump(m_stats.flushes);
        m_stats.lastFlushVotes.storeRelaxed(quint64(votes));
    }
    if (m_journal)
        m_epochs->seal(flushId, manifest, [this, flushId] {
            for (const auto &lane : m_lanes)
                lane->markSealed(flushId);
            pumpAll();
        });
    pumpAll();
}

void StorageEngine::pumpAll()
{
    for (const auto &lane : m_lanes)
        lane->pump();
    checkDrained();
}

void StorageEngine::connectLane(ShardLane *lane)
{
    lane->setHold([this](const ShardLane::Batch &batch) {
        for (auto key = batch.counts.cbegin(); key != batch.counts.cend(); ++key)
            if (m_lifecycle->isDeleting(Poll::pollIdOfKey(key.key())))
                return true; // sent after the delete it would bring the counts back; see
                             // PollLifecycle::remove
        return false;
    });
    connect(lane, &ShardLane::batchApplied, this, [this](const ShardLane::Batch &batch) {
        m_ledger.confirmApplied(batch.counts);
        // Votes the shard left out (their poll was reset since) are not stored.
        ServerStats::bump(m_stats.votesFlushed, quint64(batch.votes - batch.stale));
        if (batch.stale > 0)
            ServerStats::bump(m_stats.votesDiscarded, quint64(batch.stale));
    });
    connect(lane, &ShardLane::batchStored, this, [this](quint64 flushId) {
        m_epochs->batchStored(flushId);
        checkDrained();
    });
    connect(lane, &ShardLane::batchFailed, this,
            [this] { ServerStats::bump(m_stats.flushFailures); });
    connect(lane, &ShardLane::batchRedirected, this,
            [this, lane](const TallyError &refusal) { m_moves->reroute(lane, refusal); });
    connect(lane, &ShardLane::batchReopened, this, [this](const PollCounts &counts, qint64 votes) {
        m_ledger.reopenApplied(counts);
        m_stats.votesFlushed.fetchAndSubRelaxed(quint64(votes));
        ServerStats::bump(m_stats.batchesReplayed);
    });
    connect(lane, &ShardLane::changed, this, [this] {
        publishShardInfo();
        checkDrained();
    });
}

void StorageEngine::createPoll(const Poll &draft, Reply<Poll> reply)
{
    QMetaObject::invokeMethod(this, [this, draft, reply] { m_lifecycle->create(draft, reply); });
}

void StorageEngine::setPollOpen(const QString &pollId, bool open, Reply<Poll> reply)
{
    QMetaObject::invokeMethod(
        this, [this, pollId, open, reply] { m_lifecycle->setOpen(pollId, open, reply); });
}

void StorageEngine::revealPoll(const QString &pollId, Reply<Poll> reply)
{
    QMetaObject::invokeMethod(this, [this, pollId, reply] { m_lifecycle->reveal(pollId, reply); });
}

void StorageEngine::resetPoll(const QString &pollId, Reply<Poll> reply)
{
    QMetaObject::invokeMethod(this, [this, pollId, reply] { m_lifecycle->reset(pollId, reply); });
}

void StorageEngine::endReset(const QString &pollId, quint64 serial)
{
    // Any thread, synchronously: the worker that answered calls this before its answer
    // leaves, so a vote sent after the answer arrived finds the poll taking votes again.
    m_lifecycle->endReset(pollId, serial);
}

void StorageEngine::setWorkerThreads(const QList<QObject *> &workers)
{
    QMetaObject::invokeMethod(this, [this, workers] { m_lifecycle->setWorkerThreads(workers); });
}

void StorageEngine::deletePoll(const QString &pollId, Reply<bool> reply)
{
    QMetaObject::invokeMethod(this, [this, pollId, reply] {
        m_lifecycle->remove(pollId, [this, reply](Outcome<bool> deleted) {
            pumpAll(); // the batches held for the delete go now
            reply(deleted);
        });
    });
}

void StorageEngine::publishOn(const QString &shardName, const QByteArray &channel,
                              const QByteArray &message)
{
    for (const auto &lane : m_lanes)
        if ((shardName.isEmpty() || lane->shard->name() == shardName) &&
            lane->shard->state() == Shard::State::Up)
            lane->shard->publish(channel, message);
}

void StorageEngine::stripUnsent(const QString &pollId, const QString &onlyKey)
{
    for (const auto &lane : m_lanes) {
        const PollCounts dropped = lane->strip(pollId, onlyKey);
        if (!dropped.isEmpty()) {
            m_ledger.abandon(dropped);
            ServerStats::bump(m_stats.votesDiscarded, quint64(VoteCounts::total(dropped)));
        }
    }
}

void StorageEngine::readResults(const QString &pollId, Reply<ResultRead> reply)
{
    QMetaObject::invokeMethod(this,
                              [this, pollId, reply] { m_requests->readResults(pollId, reply); });
}

void StorageEngine::claimVoter(const QString &pollId, const QString &voterId, Reply<bool> reply)
{
    QMetaObject::invokeMethod(
        this, [this, pollId, voterId, reply] { m_requests->claimVoter(pollId, voterId, reply); });
}

void StorageEngine::releaseVoter(const QString &pollId, const QString &voterId)
{
    QMetaObject::invokeMethod(
        this, [this, pollId, voterId] { m_requests->releaseVoter(pollId, voterId); });
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
    if (!m_draining || m_ledger.bufferedVotes() > 0 || m_epochs->pendingSeals() > 0)
        return;
    for (const auto &lane : m_lanes)
        if (!lane->idle())
            return;
    m_draining = false;
    // Stopped: resets elsewhere need not wait for this instance any more.
    m_lifecycle->handshake().release([this] { Q_EMIT drained(); });
}

void StorageEngine::publishShardInfo()
{
    m_status.publish(m_lanes, m_router);
}

bool StorageEngine::isFenced(const QString &shardName) const
{
    return m_lifecycle->handshake().isFenced(shardName);
}

void StorageEngine::onResetMessage(const QJsonObject &message)
{
    m_lifecycle->handshake().onMessage(message);
}

void StorageEngine::reloadLane(const QString &shardName, std::function<void(bool)> done)
{
    ShardLane *lane = laneNamed(shardName);
    if (!lane || !lane->ready) {
        done(false);
        return;
    }
    m_catalogSync->prepare(lane, true,
                           [done](std::optional<TallyError> error, qint64) { done(!error); });
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
    m_status.setSubscribed(shardName, subscribed);
    publishShardInfo();
}

QList<StorageEngine::ShardInfo> StorageEngine::shardInfo() const
{
    return m_status.info();
}

bool StorageEngine::allShardsUp() const
{
    return m_status.allUp();
}

ShardLane *StorageEngine::laneNamed(const QString &shardName) const
{
    for (const auto &lane : m_lanes)
        if (lane->shard->name() == shardName)
            return lane.get();
    return nullptr;
}

Rebalancer::Progress StorageEngine::rebalanceProgress() const
{
    return m_moves->progress();
}

void StorageEngine::rebalance(bool dryRun, Reply<Rebalancer::Progress> reply)
{
    QMetaObject::invokeMethod(this, [this, dryRun, reply] {
        QString unready;
        for (const auto &lane : m_lanes)
            if (!lane->ready && unready.isEmpty())
                unready = lane->shard->name();
        reply(m_moves->rebalance(dryRun, m_started, unready));
    });
}
