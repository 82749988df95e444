#include "resethandshake.h"
#include "core/logcategories.h"
#include "movescripts.h"
#include "pubsubbridge.h"
#include "redispollmeta.h"
#include "redisshard.h"

#include <QJsonDocument>
#include <QTimer>
#include <memory>

namespace {

const QByteArray InstancesKey = QByteArrayLiteral("tally:instances");

// The resetting instance asks the others again this often, and checks who joined.
constexpr int TickMs = 100;
// A joined instance that heard nothing asks the shard this often.
constexpr int JoinedCheckMs = 250;
// After the reset is applied, the record stays this long for joined instances that miss
// the word that it was answered.
constexpr int AnsweredGraceMs = 2000;

// KEYS: instances. ARGV: source, lease (ms). Expiry on Redis's clock.
const QByteArray LeaseScript =
    QByteArrayLiteral("local t = redis.call('TIME')\n"
                      "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
                      "redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', now)\n"
                      "redis.call('ZADD', KEYS[1], now + tonumber(ARGV[2]), ARGV[1])\n"
                      "return 1\n");

// KEYS: meta, reset, acks. ARGV: ticket, source, expiry (ms), the generation expected.
// 1 begun; 0 no such poll; -1 another reset under way; -2 the poll was reset meanwhile.
const QByteArray BeginScript = QByteArrayLiteral(
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n"
    "if redis.call('EXISTS', KEYS[2]) == 1 then return -1 end\n"
    "if (redis.call('HGET', KEYS[1], 'resets') or '0') ~= ARGV[4] then return -2 end\n"
    "redis.call('DEL', KEYS[3])\n"
    "redis.call('HSET', KEYS[2], 'ticket', ARGV[1], 'applied', '0')\n"
    "redis.call('SADD', KEYS[3], ARGV[2])\n"
    "redis.call('PEXPIRE', KEYS[2], ARGV[3])\n"
    "redis.call('PEXPIRE', KEYS[3], ARGV[3])\n"
    "return 1\n");

// KEYS: meta, reset, acks, instances, counts, applied counts, voters. ARGV: ticket, how
// long the record stays once applied (ms), the poll's metadata fields. The move refusals
// of MoveGuard; 1 applied; 0 the record is gone; else {'waiting', '', missing sources...}.
const QByteArray &applyScript()
{
    // Built on first use: MoveGuard lives in another translation unit.
    static const QByteArray script =
        MoveScripts::MoveGuard +
        QByteArrayLiteral(
            "if redis.call('HGET', KEYS[2], 'ticket') ~= ARGV[1] then return 0 end\n"
            "local t = redis.call('TIME')\n"
            "local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)\n"
            "local missing = {'waiting', ''}\n"
            "for _, source in ipairs(redis.call('ZRANGEBYSCORE', KEYS[4], now, '+inf')) do\n"
            "  if redis.call('SISMEMBER', KEYS[3], source) == 0 then\n"
            "    missing[#missing + 1] = source\n"
            "  end\n"
            "end\n"
            "if #missing > 2 then return missing end\n"
            "redis.call('DEL', KEYS[5], KEYS[6], KEYS[7], KEYS[3])\n"
            "redis.call('HSET', KEYS[1], unpack(ARGV, 3))\n"
            "redis.call('HSET', KEYS[2], 'applied', '1')\n"
            "redis.call('PEXPIRE', KEYS[2], ARGV[2])\n"
            "return 1\n");
    return script;
}

// KEYS: meta, reset, acks. ARGV: ticket, source, '1' to join. Answers {record of the
// ticket present, applied, resets, reset_at}; joins only a reset not applied yet.
const QByteArray AskScript = QByteArrayLiteral(
    "local r = redis.call('HMGET', KEYS[2], 'ticket', 'applied')\n"
    "local present = r[1] == ARGV[1]\n"
    "if present and r[2] == '0' and ARGV[3] == '1' then\n"
    "  redis.call('SADD', KEYS[3], ARGV[2])\n"
    "end\n"
    "local m = redis.call('HMGET', KEYS[1], 'resets', 'reset_at')\n"
    "return {present and 1 or 0, (present and r[2] == '1') and 1 or 0, m[1] or '0', m[2] or ''}\n");

// KEYS: reset, acks. ARGV: ticket, '1' to end an applied reset too.
const QByteArray EndScript =
    QByteArrayLiteral("local r = redis.call('HMGET', KEYS[1], 'ticket', 'applied')\n"
                      "if r[1] ~= ARGV[1] or (r[2] == '1' and ARGV[2] ~= '1') then return 0 end\n"
                      "redis.call('DEL', KEYS[1], KEYS[2])\n"
                      "return 1\n");

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

} // namespace

ResetHandshake::ResetHandshake(const QString &instanceId, const QString &source, int leaseMs,
                               int timeoutMs, Hooks hooks, QObject *parent)
    : QObject(parent), m_instanceId(instanceId), m_source(source), m_leaseMs(leaseMs),
      m_timeoutMs(timeoutMs), m_hooks(std::move(hooks)), m_joinedTimer(new QTimer(this))
{
    m_clock.start();
    m_joinedTimer->setInterval(JoinedCheckMs);
    connect(m_joinedTimer, &QTimer::timeout, this, &ResetHandshake::checkJoined);
}

QByteArray ResetHandshake::resetKey(const QString &pollId)
{
    return "poll:" + pollId.toUtf8() + ":reset";
}

QByteArray ResetHandshake::acksKey(const QString &pollId)
{
    return "poll:" + pollId.toUtf8() + ":reset_acks";
}

bool ResetHandshake::handles(Shard *shard)
{
    return qobject_cast<RedisShard *>(shard) != nullptr;
}

RedisShard *ResetHandshake::redisOf(const QString &pollId) const
{
    return m_hooks.shardOf ? qobject_cast<RedisShard *>(m_hooks.shardOf(pollId)) : nullptr;
}

// ---- leases

void ResetHandshake::acquire(Shard *shard, std::function<void(std::optional<TallyError>)> done)
{
    if (!handles(shard)) {
        done(std::nullopt);
        return;
    }
    Lease &lease = m_leases[shard->name()];
    lease.shard = shard;
    renew(lease, std::move(done));
}

void ResetHandshake::start(const QList<Shard *> &shards)
{
    for (Shard *shard : shards)
        if (handles(shard) && !m_leases.contains(shard->name()))
            m_leases[shard->name()].shard = shard;
    if (m_leases.isEmpty())
        return;
    for (Lease &lease : m_leases)
        // Reached again: renewed now, so a fence ends as soon as it can.
        connect(lease.shard, &Shard::stateChanged, this,
                [this, name = lease.shard->name()](Shard::State state) {
                    Lease &lease = m_leases[name];
                    if (state == Shard::State::Up && !lease.renewing)
                        renew(lease);
                });
    auto *renewal = new QTimer(this);
    connect(renewal, &QTimer::timeout, this, [this] {
        for (Lease &lease : m_leases)
            if (!lease.renewing && lease.shard->state() == Shard::State::Up)
                renew(lease);
    });
    renewal->start(std::max(50, m_leaseMs / 4));
    auto *check = new QTimer(this);
    connect(check, &QTimer::timeout, this, &ResetHandshake::checkLeases);
    check->start(std::max(20, m_leaseMs / 10));
}

void ResetHandshake::renew(Lease &lease, std::function<void(std::optional<TallyError>)> done)
{
    auto *shard = qobject_cast<RedisShard *>(lease.shard);
    const QString name = shard->name();
    const qint64 sent = m_clock.elapsed();
    lease.renewing = true;
    shard->command(
        {"EVAL", LeaseScript, "1", InstancesKey, m_instanceId.toUtf8(),
         QByteArray::number(m_leaseMs)},
        [this, name, sent, done](std::optional<RedisReply> reply) {
            Lease &lease = m_leases[name];
            lease.renewing = false;
            if (!reply || reply->isError()) {
                if (done)
                    done(TallyError::unavailable(
                        QStringLiteral("shard_unavailable"),
                        QStringLiteral("Shard %1: the instance lease could not be taken.")
                            .arg(name)));
                return;
            }
            // Counted from when it was sent: Redis starts it later, never earlier.
            lease.deadline = sent + m_leaseMs * 3 / 4;
            if (done) {
                // First lease, before the shard's polls are loaded.
                setFenced(lease, false);
                done(std::nullopt);
                return;
            }
            if (!lease.fenced || lease.reloading || !m_hooks.reload)
                return;
            // Back after a fence: a reset may have passed this instance by.
            lease.reloading = true;
            m_hooks.reload(name, [this, name](bool loaded) {
                Lease &lease = m_leases[name];
                lease.reloading = false;
                if (loaded && lease.deadline > m_clock.elapsed()) {
                    qCInfo(lcStorage,
                           "Shard %s: lease renewed, polls read again; votes taken again",
                           qPrintable(name));
                    setFenced(lease, false);
                }
            });
        });
}

void ResetHandshake::checkLeases()
{
    const qint64 now = m_clock.elapsed();
    for (auto it = m_leases.begin(); it != m_leases.end(); ++it)
        if (!it->fenced && it->deadline > 0 && now > it->deadline) {
            qCWarning(lcStorage,
                      "Shard %s: instance lease not renewed for %d ms; votes for its polls are "
                      "refused until it is",
                      qPrintable(it.key()), m_leaseMs * 3 / 4);
            setFenced(*it, true);
        }
}

void ResetHandshake::setFenced(Lease &lease, bool fenced)
{
    lease.fenced = fenced;
    QMutexLocker locker(&m_fenceMutex);
    if (fenced)
        m_fenced.insert(lease.shard->name());
    else
        m_fenced.remove(lease.shard->name());
    m_fencedCount.storeRelaxed(int(m_fenced.size()));
}

bool ResetHandshake::isFenced(const QString &shardName) const
{
    if (m_fencedCount.loadRelaxed() == 0)
        return false; // the hot path: one atomic read
    QMutexLocker locker(&m_fenceMutex);
    return m_fenced.contains(shardName);
}

void ResetHandshake::release(std::function<void()> done)
{
    auto remaining = std::make_shared<int>(0);
    auto finished = std::make_shared<bool>(false);
    auto once = [done, finished] {
        if (!*finished) {
            *finished = true;
            done();
        }
    };
    for (Lease &lease : m_leases) {
        auto *shard = qobject_cast<RedisShard *>(lease.shard);
        if (!shard || shard->state() != Shard::State::Up)
            continue;
        ++*remaining;
        shard->command({"ZREM", InstancesKey, m_instanceId.toUtf8()},
                       [remaining, once](std::optional<RedisReply>) {
                           if (--*remaining == 0)
                               once();
                       });
    }
    if (*remaining == 0)
        once();
    else
        QTimer::singleShot(500, this, once);
}

// ---- the resetting side

void ResetHandshake::run(const Poll &marked, const Poll &reset,
                         std::function<void(Outcome<bool>)> done)
{
    auto *shard = qobject_cast<RedisShard *>(m_hooks.shardOf(marked.id));
    if (!shard) {
        done(TallyError::unavailable(
            QStringLiteral("shard_unavailable"),
            QStringLiteral("Poll '%1' has no Redis shard here.").arg(marked.id)));
        return;
    }
    Run run;
    run.marked = marked;
    run.reset = reset;
    run.shard = shard;
    run.ticket = m_source + u'#' + QString::number(++m_nextTicket);
    run.done = std::move(done);
    run.started.start();
    const QString id = marked.id;
    const QString ticket = run.ticket;
    m_runs.insert(id, run);
    shard->command(
        {"EVAL", BeginScript, "3", RedisShard::metaKey(id), resetKey(id), acksKey(id),
         ticket.toUtf8(), m_instanceId.toUtf8(), QByteArray::number(m_timeoutMs + 1000),
         QByteArray::number(marked.resets)},
        [this, id, ticket](std::optional<RedisReply> reply) {
            if (!m_runs.contains(id) || m_runs[id].ticket != ticket)
                return;
            if (!reply || reply->isError()) {
                endRun(id, TallyError::unavailable(
                               QStringLiteral("shard_unavailable"),
                               QStringLiteral("Shard %1 could not record the reset of poll '%2'.")
                                   .arg(m_runs[id].shard->name(), id)));
                return;
            }
            if (reply->integer == 0) {
                endRun(id, TallyError::pollNotFound(id));
                return;
            }
            if (reply->integer < 0) {
                endRun(id, TallyError::conflict(
                               QStringLiteral("reset_in_progress"),
                               QStringLiteral("Poll '%1' is being reset already.").arg(id)));
                return;
            }
            Run &run = m_runs[id];
            run.tick = new QTimer(this);
            connect(run.tick, &QTimer::timeout, this, [this, id] {
                if (!m_runs.contains(id))
                    return;
                const Run &run = m_runs[id];
                publishPhase(run.shard->name(),
                             {{QStringLiteral("phase"), QStringLiteral("prepare")},
                              {QStringLiteral("poll_id"), id},
                              {QStringLiteral("ticket"), run.ticket}});
                tryApply(id);
            });
            run.tick->start(TickMs);
            publishPhase(run.shard->name(), {{QStringLiteral("phase"), QStringLiteral("prepare")},
                                             {QStringLiteral("poll_id"), id},
                                             {QStringLiteral("ticket"), ticket}});
            tryApply(id);
        });
}

void ResetHandshake::tryApply(const QString &pollId)
{
    Run &run = m_runs[pollId];
    if (run.applying)
        return;
    if (run.started.elapsed() > m_timeoutMs) {
        run.shard->command(
            {"EVAL", EndScript, "2", resetKey(pollId), acksKey(pollId), run.ticket.toUtf8(), "0"},
            [](std::optional<RedisReply>) {});
        publishPhase(run.shard->name(), {{QStringLiteral("phase"), QStringLiteral("aborted")},
                                         {QStringLiteral("poll_id"), pollId},
                                         {QStringLiteral("ticket"), run.ticket}});
        TallyError error = TallyError::unavailable(
            QStringLiteral("reset_incomplete"),
            QStringLiteral(
                "Poll '%1' was not reset: instance(s) %2 hold a lease on shard %3 but did "
                "not confirm within %4 ms; try again.")
                .arg(pollId, run.missing.isEmpty() ? QStringLiteral("?") : run.missing.join(u", "),
                     run.shard->name())
                .arg(m_timeoutMs));
        error.retryAfterSeconds = 1;
        endRun(pollId, error);
        return;
    }
    run.applying = true;
    QList<QByteArray> arguments{"EVAL",
                                applyScript(),
                                "7",
                                RedisShard::metaKey(pollId),
                                resetKey(pollId),
                                acksKey(pollId),
                                InstancesKey,
                                RedisShard::countsKey(pollId),
                                RedisShard::appliedKey(pollId),
                                RedisShard::votersKey(pollId),
                                run.ticket.toUtf8(),
                                QByteArray::number(AnsweredGraceMs)};
    arguments.append(RedisPollMeta::fields(run.reset));
    const QString ticket = run.ticket;
    run.shard->command(arguments, [this, pollId, ticket](std::optional<RedisReply> reply) {
        if (!m_runs.contains(pollId) || m_runs[pollId].ticket != ticket)
            return;
        Run &run = m_runs[pollId];
        run.applying = false;
        if (!reply || reply->isError())
            return; // tried again at the next tick, until the timeout
        if (std::optional<TallyError> refused =
                MoveScripts::refusalOfPoll(*reply, pollId, run.shard->name())) {
            if (refused->code == u"poll_moving")
                return; // a moment; tried again
            run.shard->command(
                {"EVAL", EndScript, "2", resetKey(pollId), acksKey(pollId), ticket.toUtf8(), "0"},
                [](std::optional<RedisReply>) {});
            endRun(pollId, *refused);
            return;
        }
        if (reply->type == RedisReply::Type::Array) {
            run.missing.clear();
            for (qsizetype i = 2; i < reply->elements.size(); ++i)
                run.missing.append(QString::fromUtf8(reply->elements[i].text));
            return;
        }
        if (reply->integer == 0) {
            TallyError error = TallyError::unavailable(
                QStringLiteral("reset_incomplete"),
                QStringLiteral("Poll '%1' was not reset: its reset expired on shard %2; try again.")
                    .arg(pollId, run.shard->name()));
            error.retryAfterSeconds = 1;
            endRun(pollId, error);
            return;
        }
        m_answered.insert(pollId, {ticket, run.shard->name(), run.marked.resetting});
        endRun(pollId, true);
    });
}

void ResetHandshake::endRun(const QString &pollId, Outcome<bool> outcome)
{
    Run run = m_runs.take(pollId);
    if (run.tick)
        run.tick->deleteLater();
    run.done(outcome);
}

void ResetHandshake::finish(const QString &pollId, quint64 serial)
{
    const auto answered = m_answered.constFind(pollId);
    if (answered == m_answered.cend() || answered->serial != serial)
        return;
    const Answered done = *answered;
    m_answered.remove(pollId);
    // Ordered before the message on the same connection: whoever hears it finds the
    // record gone.
    if (auto *shard = redisOf(pollId))
        shard->command(
            {"EVAL", EndScript, "2", resetKey(pollId), acksKey(pollId), done.ticket.toUtf8(), "1"},
            [](std::optional<RedisReply>) {});
    publishPhase(done.shard, {{QStringLiteral("phase"), QStringLiteral("done")},
                              {QStringLiteral("poll_id"), pollId},
                              {QStringLiteral("ticket"), done.ticket}});
}

void ResetHandshake::publishPhase(const QString &shard, const QJsonObject &reset)
{
    m_hooks.publish(
        shard, compact({{QStringLiteral("source"), m_source}, {QStringLiteral("reset"), reset}}));
}

// ---- the joining side

void ResetHandshake::onMessage(const QJsonObject &message)
{
    const QString phase = message.value(QStringLiteral("phase")).toString();
    const QString pollId = message.value(QStringLiteral("poll_id")).toString();
    const QString ticket = message.value(QStringLiteral("ticket")).toString();
    if (pollId.isEmpty() || ticket.isEmpty())
        return;
    const auto joined = m_joined.constFind(pollId);
    if (phase == u"prepare") {
        if (joined == m_joined.cend())
            join(pollId, ticket);
        else if (joined->ticket != ticket || (!joined->acked && !joined->asking && joined->serial))
            ask(pollId, true); // a new reset, or joining failed: ask the shard where it stands
        return;
    }
    // Answered or aborted: the shard tells the generation to count in.
    if (joined != m_joined.cend() && joined->ticket == ticket)
        ask(pollId, false);
}

void ResetHandshake::join(const QString &pollId, const QString &ticket)
{
    if (!m_hooks.knows(pollId) || !redisOf(pollId))
        return; // it takes no votes for the poll; asked again shortly
    const quint64 serial = m_hooks.holdVotes(pollId);
    if (serial == 0)
        return; // its own reset of the poll is under way; asked again shortly
    m_joined.insert(pollId, {ticket, 0, false, true});
    m_joinedTimer->start();
    m_hooks.afterPendingAcknowledgements([this, pollId, ticket, serial](bool) {
        Joined &joined = m_joined[pollId];
        if (joined.ticket != ticket)
            return;
        joined.serial = serial;
        joined.asking = false;
        ask(pollId, true);
    });
}

void ResetHandshake::ask(const QString &pollId, bool ack)
{
    auto it = m_joined.find(pollId);
    RedisShard *shard = redisOf(pollId);
    if (it == m_joined.end() || it->asking || it->serial == 0 || !shard)
        return;
    it->asking = true;
    const QString ticket = it->ticket;
    shard->command({"EVAL", AskScript, "3", RedisShard::metaKey(pollId), resetKey(pollId),
                    acksKey(pollId), ticket.toUtf8(), m_instanceId.toUtf8(), ack ? "1" : "0"},
                   [this, pollId, ticket, ack](std::optional<RedisReply> reply) {
                       auto it = m_joined.find(pollId);
                       if (it == m_joined.end() || it->ticket != ticket)
                           return;
                       it->asking = false;
                       if (!reply || reply->isError() || reply->elements.size() != 4)
                           return; // asked again by the timer
                       const bool present = reply->elements[0].integer == 1;
                       if (present) {
                           it->acked = it->acked || ack;
                           return; // still under way, or applied and not answered yet
                       }
                       conclude(pollId, reply->elements[2].text.toUInt(),
                                QDateTime::fromString(QString::fromUtf8(reply->elements[3].text),
                                                      Qt::ISODateWithMs));
                   });
}

void ResetHandshake::conclude(const QString &pollId, quint32 resets, const QDateTime &resetAt)
{
    const Joined joined = m_joined.take(pollId);
    if (m_joined.isEmpty())
        m_joinedTimer->stop();
    m_hooks.release(pollId, joined.serial, resets, resetAt);
}

void ResetHandshake::checkJoined()
{
    for (auto it = m_joined.cbegin(); it != m_joined.cend(); ++it)
        if (it->serial && !it->asking)
            QMetaObject::invokeMethod(
                this, [this, id = it.key(), acked = it->acked] { ask(id, !acked); },
                Qt::QueuedConnection);
}
