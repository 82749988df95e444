#pragma once

#include <QByteArray>
#include <QtGlobal>

// One epoch's journal file, written at its end with space reserved ahead of it.
//
// A sync commit is a write and an fdatasync. When the write makes the file longer,
// the fdatasync also has to write the inode (its size) with a second disk request;
// writing into space that already exists needs only the data and the cache flush. So
// the file grows in zero-filled steps (twice the last epoch's size, within bounds)
// and records overwrite the zeros: most commits never change the file's size. A zero
// length field ends a file's records, so the reserved space reads as a clean end, and
// close() trims it once the epoch is sealed.
//
// Writer thread only. Not copyable; moving hands over the descriptor.
class JournalSegment {
public:
    static constexpr qint64 MinGrowth = 64 * 1024;
    static constexpr qint64 MaxGrowth = 4 * 1024 * 1024;

    JournalSegment() = default;
    JournalSegment(JournalSegment &&other) noexcept;
    JournalSegment &operator=(JournalSegment &&other) noexcept;
    JournalSegment(const JournalSegment &) = delete;
    JournalSegment &operator=(const JournalSegment &) = delete;
    ~JournalSegment();

    // Opens or creates `path`. An existing file (the replayed votes recovery wrote)
    // keeps its whole records and is cut back to them. `expectedSize` sizes the first
    // reservation. On failure returns false with errno in `*error`.
    bool open(const QByteArray &path, qint64 expectedSize, bool *created, int *error);
    bool isOpen() const { return m_fd >= 0; }

    // Writes `bytes` after the last record, reserving more zeroed space first when
    // they do not fit. Not durable until sync().
    bool append(const QByteArray &bytes, int *error);
    bool sync(int *error);
    // After a failed commit: forgets everything written after `end` (and the space
    // reserved since), so no partial record stays between records.
    void cutBack(qint64 end);
    // Trims the reserved space and closes the file.
    void close();

    // Where the next record goes.
    qint64 end() const { return m_end; }
    // The file's size on disk: records plus reserved zeros.
    qint64 reserved() const { return m_reserved; }

    // Writes all of `size` bytes at `offset` of `fd`, retrying short writes; false (and
    // errno in `*error`) when the disk refuses them.
    static bool writeAt(int fd, const char *data, qint64 size, qint64 offset, int *error);

private:
    bool reserve(qint64 needed, int *error);

    int m_fd = -1;
    qint64 m_end = 0;
    qint64 m_reserved = 0;
    qint64 m_nextGrowth = MinGrowth;
};
