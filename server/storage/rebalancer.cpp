#include "rebalancer.h"
#include "core/logcategories.h"
#include "core/pollcatalog.h"
#include "movescripts.h"
#include "redisshard.h"
#include "shardrouter.h"

#include <QRandomGenerator>
#include <QTimer>

namespace {

constexpr int MaxAttempts = 40;
const QByteArray IncomingKey = QByteArrayLiteral("tally:incoming");

int retryDelayMs(int attempts)
{
    const int base = std::min(2000, 50 << std::min(attempts, 6));
    return base + int(QRandomGenerator::global()->bounded(base / 4 + 1));
}

QString replyError(const std::optional<RedisReply> &reply)
{
    if (!reply)
        return QStringLiteral("no answer");
    return QString::fromUtf8(reply->text);
}

} // namespace

QJsonObject Rebalancer::Progress::toJson() const
{
    QJsonObject targets;
    for (auto it = toMoveByShard.cbegin(); it != toMoveByShard.cend(); ++it)
        targets.insert(it.key(), it.value());
    QJsonObject json{{QStringLiteral("state"), state},
                     {QStringLiteral("dry_run"), dryRun},
                     {QStringLiteral("polls_to_move"), toMove},
                     {QStringLiteral("polls_moved"), moved},
                     {QStringLiteral("polls_failed"), failed},
                     {QStringLiteral("polls_deleted_meanwhile"), skipped},
                     {QStringLiteral("votes_moved"), votesMoved},
                     {QStringLiteral("to_shards"), targets}};
    if (startedAt.isValid())
        json.insert(QStringLiteral("started_at"), startedAt.toString(Qt::ISODateWithMs));
    if (finishedAt.isValid())
        json.insert(QStringLiteral("finished_at"), finishedAt.toString(Qt::ISODateWithMs));
    if (!lastError.isEmpty())
        json.insert(QStringLiteral("last_error"), lastError);
    return json;
}

Rebalancer::Rebalancer(ShardLookup shards, const ShardRouter &router, PollCatalog &catalog,
                       Adopt adopt, QObject *parent)
    : QObject(parent), m_shards(std::move(shards)), m_router(router), m_catalog(catalog),
      m_adopt(std::move(adopt))
{
}

template <typename Change> void Rebalancer::update(Change &&change)
{
    QMutexLocker locker(&m_progressMutex);
    change(m_progress);
}

Rebalancer::Progress Rebalancer::progress() const
{
    QMutexLocker locker(&m_progressMutex);
    return m_progress;
}

bool Rebalancer::running() const
{
    return m_running;
}

Outcome<Rebalancer::Progress> Rebalancer::start(bool dryRun)
{
    if (m_running && m_userRun)
        return TallyError::conflict(
            QStringLiteral("rebalance_running"),
            QStringLiteral("A rebalance is already running; see /api/v1/stats for its progress."));
    const QList<MovePtr> planned = plan(true);
    if (dryRun) {
        Progress preview;
        preview.state = QStringLiteral("planned");
        preview.dryRun = true;
        for (const MovePtr &move : planned) {
            if (m_planned.contains(move->pollId))
                continue;
            ++preview.toMove;
            ++preview.toMoveByShard[move->to];
        }
        return preview;
    }
    m_userRun = true;
    update([](Progress &p) {
        p = Progress();
        p.state = QStringLiteral("running");
        p.startedAt = QDateTime::currentDateTimeUtc();
    });
    // Moves of a resume still on their way are part of this run.
    for (const MovePtr &move : std::as_const(m_planned))
        update([&move](Progress &p) {
            ++p.toMove;
            ++p.toMoveByShard[move->to];
        });
    for (const MovePtr &move : planned)
        enqueue(move);
    m_running = true;
    qCInfo(lcStorage, "Rebalance: %d poll(s) to move", progress().toMove);
    findIncoming();
    launch();
    checkDone();
    return progress();
}

void Rebalancer::resume()
{
    if (m_running)
        return;
    m_queue.clear();
    m_planned.clear();
    update([](Progress &p) {
        p = Progress();
        p.state = QStringLiteral("running");
        p.startedAt = QDateTime::currentDateTimeUtc();
    });
    for (const MovePtr &move : plan(false))
        enqueue(move);
    m_running = true;
    if (!m_queue.empty())
        qCInfo(lcStorage, "Rebalance: finishing %d interrupted move(s)", int(m_queue.size()));
    findIncoming();
    launch();
    checkDone();
}

bool Rebalancer::enqueue(const MovePtr &move)
{
    if (m_planned.contains(move->pollId))
        return false;
    m_planned.insert(move->pollId, move);
    m_queue.push_back(move);
    update([&move](Progress &p) {
        ++p.toMove;
        ++p.toMoveByShard[move->to];
    });
    return true;
}

QList<Rebalancer::MovePtr> Rebalancer::plan(bool includeNew) const
{
    QList<MovePtr> moves;
    for (const Poll &poll : m_catalog.list()) {
        auto move = std::make_shared<Move>();
        move->pollId = poll.id;
        if (poll.placement.isMoving()) {
            // Frozen by a mover that stopped: finish that move, to the target it chose.
            move->from = poll.shard;
            move->to = poll.placement.to;
            move->moveId = poll.placement.moveId;
        } else if (poll.placement.isTombstone() && !poll.placement.moveId.isEmpty()) {
            // Committed on its source: only the listing on the target may be missing.
            move->from = poll.placement.from;
            move->to = poll.shard;
            move->moveId = poll.placement.moveId;
            move->step = Step::Finish;
        } else if (includeNew && poll.shard != m_router.shardNameFor(poll.id)) {
            move->from = poll.shard;
            move->to = m_router.shardNameFor(poll.id);
            move->moveId = QStringLiteral("%1").arg(QRandomGenerator::global()->generate64(), 16,
                                                    16, QLatin1Char('0'));
        } else {
            continue;
        }
        if (m_shards(move->from) && m_shards(move->to))
            moves.append(move);
    }
    return moves;
}

void Rebalancer::findIncoming()
{
    // Copies not yet listed on their target, whose poll may be listed nowhere when the
    // mover died between commit and finish: the source's record says how to go on.
    for (const QString &name : m_router.shardNames()) {
        RedisShard *target = m_shards(name);
        if (!target)
            continue;
        ++m_incomingScans;
        target->command({"SMEMBERS", IncomingKey}, [this, name,
                                                    target](std::optional<RedisReply> ids) {
            --m_incomingScans;
            if (ids && !ids->isError()) {
                for (const RedisReply &id : std::as_const(ids->elements)) {
                    const QString pollId = QString::fromUtf8(id.text);
                    if (m_planned.contains(pollId))
                        continue;
                    ++m_incomingScans;
                    target->command({"HMGET", RedisShard::metaKey(pollId), "move_id", "moved_from"},
                                    [this, name, pollId](std::optional<RedisReply> meta) {
                                        --m_incomingScans;
                                        if (meta && meta->elements.size() == 2 &&
                                            !meta->elements[0].text.isEmpty()) {
                                            auto move = std::make_shared<Move>();
                                            move->pollId = pollId;
                                            move->to = name;
                                            move->from = QString::fromUtf8(meta->elements[1].text);
                                            move->moveId =
                                                QString::fromUtf8(meta->elements[0].text);
                                            // Freezing again returns the source's record: frozen
                                            // goes on with the copy, moved with the finish.
                                            if (m_shards(move->from))
                                                enqueue(move);
                                        }
                                        launch();
                                        checkDone();
                                    });
                }
            }
            launch();
            checkDone();
        });
    }
}

void Rebalancer::launch()
{
    while (m_active < Parallel && !m_queue.empty()) {
        MovePtr move = m_queue.front();
        m_queue.pop_front();
        ++m_active;
        run(move);
    }
}

void Rebalancer::run(const MovePtr &move)
{
    switch (move->step) {
    case Step::Freeze:
        freeze(move);
        break;
    case Step::Snapshot:
        snapshot(move);
        break;
    case Step::Copy:
        copy(move);
        break;
    case Step::Commit:
        commit(move);
        break;
    case Step::Finish:
        finish(move);
        break;
    }
}

void Rebalancer::advance(const MovePtr &move, Step next)
{
    move->step = next;
    move->attempts = 0;
    run(move);
}

void Rebalancer::fail(const MovePtr &move, const QString &reason, bool retry)
{
    if (retry && ++move->attempts < MaxAttempts) {
        // The node may be reconnecting; the step is safe to run again.
        QTimer::singleShot(retryDelayMs(move->attempts), this, [this, move] { run(move); });
        return;
    }
    qCWarning(lcStorage, "Rebalance: poll %s (%s -> %s) not moved: %s", qPrintable(move->pollId),
              qPrintable(move->from), qPrintable(move->to), qPrintable(reason));
    update([&reason](Progress &p) {
        ++p.failed;
        p.lastError = reason;
    });
    --m_active;
    m_planned.remove(move->pollId);
    launch();
    checkDone();
}

void Rebalancer::complete(const MovePtr &move, bool skipped)
{
    update([&move, skipped](Progress &p) {
        if (skipped) {
            ++p.skipped;
        } else {
            ++p.moved;
            p.votesMoved += move->votes;
        }
    });
    --m_active;
    m_planned.remove(move->pollId);
    launch();
    checkDone();
}

void Rebalancer::checkDone()
{
    if (!m_running || m_active > 0 || !m_queue.empty() || m_incomingScans > 0)
        return;
    m_running = false;
    const bool userRun = std::exchange(m_userRun, false);
    update([userRun](Progress &p) {
        if (!userRun && p.toMove == 0) {
            p = Progress(); // a start with nothing to resume
            return;
        }
        p.finishedAt = QDateTime::currentDateTimeUtc();
        p.state = p.failed > 0 ? QStringLiteral("failed") : QStringLiteral("done");
    });
    const Progress done = progress();
    if (done.toMove > 0)
        qCInfo(lcStorage, "Rebalance %s: %d poll(s) moved, %d failed, %d deleted meanwhile",
               qPrintable(done.state), done.moved, done.failed, done.skipped);
    Q_EMIT finished();
}

void Rebalancer::freeze(const MovePtr &move)
{
    RedisShard *source = m_shards(move->from);
    source->command(
        {"EVAL", MoveScripts::Freeze, "1", RedisShard::metaKey(move->pollId), move->moveId.toUtf8(),
         move->to.toUtf8()},
        [this, move](std::optional<RedisReply> reply) {
            if (!reply || reply->isError() || reply->elements.size() != 4) {
                fail(move, QStringLiteral("freeze on %1: %2").arg(move->from, replyError(reply)),
                     true);
                return;
            }
            const QByteArray state = reply->elements[0].text;
            if (state == "gone") {
                complete(move, true);
                return;
            }
            if (state == "incoming") {
                fail(move, QStringLiteral("an earlier move into %1 is unfinished").arg(move->from),
                     false);
                return;
            }
            // Another mover may have frozen it first: its move is ours now.
            move->moveId = QString::fromUtf8(reply->elements[1].text);
            move->to = QString::fromUtf8(reply->elements[2].text);
            move->status = reply->elements[3].text;
            if (!m_shards(move->to)) {
                fail(move,
                     QStringLiteral("its target %1 is not a shard of this instance").arg(move->to),
                     false);
                return;
            }
            advance(move, state == "moved" ? Step::Finish : Step::Snapshot);
        });
}

void Rebalancer::snapshot(const MovePtr &move)
{
    RedisShard *source = m_shards(move->from);
    const QString id = move->pollId;
    const auto ignore = [](std::optional<RedisReply>) {};
    source->command({"MULTI"}, ignore);
    source->command({"HGETALL", RedisShard::metaKey(id)}, ignore);
    source->command({"HGETALL", RedisShard::countsKey(id)}, ignore);
    source->command({"HGETALL", RedisShard::appliedKey(id)}, ignore);
    source->command({"SMEMBERS", RedisShard::votersKey(id)}, ignore);
    source->command({"EXEC"}, [this, move](std::optional<RedisReply> reply) {
        if (!reply || reply->isError() || reply->elements.size() != 4) {
            fail(move, QStringLiteral("reading %1: %2").arg(move->from, replyError(reply)), true);
            return;
        }
        move->meta.clear();
        for (const auto &[field, value] : reply->elements[0].pairs())
            move->meta.insert(field, value);
        if (move->meta.value("move_id") != move->moveId.toUtf8()) {
            // Deleted (and perhaps created again) since the freeze.
            complete(move, true);
            return;
        }
        move->counts.clear();
        move->votes = 0;
        for (const auto &[field, value] : reply->elements[1].pairs()) {
            move->counts << field << value;
            move->votes += value.toLongLong();
        }
        move->applied.clear();
        for (const auto &[field, value] : reply->elements[2].pairs())
            move->applied << field << value;
        move->voters.clear();
        for (const RedisReply &voter : std::as_const(reply->elements[3].elements))
            move->voters << voter.text;
        advance(move, Step::Copy);
    });
}

void Rebalancer::copy(const MovePtr &move)
{
    const QString id = move->pollId;
    QList<QByteArray> arguments{"EVAL",
                                MoveScripts::Copy,
                                "6",
                                RedisShard::metaKey(id),
                                RedisShard::countsKey(id),
                                RedisShard::appliedKey(id),
                                RedisShard::votersKey(id),
                                IncomingKey,
                                "polls",
                                move->moveId.toUtf8(),
                                move->from.toUtf8()};
    arguments << QByteArray::number(move->meta.size() * 2);
    for (auto it = move->meta.cbegin(); it != move->meta.cend(); ++it)
        arguments << it.key() << it.value();
    arguments << QByteArray::number(move->counts.size()) << move->counts;
    arguments << QByteArray::number(move->applied.size()) << move->applied;
    arguments << QByteArray::number(move->voters.size()) << move->voters;
    m_shards(move->to)->command(arguments, [this, move](std::optional<RedisReply> reply) {
        if (!reply || reply->isError()) {
            fail(move, QStringLiteral("copy to %1: %2").arg(move->to, replyError(reply)), true);
            return;
        }
        if (reply->integer < 0) {
            fail(move, QStringLiteral("another poll '%1' exists on %2").arg(move->pollId, move->to),
                 false);
            return;
        }
        advance(move, Step::Commit);
    });
}

void Rebalancer::commit(const MovePtr &move)
{
    const QString id = move->pollId;
    m_shards(move->from)
        ->command(
            {"EVAL", MoveScripts::Commit, "4", RedisShard::metaKey(id), RedisShard::countsKey(id),
             RedisShard::appliedKey(id), RedisShard::votersKey(id), move->moveId.toUtf8()},
            [this, move](std::optional<RedisReply> reply) {
                if (!reply || reply->isError()) {
                    const bool other = reply && reply->text.contains("another move");
                    fail(move,
                         QStringLiteral("commit on %1: %2").arg(move->from, replyError(reply)),
                         !other);
                    return;
                }
                if (reply->text == "gone") {
                    // Deleted while frozen: the copy must not bring it back.
                    const QString pollId = move->pollId;
                    RedisShard *target = m_shards(move->to);
                    target->command({"DEL", RedisShard::metaKey(pollId),
                                     RedisShard::countsKey(pollId), RedisShard::appliedKey(pollId),
                                     RedisShard::votersKey(pollId)},
                                    [](std::optional<RedisReply>) {});
                    target->command({"SREM", "polls", pollId.toUtf8()},
                                    [](std::optional<RedisReply>) {});
                    target->command(
                        {"SREM", IncomingKey, pollId.toUtf8()},
                        [this, move](std::optional<RedisReply>) { complete(move, true); });
                    return;
                }
                move->status = reply->text;
                advance(move, Step::Finish);
            });
}

void Rebalancer::finish(const MovePtr &move)
{
    const QString id = move->pollId;
    RedisShard *target = m_shards(move->to);
    target->command(
        {"EVAL", MoveScripts::Finish, "3", RedisShard::metaKey(id), "polls", IncomingKey,
         move->moveId.toUtf8(), id.toUtf8(), move->status},
        [this, move, target, id](std::optional<RedisReply> reply) {
            if (!reply || reply->isError()) {
                fail(move, QStringLiteral("finish on %1: %2").arg(move->to, replyError(reply)),
                     true);
                return;
            }
            if (reply->integer != 1) {
                fail(move, QStringLiteral("no copy of it on %1").arg(move->to), false);
                return;
            }
            // The placement as the target records it, for this instance's catalog.
            target->command({"HGETALL", RedisShard::metaKey(id)},
                            [this, move](std::optional<RedisReply> meta) {
                                QHash<QByteArray, QByteArray> fields;
                                if (meta && !meta->isError())
                                    for (const auto &[field, value] : meta->pairs())
                                        fields.insert(field, value);
                                const PollPlacement placement = PollPlacement::fromMeta(fields);
                                if (placement.state == u"done" && placement.moveId == move->moveId)
                                    m_adopt(move->pollId, move->to, placement);
                                complete(move, false);
                            });
        });
}
