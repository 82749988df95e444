#pragma once

#include "core/pollplacement.h"
#include "core/tallyerror.h"

#include <QByteArray>
#include <QHash>
#include <optional>

struct RedisReply;

// The Lua scripts that move a poll between Redis shards, and the refusals the
// shards' own scripts answer with while a poll moves. Every script runs atomically on
// one node and is idempotent for one move id, so a move interrupted anywhere can be
// run again by any instance (see docs/architecture.md, "Moving polls").
namespace MoveScripts {

// Source, step 1. KEYS: meta. ARGV: move id, target shard. Marks the poll frozen (the
// source refuses its batches and voter claims from now on) and records, per instance,
// the last batch sequence applied here. Returns {state, move id, target, status}; state
// "gone" when the poll does not exist; an existing frozen or moved record is returned
// unchanged, so a second mover joins the first.
extern const QByteArray Freeze;
// Target, step 2. KEYS: meta, counts, applied, voters, incoming set, poll index. ARGV:
// move id, source shard, then n meta fields (count, pairs), counts (count, pairs),
// applied (count, pairs), voters (count, members). Writes the copy as "incoming":
// listed, but taken as the poll's home only next to its source's record of the
// commit. 1 when written or already written by this move, -1 when another poll holds
// the id on the target.
extern const QByteArray Copy;
// Source, step 3. KEYS: meta, counts, applied, voters. ARGV: move id. Leaves only the
// record naming the target; returns the poll's status ("open"/"closed"), or an error
// when another move holds the poll.
extern const QByteArray Commit;
// Target, step 4. KEYS: meta, poll index, incoming set. ARGV: move id, poll id, status.
// Lists the poll on the target; 1 when done (now or before), 0 when no such copy.
extern const QByteArray Finish;

// Batch script of every Redis shard: counts per reset generation, plus a refusal when
// a poll of the batch is frozen ({"moving"}) or moved ({"moved", id, target, fences, ...}).
extern const QByteArray ApplyBatch;
// The scripts that change one poll on its shard answer -1 when it is frozen and
// {target, fences} when it has moved (refusalOfPoll()), and change nothing then.
// KEYS: meta, voters. ARGV: voter. 1 claimed, 0 already.
extern const QByteArray ClaimVoter;
// KEYS: meta. ARGV: the metadata fields. 1 when written.
extern const QByteArray UpdateMeta;
// The refusal of a change to a poll that is moving (-1) or has moved ({to, fences});
// the start of a script whose KEYS[1] is the poll's metadata.
extern const QByteArray MoveGuard;
// KEYS: meta, counts, applied, voters. ARGV: the metadata fields (the new generation).
// Counts, applied counts and voters go; 1 when reset, 0 when the poll does not exist.
extern const QByteArray ResetPoll;

// The refusal of a batch or claim, as a TallyError the storage engine understands:
// "poll_moving" (try again shortly) or "polls_moved" (message: JSON of the moves).
TallyError moving();
TallyError moved(const QHash<QString, PollPlacement> &moves);
// The moves named by a "polls_moved" error.
QHash<QString, PollPlacement> movesOf(const TallyError &error);
// The refusal in a poll script's answer, if it is one.
std::optional<TallyError> refusalOfPoll(const RedisReply &reply, const QString &pollId,
                                        const QString &sourceShard);
// Reads the ApplyBatch script's array answer.
TallyError refusalOf(const RedisReply &reply, const QString &sourceShard);

} // namespace MoveScripts
