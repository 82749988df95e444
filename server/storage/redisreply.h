#pragma once

#include <QByteArray>
#include <QList>

// A copy of a hiredis reply that outlives the callback it arrived in.
struct RedisReply {
    enum class Type { String, Array, Integer, Nil, Status, Error };

    Type type = Type::Nil;
    QByteArray text; // String, Status and Error
    qint64 integer = 0;
    QList<RedisReply> elements;

    bool isError() const { return type == Type::Error; }
    // Pairs of an HGETALL reply.
    QList<QPair<QByteArray, QByteArray>> pairs() const
    {
        QList<QPair<QByteArray, QByteArray>> result;
        for (qsizetype i = 0; i + 1 < elements.size(); i += 2)
            result.append({elements[i].text, elements[i + 1].text});
        return result;
    }
};
