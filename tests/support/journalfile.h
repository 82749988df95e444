#pragma once

// Reading a journal file's bytes back record by record, for the tests of the journal's
// format and recovery (they link the server's storage layer).
#include "storage/journalrecord.h"

#include <QByteArray>
#include <QList>

namespace JournalFile {

// Every record of a journal file, in order, and where the undecodable rest begins.
inline QList<JournalRecord::Decoded> decodeAll(const QByteArray &data, qsizetype *end,
                                               QList<qsizetype> *starts = nullptr)
{
    QList<JournalRecord::Decoded> records;
    qsizetype offset = 0;
    for (;;) {
        const qsizetype start = offset;
        const std::optional<JournalRecord::Decoded> record = JournalRecord::read(data, &offset);
        if (!record)
            break;
        if (starts)
            starts->append(start);
        records.append(*record);
    }
    *end = offset;
    return records;
}

// Bytes up to and including the last non-zero one: a journal file without the zeros
// reserved after its records (JournalSegment).
inline qsizetype nonZeroLength(const QByteArray &bytes)
{
    qsizetype length = bytes.size();
    while (length > 0 && bytes.at(length - 1) == '\0')
        --length;
    return length;
}

} // namespace JournalFile
