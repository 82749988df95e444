#pragma once

#include <QByteArray>
#include <QHash>
#include <QList>
#include <QString>
#include <optional>

// The journal's on-disk records: [u32 payload length][u32 CRC-32 of payload][payload],
// little-endian. A payload is a vote (type 1: option, poll id), a manifest (type 2:
// the epoch and, per shard, the batch sequence that carries the epoch's votes) or a
// replay marker (type 3: the file holds every vote still missing from the files up to
// that epoch, which are therefore to be ignored; see Journal::recover()) or a ballot
// (type 4: one vote counted in several countSlots, u16 slot mask, count, poll count key),
// written as one record so a multiple-choice vote is replayed whole or not at all.
class JournalRecord {
public:
    enum class Type : quint8 { Vote = 1, Manifest = 2, Replaces = 3, Ballot = 4 };

    struct Decoded {
        Type type = Type::Vote;
        QString pollId;
        int option = 0;
        qint64 votes = 1;
        quint64 epoch = 0; // Manifest: its epoch; Replaces: the last epoch replaced
        QHash<QString, quint64> sequences;
        QList<int> countSlots; // Vote: {option}; Ballot: every slot it counts in
    };

    static QByteArray vote(const QString &pollId, int option, qint64 votes = 1);
    static QByteArray ballot(const QString &countKey, const QList<int> &countSlots,
                             qint64 votes = 1);
    static QByteArray manifest(quint64 epoch, const QHash<QString, quint64> &sequences);
    static QByteArray replaces(quint64 lastEpoch);

    // Reads the record at `offset`; nullopt at a torn or corrupt record (or the end).
    static std::optional<Decoded> read(const QByteArray &data, qsizetype *offset);
    static quint32 crc32(QByteArrayView bytes);

private:
    static QByteArray frame(const QByteArray &payload);
};
