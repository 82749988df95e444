#include "movescripts.h"
#include "redisreply.h"

#include <QJsonDocument>
#include <QJsonObject>

namespace MoveScripts {

const QByteArray Freeze = QByteArrayLiteral(
    "if redis.call('EXISTS', KEYS[1]) == 0 then return {'gone', '', '', ''} end\n"
    "local m = redis.call('HMGET', KEYS[1], 'move_state', 'move_id', 'moved_to', 'status')\n"
    "if m[1] == 'frozen' or m[1] == 'moved' or m[1] == 'incoming' then\n"
    "  return {m[1], m[2] or '', m[3] or '', m[4] or 'open'}\n"
    "end\n"
    "local fences = {}\n"
    "for _, key in ipairs(redis.call('KEYS', 'tally:flushed:*')) do\n"
    "  fences[string.sub(key, 15)] = redis.call('GET', key)\n"
    "end\n"
    "local encoded = '{}'\n"
    "if next(fences) ~= nil then encoded = cjson.encode(fences) end\n"
    "redis.call('HSET', KEYS[1], 'move_state', 'frozen', 'move_id', ARGV[1], 'moved_to', ARGV[2],\n"
    "           'move_fences', encoded)\n"
    "redis.call('HDEL', KEYS[1], 'moved_from')\n"
    "return {'frozen', ARGV[1], ARGV[2], m[4] or 'open'}\n");

const QByteArray Copy = QByteArrayLiteral(
    "local m = redis.call('HMGET', KEYS[1], 'move_id', 'move_state')\n"
    "if m[1] == ARGV[1] then return 1 end\n"
    "if redis.call('EXISTS', KEYS[1]) == 1 and m[2] ~= 'moved' then return -1 end\n"
    "redis.call('DEL', KEYS[1], KEYS[2], KEYS[3], KEYS[4])\n"
    "local i = 3\n"
    "local function take()\n"
    "  local n = tonumber(ARGV[i]); i = i + 1\n"
    "  local t = {}\n"
    "  for j = 1, n do t[j] = ARGV[i]; i = i + 1 end\n"
    "  return t\n"
    "end\n"
    "local meta = take()\n"
    "if #meta > 0 then redis.call('HSET', KEYS[1], unpack(meta)) end\n"
    "redis.call('HSET', KEYS[1], 'move_state', 'incoming', 'move_id', ARGV[1], 'moved_from', "
    "ARGV[2])\n"
    "redis.call('HDEL', KEYS[1], 'moved_to')\n"
    "local counts = take()\n"
    "if #counts > 0 then redis.call('HSET', KEYS[2], unpack(counts)) end\n"
    "local applied = take()\n"
    "if #applied > 0 then redis.call('HSET', KEYS[3], unpack(applied)) end\n"
    "local voters = take()\n"
    "for j = 1, #voters, 1000 do\n"
    "  redis.call('SADD', KEYS[4], unpack(voters, j, math.min(j + 999, #voters)))\n"
    "end\n"
    "local id = redis.call('HGET', KEYS[1], 'id')\n"
    "redis.call('SADD', KEYS[5], id)\n"
    "redis.call('SADD', KEYS[6], id)\n"
    "return 1\n");

const QByteArray Commit = QByteArrayLiteral(
    "if redis.call('EXISTS', KEYS[1]) == 0 then return 'gone' end\n"
    "local m = redis.call('HMGET', KEYS[1], 'move_state', 'move_id', 'status')\n"
    "if m[2] ~= ARGV[1] then return redis.error_reply('another move holds the poll') end\n"
    "if m[1] == 'frozen' then\n"
    "  redis.call('HSET', KEYS[1], 'move_state', 'moved')\n"
    "  redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])\n"
    "end\n"
    "return m[3] or 'open'\n");

const QByteArray Finish =
    QByteArrayLiteral("local m = redis.call('HMGET', KEYS[1], 'move_state', 'move_id')\n"
                      "if m[2] ~= ARGV[1] then return 0 end\n"
                      "if m[1] == 'incoming' then\n"
                      "  redis.call('HSET', KEYS[1], 'move_state', 'done', 'status', ARGV[3])\n"
                      "end\n"
                      "redis.call('SADD', KEYS[2], ARGV[2])\n"
                      "redis.call('SREM', KEYS[3], ARGV[2])\n"
                      "return 1\n");

// KEYS: the instance's flushed-sequence key, then per (poll, slot) the counts key, the
// applied-by-source key and the poll's metadata key. ARGV: the sequence, then per
// (poll, slot) the counts field, the "<source>/<field>" field, the delta and the reset
// generation the votes belong to. A batch already applied is skipped (0); one holding a
// poll that is moving or has moved is refused whole, before anything is applied, and
// its sequence stays free for the rest of it. Votes of a generation the poll has left
// (a batch taken before a reset and landing after it) are not counted; an applied batch
// answers 1 + their number.
const QByteArray ApplyBatch = QByteArrayLiteral(
    "local seq = tonumber(ARGV[1])\n"
    "if tonumber(redis.call('GET', KEYS[1]) or '0') >= seq then return 0 end\n"
    "local moved = {}\n"
    "local seen = {}\n"
    "for i = 2, #KEYS, 3 do\n"
    "  local key = KEYS[i]\n"
    "  if not seen[key] then\n"
    "    seen[key] = true\n"
    "    local m = redis.call('HMGET', KEYS[i + 2], 'move_state', 'moved_to', 'move_fences')\n"
    "    if m[1] == 'frozen' then return {'moving'} end\n"
    "    if m[1] == 'moved' then\n"
    "      moved[#moved + 1] = string.sub(key, 6)\n"
    "      moved[#moved + 1] = m[2]\n"
    "      moved[#moved + 1] = m[3] or '{}'\n"
    "    end\n"
    "  end\n"
    "end\n"
    "if #moved > 0 then\n"
    "  table.insert(moved, 1, 'moved')\n"
    "  return moved\n"
    "end\n"
    "local stale = 0\n"
    "for i = 2, #KEYS, 3 do\n"
    "  local a = (i - 2) / 3 * 4 + 2\n"
    "  local generation = redis.call('HGET', KEYS[i + 2], 'resets') or '0'\n"
    "  if generation == ARGV[a + 3] then\n"
    "    redis.call('HINCRBY', KEYS[i], ARGV[a], ARGV[a + 2])\n"
    "    redis.call('HINCRBY', KEYS[i + 1], ARGV[a + 1], ARGV[a + 2])\n"
    "  else\n"
    "    stale = stale + tonumber(ARGV[a + 2])\n"
    "  end\n"
    "end\n"
    "redis.call('SET', KEYS[1], ARGV[1])\n"
    "return 1 + stale\n");

// The refusal shared by the scripts that change one poll on its shard (KEYS[1]: meta).
const QByteArray MoveGuard = QByteArrayLiteral(
    "local m = redis.call('HMGET', KEYS[1], 'move_state', 'moved_to', 'move_fences')\n"
    "if m[1] == 'frozen' then return -1 end\n"
    "if m[1] == 'moved' then return {m[2], m[3] or '{}'} end\n");

const QByteArray UpdateMeta =
    MoveGuard + QByteArrayLiteral("redis.call('HSET', KEYS[1], unpack(ARGV))\n"
                                  "return 1\n");

const QByteArray ResetPoll =
    QByteArrayLiteral("if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end\n") + MoveGuard +
    QByteArrayLiteral("redis.call('DEL', KEYS[2], KEYS[3], KEYS[4])\n"
                      "redis.call('HSET', KEYS[1], unpack(ARGV))\n"
                      "return 1\n");

// KEYS[1] is the meta key here, so the voters key comes second.
const QByteArray ClaimVoter =
    MoveGuard + QByteArrayLiteral("return redis.call('SADD', KEYS[2], ARGV[1])\n");

TallyError moving()
{
    return TallyError::unavailable(
        QStringLiteral("poll_moving"),
        QStringLiteral("The poll is moving to another shard; try again shortly."));
}

TallyError moved(const QHash<QString, PollPlacement> &moves)
{
    QJsonObject json;
    for (auto it = moves.cbegin(); it != moves.cend(); ++it)
        json.insert(it.key(), it->toJson());
    return TallyError::unavailable(
        QStringLiteral("polls_moved"),
        QString::fromUtf8(QJsonDocument(json).toJson(QJsonDocument::Compact)));
}

QHash<QString, PollPlacement> movesOf(const TallyError &error)
{
    QHash<QString, PollPlacement> moves;
    if (error.code != u"polls_moved")
        return moves;
    const QJsonObject json = QJsonDocument::fromJson(error.message.toUtf8()).object();
    for (auto it = json.constBegin(); it != json.constEnd(); ++it)
        moves.insert(it.key(), PollPlacement::fromJson(it->toObject()));
    return moves;
}

std::optional<TallyError> refusalOfPoll(const RedisReply &reply, const QString &pollId,
                                        const QString &sourceShard)
{
    if (reply.type == RedisReply::Type::Array && reply.elements.size() == 2) {
        PollPlacement placement;
        placement.state = QStringLiteral("moved");
        placement.to = QString::fromUtf8(reply.elements[0].text);
        placement.from = sourceShard;
        placement.fences = PollPlacement::decodeFences(reply.elements[1].text);
        return moved({{pollId, placement}});
    }
    if (reply.type == RedisReply::Type::Integer && reply.integer < 0)
        return moving();
    return std::nullopt;
}

TallyError refusalOf(const RedisReply &reply, const QString &sourceShard)
{
    if (reply.elements.isEmpty() || reply.elements.constFirst().text != "moved")
        return moving();
    QHash<QString, PollPlacement> moves;
    for (qsizetype i = 1; i + 2 < reply.elements.size(); i += 3) {
        PollPlacement placement;
        placement.state = QStringLiteral("moved");
        placement.to = QString::fromUtf8(reply.elements[i + 1].text);
        placement.from = sourceShard;
        placement.fences = PollPlacement::decodeFences(reply.elements[i + 2].text);
        moves.insert(QString::fromUtf8(reply.elements[i].text), placement);
    }
    return moved(moves);
}

} // namespace MoveScripts
