#include "journalrecord.h"

#include <QtEndian>
#include <zlib.h>

namespace {

constexpr qsizetype HeaderSize = 8;
constexpr quint32 MaxPayload = 1 << 20;

void appendU16(QByteArray &out, quint16 value)
{
    char bytes[2];
    qToLittleEndian(value, bytes);
    out.append(bytes, 2);
}

void appendU64(QByteArray &out, quint64 value)
{
    char bytes[8];
    qToLittleEndian(value, bytes);
    out.append(bytes, 8);
}

void appendString(QByteArray &out, const QString &text)
{
    const QByteArray utf8 = text.toUtf8().left(0xFFFF);
    appendU16(out, quint16(utf8.size()));
    out.append(utf8);
}

// Bounds-checked reader over one payload.
struct Cursor {
    const QByteArray &data;
    qsizetype position;
    qsizetype end;
    bool ok = true;

    bool need(qsizetype n)
    {
        ok = ok && position + n <= end;
        return ok;
    }
    quint8 u8() { return need(1) ? quint8(data[position++]) : 0; }
    quint16 u16()
    {
        if (!need(2))
            return 0;
        const quint16 value = qFromLittleEndian<quint16>(data.constData() + position);
        position += 2;
        return value;
    }
    quint64 u64()
    {
        if (!need(8))
            return 0;
        const quint64 value = qFromLittleEndian<quint64>(data.constData() + position);
        position += 8;
        return value;
    }
    QString string()
    {
        const quint16 size = u16();
        if (!need(size))
            return {};
        const QString text = QString::fromUtf8(data.constData() + position, size);
        position += size;
        return text;
    }
};

} // namespace

quint32 JournalRecord::crc32(QByteArrayView bytes)
{
    // zlib's CRC-32 is the same checksum (IEEE polynomial, reflected) the journal has
    // always used, so journals written before read back unchanged; payloads are far below
    // zlib's uInt range (MaxPayload).
    return quint32(::crc32(::crc32(0L, Z_NULL, 0), reinterpret_cast<const Bytef *>(bytes.data()),
                           uInt(bytes.size())));
}

QByteArray JournalRecord::frame(const QByteArray &payload)
{
    QByteArray out;
    out.reserve(HeaderSize + payload.size());
    char header[HeaderSize];
    qToLittleEndian(quint32(payload.size()), header);
    qToLittleEndian(crc32(payload), header + 4);
    out.append(header, HeaderSize);
    out.append(payload);
    return out;
}

QByteArray JournalRecord::vote(const QString &pollId, int option, qint64 votes)
{
    // The record of every vote: written in one allocation when the id is ASCII (its UTF-8
    // is its Latin-1), the same bytes as the general form below.
    constexpr qsizetype Fixed = 1 + 1 + 8 + 2;
    const qsizetype idSize = pollId.size();
    if (idSize <= 0xFFFF && QtPrivate::isAscii(QStringView(pollId))) {
        QByteArray out(HeaderSize + Fixed + idSize, Qt::Uninitialized);
        char *payload = out.data() + HeaderSize;
        payload[0] = char(Type::Vote);
        payload[1] = char(option);
        qToLittleEndian(quint64(votes), payload + 2);
        qToLittleEndian(quint16(idSize), payload + 10);
        char *id = payload + Fixed;
        for (const QChar c : pollId)
            *id++ = char(c.unicode());
        qToLittleEndian(quint32(Fixed + idSize), out.data());
        qToLittleEndian(crc32(QByteArrayView(payload, Fixed + idSize)), out.data() + 4);
        return out;
    }
    QByteArray payload;
    payload.append(char(Type::Vote));
    payload.append(char(option));
    appendU64(payload, quint64(votes));
    appendString(payload, pollId);
    return frame(payload);
}

QByteArray JournalRecord::ballot(const QString &countKey, const QList<int> &countSlots,
                                 qint64 votes)
{
    quint16 mask = 0;
    for (int slot : countSlots)
        if (slot >= 0 && slot < 16)
            mask |= quint16(1u << slot);
    QByteArray payload;
    payload.append(char(Type::Ballot));
    appendU16(payload, mask);
    appendU64(payload, quint64(votes));
    appendString(payload, countKey);
    return frame(payload);
}

QByteArray JournalRecord::manifest(quint64 epoch, const QHash<QString, quint64> &sequences)
{
    QByteArray payload;
    payload.append(char(Type::Manifest));
    appendU64(payload, epoch);
    appendU16(payload, quint16(sequences.size()));
    for (auto it = sequences.cbegin(); it != sequences.cend(); ++it) {
        appendString(payload, it.key());
        appendU64(payload, it.value());
    }
    return frame(payload);
}

QByteArray JournalRecord::replaces(quint64 lastEpoch)
{
    QByteArray payload;
    payload.append(char(Type::Replaces));
    appendU64(payload, lastEpoch);
    return frame(payload);
}

std::optional<JournalRecord::Decoded> JournalRecord::read(const QByteArray &data, qsizetype *offset)
{
    if (*offset + HeaderSize > data.size())
        return std::nullopt;
    const quint32 length = qFromLittleEndian<quint32>(data.constData() + *offset);
    const quint32 checksum = qFromLittleEndian<quint32>(data.constData() + *offset + 4);
    const qsizetype start = *offset + HeaderSize;
    if (length == 0 || length > MaxPayload || start + qsizetype(length) > data.size())
        return std::nullopt;
    if (crc32(QByteArrayView(data.constData() + start, length)) != checksum)
        return std::nullopt;

    Cursor cursor{data, start, start + qsizetype(length)};
    Decoded record;
    const quint8 type = cursor.u8();
    if (type == quint8(Type::Vote)) {
        record.type = Type::Vote;
        record.option = cursor.u8();
        record.votes = qint64(cursor.u64());
        record.pollId = cursor.string();
        record.countSlots = {record.option};
    } else if (type == quint8(Type::Ballot)) {
        record.type = Type::Ballot;
        const quint16 mask = cursor.u16();
        record.votes = qint64(cursor.u64());
        record.pollId = cursor.string();
        for (int slot = 0; slot < 16; ++slot)
            if (mask & (1u << slot))
                record.countSlots.append(slot);
        record.option = record.countSlots.isEmpty() ? 0 : record.countSlots.constFirst();
    } else if (type == quint8(Type::Manifest)) {
        record.type = Type::Manifest;
        record.epoch = cursor.u64();
        const quint16 count = cursor.u16();
        for (quint16 i = 0; i < count && cursor.ok; ++i) {
            const QString shard = cursor.string();
            record.sequences.insert(shard, cursor.u64());
        }
    } else if (type == quint8(Type::Replaces)) {
        record.type = Type::Replaces;
        record.epoch = cursor.u64();
    } else {
        return std::nullopt;
    }
    if (!cursor.ok)
        return std::nullopt;
    *offset = start + qsizetype(length);
    return record;
}
