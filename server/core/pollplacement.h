#pragma once

#include <QByteArray>
#include <QHash>
#include <QJsonObject>
#include <QString>

// Where a poll is in a move between shards, as recorded in its metadata on the
// shards (see docs/architecture.md, "Moving polls").
//
// On the source shard a move is `frozen` (the source refuses the poll's batches and
// keeps its counts) and then `moved` (the source keeps only this record, naming the
// target). On the target the copy is `incoming` until the move is finished, then
// `done`, still naming the source and the fences: the last batch sequence each
// instance had applied on the source when it froze. A batch of an instance at or
// below its fence holds votes that travelled with the copy; a later one was refused.
struct PollPlacement {
    QString state;                  // empty (never moved), "frozen", "moved", "incoming" or "done"
    QString moveId;                 // one move from one shard to another
    QString to;                     // frozen / moved: the target shard
    QString from;                   // incoming / done: the source shard
    QHash<QString, quint64> fences; // instance -> last sequence applied on the source

    bool isMoving() const { return state == u"frozen"; }
    bool isTombstone() const { return state == u"moved"; }
    bool cameFrom() const { return !from.isEmpty(); }

    static QByteArray encodeFences(const QHash<QString, quint64> &fences);
    static QHash<QString, quint64> decodeFences(const QByteArray &json);
    // Metadata fields "move_state", "move_id", "moved_to", "moved_from", "move_fences".
    static PollPlacement fromMeta(const QHash<QByteArray, QByteArray> &fields);
    QJsonObject toJson() const;
    static PollPlacement fromJson(const QJsonObject &json);
};
