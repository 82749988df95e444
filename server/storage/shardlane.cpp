#include "shardlane.h"
#include "core/logcategories.h"
#include "core/poll.h"

#include <QRandomGenerator>
#include <QTimer>

namespace {

// Backoff for a failing shard: 50 ms doubling to 5 s, with up to 25% jitter so
// several instances do not retry in lockstep.
int retryDelayMs(int failures)
{
    const int base = std::min(5000, 50 << std::min(failures, 7));
    return base + int(QRandomGenerator::global()->bounded(base / 4 + 1));
}

constexpr int ReplicaRetryMs = 200;
constexpr int MovingRetryMs = 20;

} // namespace

ShardLane::ShardLane(Shard *shard, const QString &instanceId, const QString &source,
                     int minReplicas, int replicaTimeoutMs, QObject *parent)
    : QObject(parent), shard(shard), m_instanceId(instanceId), m_source(source),
      m_minReplicas(minReplicas), m_replicaTimeoutMs(replicaTimeoutMs), m_lastState(shard->state()),
      m_retryTimer(new QTimer(this)), m_replicaTimer(new QTimer(this))
{
    m_retryTimer->setSingleShot(true);
    connect(m_retryTimer, &QTimer::timeout, this, &ShardLane::pump);
    m_replicaTimer->setSingleShot(true);
    connect(m_replicaTimer, &QTimer::timeout, this, &ShardLane::confirmReplicas);
    // Connected before anyone else's slot, so a reconnect is verified before a batch goes.
    connect(shard, &Shard::stateChanged, this, &ShardLane::onStateChanged);
}

void ShardLane::onStateChanged(Shard::State state)
{
    const bool reconnected = state == Shard::State::Up && m_lastState != Shard::State::Up;
    m_lastState = state;
    if (!reconnected || !ready)
        return;
    if (m_restoring) {
        m_reconnectedWhileRestoring = true;
        return;
    }
    afterReconnect();
}

void ShardLane::afterReconnect()
{
    if (m_restore && restoredFailovers != shard->failovers())
        restoreAfterFailover();
    else if (!m_awaiting.empty())
        verifyAfterReconnect();
}

void ShardLane::restoreAfterFailover()
{
    // Poll records first: a batch sent again counts only under its poll's generation,
    // which the record holds.
    m_restoring = true;
    m_verifying = true;
    const int failovers = shard->failovers();
    m_restore([this, failovers](bool restored) {
        m_restoring = false;
        m_verifying = false;
        const bool reconnected = std::exchange(m_reconnectedWhileRestoring, false);
        if (restored)
            restoredFailovers = failovers;
        // Lost before it finished: the next reconnect restores (or this one, if it came).
        if (!restored && !reconnected)
            return;
        if (shard->state() != Shard::State::Up)
            return;
        if (reconnected || restoredFailovers != shard->failovers() || !m_awaiting.empty()) {
            afterReconnect();
            return;
        }
        pump();
        confirmReplicas();
    });
}

void ShardLane::push(Batch batch)
{
    m_queue.push_back(std::move(batch));
}

void ShardLane::markSealed(quint64 epoch)
{
    for (Batch &batch : m_queue)
        if (batch.flushId == epoch)
            batch.sealed = true;
}

void ShardLane::resume()
{
    if (m_retryTimer->isActive()) {
        m_retryTimer->stop();
        pump();
    }
    confirmReplicas();
}

void ShardLane::hurry()
{
    if (!m_queue.empty() && m_queue.front().checkApplied && m_retryTimer->isActive() &&
        shard->state() == Shard::State::Up) {
        m_retryTimer->stop();
        pump();
    }
}

void ShardLane::pump()
{
    if (!ready || m_busy || m_verifying || m_queue.empty() || m_retryTimer->isActive() ||
        !m_queue.front().sealed)
        return;
    Batch &batch = m_queue.front();
    if (m_hold && m_hold(batch))
        return;

    const quint64 sequence = batch.sequence;
    m_busy = true;
    if (batch.checkApplied) {
        // The last attempt may have landed: the shard's recorded sequence decides.
        shard->appliedSequence(m_instanceId, [this, sequence](Outcome<quint64> applied) {
            m_busy = false;
            if (!applied) {
                onFailed(applied.error());
            } else if (applied.value() >= sequence) {
                onApplied();
            } else {
                m_queue.front().checkApplied = false;
                pump();
            }
        });
        return;
    }
    batch.sent = true;
    shard->applyBatch(
        m_instanceId, m_source, sequence, batch.counts, [this](Outcome<qint64> applied) {
            m_busy = false;
            if (applied) {
                m_queue.front().stale = applied.value();
                onApplied();
                return;
            }
            Batch &failed = m_queue.front();
            const QString code = applied.error().code;
            if (code == u"poll_moving" || code == u"polls_moved") {
                // Refused whole, nothing applied: a poll of the batch is being moved
                // (try again shortly) or has moved (its votes go to its new shard).
                failed.sent = false;
                failed.checkApplied = false;
                if (code == u"polls_moved")
                    Q_EMIT batchRedirected(applied.error());
                else
                    m_retryTimer->start(MovingRetryMs);
                return;
            }
            const bool unknown = applied.error().code == QStringLiteral("outcome_unknown");
            failed.checkApplied = unknown;
            failed.sent = unknown;
            onFailed(applied.error());
        });
}

void ShardLane::onApplied()
{
    Batch batch = std::move(m_queue.front());
    m_queue.pop_front();
    if (m_failures > 0)
        qCInfo(lcStorage, "Shard %s: batch %llu applied after %d failed attempts",
               qPrintable(shard->name()), batch.sequence, m_failures);
    m_failures = 0;
    Q_EMIT batchApplied(batch);
    if (m_minReplicas > 0) {
        m_awaiting.push_back(std::move(batch));
        confirmReplicas();
    } else {
        Q_EMIT batchStored(batch.flushId);
    }
    Q_EMIT changed();
    pump();
}

void ShardLane::onFailed(const TallyError &error)
{
    if (m_failures == 0)
        qCWarning(lcStorage, "Shard %s: batch %llu failed, retrying with backoff: %s",
                  qPrintable(shard->name()), m_queue.front().sequence, qPrintable(error.message));
    m_retryTimer->start(retryDelayMs(m_failures++));
    Q_EMIT batchFailed(error);
    Q_EMIT changed();
}

void ShardLane::confirmReplicas()
{
    if (m_waiting || m_verifying || m_awaiting.empty() || m_replicaTimer->isActive() ||
        shard->state() != Shard::State::Up)
        return;
    m_waiting = true;
    const quint64 upTo = m_awaiting.back().sequence;
    shard->waitForReplicas(m_minReplicas, m_replicaTimeoutMs, [this, upTo](Outcome<int> replicas) {
        m_waiting = false;
        if (!replicas)
            return; // the reconnect verifies what the master holds, then waits again
        if (replicas.value() < m_minReplicas) {
            if (!m_shortfallLogged)
                qCWarning(lcStorage,
                          "Shard %s: %d of %d required replica(s) confirmed within %d ms; "
                          "journal epochs are kept until they do",
                          qPrintable(shard->name()), replicas.value(), m_minReplicas,
                          m_replicaTimeoutMs);
            m_shortfallLogged = true;
            m_replicaTimer->start(ReplicaRetryMs);
            return;
        }
        if (m_shortfallLogged)
            qCInfo(lcStorage, "Shard %s: %d replica(s) confirm its batches again",
                   qPrintable(shard->name()), replicas.value());
        m_shortfallLogged = false;
        while (!m_awaiting.empty() && m_awaiting.front().sequence <= upTo) {
            const quint64 flushId = m_awaiting.front().flushId;
            m_awaiting.pop_front();
            Q_EMIT batchStored(flushId);
        }
        Q_EMIT changed();
        confirmReplicas();
    });
}

void ShardLane::verifyAfterReconnect()
{
    m_verifying = true;
    shard->appliedSequence(m_instanceId, [this](Outcome<quint64> applied) {
        m_verifying = false;
        if (!applied) {
            // Lost again before answering: the next reconnect verifies.
            return;
        }
        // Replication is asynchronous: what the old master applied after its last
        // replicated write is missing here. Sequences make sending it again exact.
        std::deque<Batch> lost;
        while (!m_awaiting.empty() && m_awaiting.back().sequence > applied.value()) {
            lost.push_front(std::move(m_awaiting.back()));
            m_awaiting.pop_back();
        }
        if (!lost.empty()) {
            qint64 votes = 0;
            for (const Batch &batch : lost)
                votes += batch.votes;
            qCWarning(lcStorage,
                      "Shard %s: the master at %s lacks %lld batch(es) (%lld vote(s)) applied "
                      "before the failover; sending them again",
                      qPrintable(shard->name()), qPrintable(shard->address()), qint64(lost.size()),
                      votes);
        }
        for (auto it = lost.rbegin(); it != lost.rend(); ++it) {
            it->sent = false;
            it->checkApplied = false;
            it->sealed = true;
            Q_EMIT batchReopened(it->counts, it->votes);
            m_queue.push_front(std::move(*it));
        }
        m_retryTimer->stop();
        pump();
        confirmReplicas();
        Q_EMIT changed();
    });
}

PollCounts ShardLane::strip(const QString &pollId, const QString &onlyKey)
{
    PollCounts dropped;
    for (size_t i = 0; i < m_queue.size(); ++i) {
        Batch &batch = m_queue[i];
        // The batch on the wire is ordered before the delete. One whose outcome is
        // unknown either landed before it (and is gone with the poll) or must not
        // bring the counts back when it is sent again.
        if (i == 0 && m_busy)
            continue;
        for (auto it = batch.counts.begin(); it != batch.counts.end();) {
            const bool matches =
                onlyKey.isEmpty() ? Poll::pollIdOfKey(it.key()) == pollId : it.key() == onlyKey;
            if (!matches) {
                ++it;
                continue;
            }
            VoteCounts::add(dropped[it.key()], *it);
            batch.votes -= VoteCounts::total(*it);
            it = batch.counts.erase(it);
        }
    }
    return dropped;
}

bool ShardLane::holdsPoll(const QString &pollId) const
{
    for (const Batch &batch : m_queue)
        for (auto key = batch.counts.cbegin(); key != batch.counts.cend(); ++key)
            if (Poll::pollIdOfKey(key.key()) == pollId)
                return true;
    return false;
}

PollCounts ShardLane::takeMoved(const QSet<QString> &pollIds)
{
    PollCounts taken;
    if (m_queue.empty() || m_busy)
        return taken;
    Batch &batch = m_queue.front();
    for (auto it = batch.counts.begin(); it != batch.counts.end();) {
        if (!pollIds.contains(Poll::pollIdOfKey(it.key()))) {
            ++it;
            continue;
        }
        taken.insert(it.key(), *it);
        batch.votes -= VoteCounts::total(*it);
        it = batch.counts.erase(it);
    }
    Q_EMIT changed();
    return taken;
}

void ShardLane::retryLater(int ms)
{
    m_retryTimer->start(ms);
}
