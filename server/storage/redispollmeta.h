#pragma once

#include "core/poll.h"

#include <QByteArray>
#include <QList>
#include <optional>

struct RedisReply;

// A poll's metadata hash on a Redis shard ("poll:<id>:meta", docs/architecture.md,
// "Storage"): the fields written for a poll and the poll read back from them.
class RedisPollMeta {
public:
    // Field, value, field, value... as HSET takes them.
    static QList<QByteArray> fields(const Poll &poll);
    // The poll the fields of an HGETALL reply describe; nothing for an invalid one.
    static std::optional<Poll> toPoll(const RedisReply &reply);
};
