#include "journalrecord.h"

#include <QtEndian>
#include <array>

namespace {

constexpr qsizetype HeaderSize = 8;
constexpr quint32 MaxPayload = 1 << 20;

std::array<quint32, 256> makeTable()
{
    std::array<quint32, 256> table{};
    for (quint32 i = 0; i < 256; ++i) {
        quint32 c = i;
        for (int k = 0; k < 8; ++k)
            c = (c & 1) ? 0xEDB88320u ^ (c >> 1) : c >> 1;
        table[i] = c;
    }
    return table;
}

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
    static const std::array<quint32, 256> table = makeTable();
    quint32 c = 0xFFFFFFFFu;
    for (char byte : bytes)
        c = table[(c ^ quint8(byte)) & 0xFF] ^ (c >> 8);
    return c ^ 0xFFFFFFFFu;
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
