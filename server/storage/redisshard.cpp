#include "redisshard.h"
#include "core/logcategories.h"
#include "movescripts.h"
#include "redispollmeta.h"
#include "sentinelresolver.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QRandomGenerator>
#include <QTimer>
#include <algorithm>
#include <memory>

namespace {

// Creates the poll only if its metadata does not exist yet, and indexes it, atomically.
// Counts, applied counts or voters under the id of a poll that does not exist are left
// from a deleted one (a batch whose outcome was unknown landing after the delete): a new
// poll starts from nothing.
const QByteArray CreatePollScript =
    QByteArrayLiteral("if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end\n"
                      "redis.call('DEL', KEYS[3], KEYS[4], KEYS[5], KEYS[6])\n"
                      "redis.call('HSET', KEYS[1], unpack(ARGV))\n"
                      "redis.call('SADD', KEYS[2], ARGV[2])\n"
                      "return 1\n");

// Writes back the record of a poll a new master lacks (its creation was never
// replicated), keeping the counts already there (batches sent again after the failover),
// unless the poll exists or was deleted (a deletion that did replicate).
const QByteArray RestorePollScript =
    QByteArrayLiteral("if redis.call('EXISTS', KEYS[1]) == 1 or redis.call('EXISTS', KEYS[3]) == 1 "
                      "then return 0 end\n"
                      "redis.call('HSET', KEYS[1], unpack(ARGV))\n"
                      "redis.call('SADD', KEYS[2], ARGV[2])\n"
                      "return 1\n");

// How long a deleted poll's marker stays: far longer than a failover takes.
constexpr int DeletedMarkerSeconds = 24 * 3600;

// The counts field of a slot: the option letter, or "voters" for the votes cast in a
// multiple-choice poll.
QByteArray slotField(int slot)
{
    return slot == Poll::VotersSlot ? QByteArrayLiteral("voters") : Poll::optionId(slot).toUtf8();
}

// Returns the instance's last applied sequence and records the one after it as
// applied, so a late batch of an earlier run carrying that number is skipped.
const QByteArray FenceScript =
    QByteArrayLiteral("local seq = tonumber(redis.call('GET', KEYS[1]) or '0')\n"
                      "redis.call('SET', KEYS[1], seq + 1)\n"
                      "return seq\n");

} // namespace

RedisShard::RedisShard(const QString &name, const QString &host, quint16 port,
                       const Options &options, QObject *parent)
    : Shard(parent), m_name(name), m_host(RedisConnection::resolveHost(host)), m_port(port),
      m_options(options), m_breaker(options.breakerFailures, options.breakerResetMs),
      m_reconnectTimer(new QTimer(this))
{
    m_reconnectTimer->setSingleShot(true);
    connect(m_reconnectTimer, &QTimer::timeout, this, &RedisShard::connectNow);
}

RedisShard::RedisShard(const QString &name, SentinelResolver *resolver, const Options &options,
                       QObject *parent)
    : RedisShard(name, QString(), 0, options, parent)
{
    m_resolver = resolver;
    m_resolver->setParent(this);
    connect(m_resolver, &SentinelResolver::masterSwitched, this, &RedisShard::onMasterSwitched);
    m_resolver->watch();
    // Sentinel notifications are at most once: a master that was demoted while we
    // stayed connected is found by asking it.
    m_roleTimer = new QTimer(this);
    m_roleTimer->setInterval(1000);
    connect(m_roleTimer, &QTimer::timeout, this, &RedisShard::checkRole);
    m_roleTimer->start();
}

QString RedisShard::address() const
{
    if (m_resolver && !m_hadMaster)
        return m_resolver->describe();
    return QStringLiteral("%1:%2").arg(m_host).arg(m_port);
}

QString RedisShard::monitor() const
{
    return m_resolver ? m_resolver->describe() : QString();
}

TallyError RedisShard::unavailable(const QString &detail) const
{
    QString message = QStringLiteral("Shard %1 (redis %2) is unavailable").arg(m_name, address());
    const QString reason = detail.isEmpty() ? m_lastError : detail;
    if (!reason.isEmpty())
        message += QStringLiteral(": ") + reason;
    return TallyError::unavailable(QStringLiteral("shard_unavailable"), message + u'.');
}

void RedisShard::setState(State state)
{
    if (state == m_state)
        return;
    m_state = state;
    Q_EMIT stateChanged(state);
}

void RedisShard::open(Reply<bool> done)
{
    m_openWaiters.append(std::move(done));
    if (!m_connection && !m_reconnectTimer->isActive())
        connectNow();
}

void RedisShard::connectNow()
{
    if (m_connection)
        return;
    if (!m_breaker.allowAttempt()) {
        scheduleReconnect();
        return;
    }
    if (m_breaker.state() == CircuitBreaker::State::HalfOpen)
        setState(State::HalfOpen);
    if (!m_resolver) {
        connectTo(m_host, m_port);
        return;
    }
    if (m_resolving)
        return;
    m_resolving = true;
    m_resolver->resolve([this](Outcome<SentinelResolver::Master> master) {
        m_resolving = false;
        if (!master) {
            onDisconnected(master.error().message);
            return;
        }
        const QString previous = address();
        m_host = master.value().host;
        m_port = master.value().port;
        m_replicas = master.value().replicas;
        if (m_hadMaster && address() != previous) {
            ++m_failovers;
            qCWarning(lcStorage,
                      "Shard %s: failover: master is now %s (was %s); %d failover(s) seen",
                      qPrintable(m_name), qPrintable(address()), qPrintable(previous), m_failovers);
        }
        m_hadMaster = true;
        connectTo(m_host, m_port);
    });
}

void RedisShard::connectTo(const QString &host, quint16 port)
{
    m_wroteOnConnection = false;
    m_connection = new RedisConnection(host, port, m_options.connectTimeoutMs,
                                       m_options.commandTimeoutMs, this);
    connect(m_connection, &RedisConnection::connected, this, &RedisShard::onConnected);
    connect(m_connection, &RedisConnection::disconnected, this, &RedisShard::onDisconnected);
    m_connection->open();
}

void RedisShard::onConnected()
{
    m_breaker.recordSuccess();
    if (m_reconnectAttempts > 0)
        qCInfo(lcStorage, "Shard %s: connected to redis %s after %d attempts", qPrintable(m_name),
               qPrintable(address()), m_reconnectAttempts + 1);
    m_reconnectAttempts = 0;
    m_lastError.clear();
    setState(State::Up);
    const QList<Reply<bool>> waiters = std::exchange(m_openWaiters, {});
    for (const Reply<bool> &waiter : waiters)
        waiter(true);
}

void RedisShard::onDisconnected(const QString &reason)
{
    if (m_connection) {
        m_connection->deleteLater();
        m_connection = nullptr;
    }
    if (m_reconnectAttempts == 0)
        qCWarning(lcStorage, "Shard %s: redis %s unreachable (%s); reconnecting",
                  qPrintable(m_name), qPrintable(address()), qPrintable(reason));
    m_lastError = reason;
    m_breaker.recordFailure();
    ++m_reconnectAttempts;
    setState(m_breaker.state() == CircuitBreaker::State::Open ? State::Open : State::Down);
    scheduleReconnect();
}

void RedisShard::onMasterSwitched(const QString &host, quint16 port)
{
    if (host == m_host && port == m_port && m_connection)
        return;
    qCInfo(lcStorage, "Shard %s: sentinels switched the master to %s:%u", qPrintable(m_name),
           qPrintable(host), port);
    if (m_connection) {
        m_connection->abort(
            QStringLiteral("the sentinels switched the master to %1:%2").arg(host).arg(port));
    } else if (m_reconnectTimer->isActive() && !m_resolving) {
        m_reconnectTimer->stop();
        m_breaker.recordSuccess(); // the node behind this shard changed: probe it at once
        connectNow();
    }
}

void RedisShard::checkRole()
{
    if (!m_connection || !m_connection->isConnected())
        return;
    send({"ROLE"}, [this](std::optional<RedisReply> role) {
        if (!role || role->isError() || role->elements.isEmpty())
            return;
        if (role->elements[0].text != "master") {
            if (m_connection)
                m_connection->abort(QStringLiteral("%1 is no longer a master").arg(address()));
            return;
        }
        const QStringList replicas = SentinelResolver::replicasFromRole(*role);
        if (replicas != m_replicas) {
            m_replicas = replicas;
            Q_EMIT stateChanged(m_state); // listeners refresh what they show
        }
    });
}

void RedisShard::waitForReplicas(int replicas, int timeoutMs, Reply<int> done)
{
    if (!m_connection || !m_connection->isConnected()) {
        QTimer::singleShot(0, this, [this, done] { done(unavailable()); });
        return;
    }
    // WAIT covers the writes made on this connection; after a reconnect one write
    // here makes it cover everything the master held before.
    if (!m_wroteOnConnection) {
        send({"INCR", "tally:replication-probe"}, [](std::optional<RedisReply>) {});
        m_wroteOnConnection = true;
    }
    send({"WAIT", QByteArray::number(replicas), QByteArray::number(timeoutMs)},
         [this, done](std::optional<RedisReply> reply) {
             if (!reply || reply->isError()) {
                 done(unavailable(reply ? QString::fromUtf8(reply->text) : QString()));
                 return;
             }
             done(int(reply->integer));
         });
}

void RedisShard::scheduleReconnect()
{
    if (m_reconnectTimer->isActive())
        return;
    qint64 delay = m_breaker.msUntilProbe();
    if (delay == 0) {
        // 100 ms doubling to 5 s, plus up to 25% jitter so instances spread out.
        const int base = std::min(5000, 100 << std::min(m_reconnectAttempts, 6));
        delay = base + QRandomGenerator::global()->bounded(base / 4 + 1);
    }
    m_reconnectTimer->start(int(delay));
}

void RedisShard::send(const QList<QByteArray> &arguments, RedisConnection::Handler handler)
{
    if (!m_connection || !m_connection->isConnected()) {
        QTimer::singleShot(0, this, [handler] { handler(std::nullopt); });
        return;
    }
    m_connection->command(arguments, std::move(handler));
}

void RedisShard::loadPolls(Reply<QList<Poll>> done)
{
    send({"SMEMBERS", "polls"}, [this, done](std::optional<RedisReply> ids) {
        if (!ids || ids->isError()) {
            done(unavailable(ids ? QString::fromUtf8(ids->text) : QString()));
            return;
        }
        if (ids->elements.isEmpty()) {
            done(QList<Poll>{});
            return;
        }
        // One pipelined round trip for every poll's metadata and counts.
        struct Load {
            QList<Poll> polls;
            qint64 votes = 0;
            int remaining = 0;
            bool failed = false;
        };
        auto load = std::make_shared<Load>();
        load->remaining = int(ids->elements.size()) * 2;
        auto finishOne = [this, load, done] {
            if (--load->remaining > 0)
                return;
            if (load->failed) {
                done(unavailable());
                return;
            }
            m_storedVotes = load->votes;
            done(load->polls);
        };
        for (const RedisReply &id : std::as_const(ids->elements)) {
            const QString pollId = QString::fromUtf8(id.text);
            send({"HGETALL", metaKey(pollId)}, [load, finishOne](std::optional<RedisReply> meta) {
                if (!meta || meta->isError())
                    load->failed = true;
                else if (std::optional<Poll> poll = RedisPollMeta::toPoll(*meta))
                    load->polls.append(*poll);
                finishOne();
            });
            send({"HVALS", countsKey(pollId)}, [load, finishOne](std::optional<RedisReply> counts) {
                if (!counts || counts->isError())
                    load->failed = true;
                else
                    for (const RedisReply &value : std::as_const(counts->elements))
                        load->votes += value.text.toLongLong();
                finishOne();
            });
        }
    });
}

void RedisShard::savePoll(const Poll &poll, bool create, Reply<bool> done)
{
    QList<QByteArray> arguments;
    if (create)
        arguments = {"EVAL",
                     CreatePollScript,
                     "6",
                     metaKey(poll.id),
                     "polls",
                     countsKey(poll.id),
                     appliedKey(poll.id),
                     votersKey(poll.id),
                     deletedKey(poll.id)};
    else // a poll that is moving or has moved keeps its record: the change goes to its copy
        arguments = {"EVAL", MoveScripts::UpdateMeta, "1", metaKey(poll.id)};
    arguments.append(RedisPollMeta::fields(poll));
    send(arguments, [this, create, id = poll.id, done](std::optional<RedisReply> reply) {
        if (!reply || reply->isError()) {
            done(unavailable(reply ? QString::fromUtf8(reply->text) : QString()));
            return;
        }
        if (std::optional<TallyError> refused = MoveScripts::refusalOfPoll(*reply, id, m_name)) {
            done(*refused);
            return;
        }
        if (create && reply->integer == 0) {
            done(TallyError::conflict(
                QStringLiteral("poll_exists"),
                QStringLiteral("A poll with id '%1' already exists.").arg(id)));
            return;
        }
        done(true);
    });
}

void RedisShard::restorePoll(const Poll &poll, Reply<bool> done)
{
    QList<QByteArray> arguments{"EVAL",           RestorePollScript, "3",
                                metaKey(poll.id), "polls",           deletedKey(poll.id)};
    arguments.append(RedisPollMeta::fields(poll));
    send(arguments, [this, done](std::optional<RedisReply> reply) {
        if (!reply || reply->isError())
            done(unavailable(reply ? QString::fromUtf8(reply->text) : QString()));
        else
            done(reply->integer == 1);
    });
}

void RedisShard::deletePoll(const QString &pollId, Reply<bool> done)
{
    send({"HVALS", countsKey(pollId)}, [this](std::optional<RedisReply> counts) {
        if (counts && !counts->isError())
            for (const RedisReply &value : std::as_const(counts->elements))
                m_storedVotes -= value.text.toLongLong();
    });
    send({"MULTI"}, [](std::optional<RedisReply>) {});
    send({"DEL", countsKey(pollId), metaKey(pollId), appliedKey(pollId), votersKey(pollId)},
         [](std::optional<RedisReply>) {});
    send({"SREM", "polls", pollId.toUtf8()}, [](std::optional<RedisReply>) {});
    // Replicated with the delete: a failover's restore of polls never brings it back.
    send({"SET", deletedKey(pollId), "1", "EX", QByteArray::number(DeletedMarkerSeconds)},
         [](std::optional<RedisReply>) {});
    send({"EXEC"}, [this, done](std::optional<RedisReply> reply) {
        if (!reply || reply->isError())
            done(unavailable(reply ? QString::fromUtf8(reply->text) : QString()));
        else
            done(true);
    });
}

namespace {
// Stores `value` at the option index named by a letter field ("A" -> 0).
void setOption(OptionCounts &counts, QByteArrayView letter, qint64 value)
{
    int index = Poll::VotersSlot;
    if (letter != "voters") {
        if (letter.size() != 1 || letter[0] < 'A' || letter[0] >= 'A' + Poll::MaxOptions)
            return;
        index = letter[0] - 'A';
    }
    if (counts.size() <= index)
        counts.resize(index + 1);
    counts[index] = value;
}
} // namespace

void RedisShard::readCounts(const QString &pollId, Reply<StoredCounts> done)
{
    // Counts and per-source applied counts in one transaction, so they agree.
    send({"MULTI"}, [](std::optional<RedisReply>) {});
    send({"HGETALL", countsKey(pollId)}, [](std::optional<RedisReply>) {});
    send({"HGETALL", appliedKey(pollId)}, [](std::optional<RedisReply>) {});
    send({"HMGET", metaKey(pollId), "move_state", "moved_to", "move_fences"},
         [](std::optional<RedisReply>) {});
    send({"EXEC"}, [this, done](std::optional<RedisReply> reply) {
        if (!reply || reply->isError() || reply->elements.size() != 3) {
            done(unavailable(reply ? QString::fromUtf8(reply->text) : QString()));
            return;
        }
        StoredCounts stored;
        for (const auto &[field, value] : reply->elements[0].pairs())
            setOption(stored.counts, field, value.toLongLong());
        // Fields are "<source>/<option letter>".
        for (const auto &[field, value] : reply->elements[1].pairs()) {
            const qsizetype slash = field.lastIndexOf('/');
            if (slash > 0)
                setOption(stored.appliedBySource[QString::fromUtf8(field.left(slash))],
                          QByteArrayView(field).sliced(slash + 1), value.toLongLong());
        }
        // The poll has moved to another shard: its counts are there now.
        const QList<RedisReply> &move = reply->elements[2].elements;
        if (move.size() == 3 && move[0].text == "moved") {
            stored.movedTo = QString::fromUtf8(move[1].text);
            stored.movedFences = PollPlacement::decodeFences(move[2].text);
        }
        done(stored);
    });
}

void RedisShard::resetPoll(const Poll &poll, Reply<bool> done)
{
    QList<QByteArray> arguments{"EVAL",
                                MoveScripts::ResetPoll,
                                "4",
                                metaKey(poll.id),
                                countsKey(poll.id),
                                appliedKey(poll.id),
                                votersKey(poll.id)};
    arguments.append(RedisPollMeta::fields(poll));
    send({"HVALS", countsKey(poll.id)}, [this](std::optional<RedisReply> counts) {
        if (counts && !counts->isError())
            for (const auto &value : std::as_const(counts->elements))
                m_storedVotes -= value.text.toLongLong();
    });
    send(arguments, [this, id = poll.id, done](std::optional<RedisReply> reply) {
        if (!reply || reply->isError()) {
            done(unavailable(reply ? QString::fromUtf8(reply->text) : QString()));
            return;
        }
        if (std::optional<TallyError> refused = MoveScripts::refusalOfPoll(*reply, id, m_name)) {
            done(*refused);
            return;
        }
        if (reply->integer == 0) {
            done(TallyError::pollNotFound(id));
            return;
        }
        done(true);
    });
}

void RedisShard::publish(const QByteArray &channel, const QByteArray &message)
{
    send({"PUBLISH", channel, message}, [](std::optional<RedisReply>) {});
}

void RedisShard::applyBatch(const QString &instance, const QString &source, quint64 sequence,
                            const PollCounts &counts, Reply<qint64> done)
{
    if (!m_connection || !m_connection->isConnected()) {
        QTimer::singleShot(0, this, [this, done] { done(unavailable()); });
        return;
    }
    // One script: the counts and the instance's sequence land together or not at all,
    // and a batch whose sequence is already recorded is skipped, so a batch that
    // reaches Redis twice (an old connection's data processed late) counts once.
    QList<QByteArray> arguments{"EVAL", MoveScripts::ApplyBatch, QByteArray(),
                                flushedKey(instance)};
    QList<QByteArray> values{QByteArray::number(sequence)};
    const QByteArray sourcePrefix = source.toUtf8() + '/';
    qint64 votes = 0;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it) {
        for (qsizetype option = 0; option < it->size(); ++option) {
            const qint64 delta = it->at(option);
            if (delta == 0)
                continue;
            votes += delta;
            const QByteArray letter = slotField(int(option));
            const QString pollId = Poll::pollIdOfKey(it.key());
            arguments << countsKey(pollId) << appliedKey(pollId) << metaKey(pollId);
            values << letter << sourcePrefix + letter << QByteArray::number(delta)
                   << QByteArray::number(Poll::generationOfKey(it.key()));
        }
    }
    arguments[2] = QByteArray::number(arguments.size() - 3);
    arguments.append(values);
    m_wroteOnConnection = true;
    send(arguments, [this, votes, done](std::optional<RedisReply> reply) {
        if (!reply) {
            // Sent, but no answer: it may or may not have been applied.
            done(TallyError::outcomeUnknown(
                QStringLiteral("Shard %1: connection lost during a batch").arg(m_name)));
            return;
        }
        if (reply->isError()) {
            done(unavailable(QString::fromUtf8(reply->text)));
            return;
        }
        if (reply->type == RedisReply::Type::Array) {
            done(MoveScripts::refusalOf(*reply, m_name));
            return;
        }
        // 1 + the votes left out for their poll's reset; 0: applied before.
        const qint64 stale = std::max<qint64>(0, reply->integer - 1);
        if (reply->integer >= 1)
            m_storedVotes += votes - stale;
        done(stale);
    });
}

void RedisShard::appliedSequence(const QString &instance, Reply<quint64> done)
{
    send({"GET", flushedKey(instance)}, [this, done](std::optional<RedisReply> reply) {
        if (!reply || reply->isError()) {
            done(unavailable(reply ? QString::fromUtf8(reply->text) : QString()));
            return;
        }
        done(reply->type == RedisReply::Type::Nil ? quint64(0) : reply->text.toULongLong());
    });
}

void RedisShard::fenceSequence(const QString &instance, Reply<quint64> done)
{
    send({"EVAL", FenceScript, "1", flushedKey(instance)},
         [this, done](std::optional<RedisReply> reply) {
             if (!reply || reply->isError()) {
                 done(unavailable(reply ? QString::fromUtf8(reply->text) : QString()));
                 return;
             }
             done(quint64(reply->integer));
         });
}

void RedisShard::claimVoter(const QString &pollId, const QString &voterId, Reply<bool> done)
{
    // A poll that is moving refuses new voters: they would miss the copy.
    send({"EVAL", MoveScripts::ClaimVoter, "2", metaKey(pollId), votersKey(pollId),
          voterId.toUtf8()},
         [this, pollId, done](std::optional<RedisReply> reply) {
             if (!reply || reply->isError()) {
                 done(unavailable(reply ? QString::fromUtf8(reply->text) : QString()));
             } else if (std::optional<TallyError> refused =
                            MoveScripts::refusalOfPoll(*reply, pollId, m_name)) {
                 done(*refused);
             } else {
                 done(reply->integer == 1);
             }
         });
}

void RedisShard::command(const QList<QByteArray> &arguments, RedisConnection::Handler handler)
{
    send(arguments, std::move(handler));
}

void RedisShard::releaseVoter(const QString &pollId, const QString &voterId, Reply<bool> done)
{
    send({"SREM", "poll:" + pollId.toUtf8() + ":voters", voterId.toUtf8()},
         [this, done](std::optional<RedisReply> reply) {
             if (!reply || reply->isError())
                 done(unavailable(reply ? QString::fromUtf8(reply->text) : QString()));
             else
                 done(reply->integer == 1);
         });
}
