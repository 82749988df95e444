#include "journalsegment.h"
#include "journalrecord.h"

#include <QFile>

#include <algorithm>
#include <cerrno>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <utility>

namespace {
constexpr qint64 ZeroBlock = 64 * 1024;
} // namespace

JournalSegment::JournalSegment(JournalSegment &&other) noexcept
    : m_fd(std::exchange(other.m_fd, -1)), m_end(other.m_end), m_reserved(other.m_reserved),
      m_nextGrowth(other.m_nextGrowth)
{
}

JournalSegment &JournalSegment::operator=(JournalSegment &&other) noexcept
{
    if (this != &other) {
        close();
        m_fd = std::exchange(other.m_fd, -1);
        m_end = other.m_end;
        m_reserved = other.m_reserved;
        m_nextGrowth = other.m_nextGrowth;
    }
    return *this;
}

JournalSegment::~JournalSegment()
{
    close();
}

bool JournalSegment::open(const QByteArray &path, qint64 expectedSize, bool *created, int *error)
{
    close();
    const int fd = ::open(path.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0600);
    if (fd < 0) {
        *error = errno;
        return false;
    }
    struct stat status {};
    if (::fstat(fd, &status) != 0) {
        *error = errno;
        ::close(fd);
        return false;
    }
    qsizetype end = 0;
    if (status.st_size > 0) {
        // Only recovery's file of replayed votes is opened again: keep its whole
        // records, so that new ones follow the last of them.
        QFile file;
        if (!file.open(fd, QIODevice::ReadOnly, QFileDevice::DontCloseHandle)) {
            *error = EIO;
            ::close(fd);
            return false;
        }
        const QByteArray data = file.readAll();
        while (JournalRecord::read(data, &end)) {
        }
        if (end < status.st_size && ::ftruncate(fd, end) != 0) {
            *error = errno;
            ::close(fd);
            return false;
        }
    }
    *created = status.st_size == 0;
    m_fd = fd;
    m_end = m_reserved = end;
    m_nextGrowth = std::clamp(expectedSize, MinGrowth, MaxGrowth);
    return true;
}

bool JournalSegment::writeAt(int fd, const char *data, qint64 size, qint64 offset, int *error)
{
    qint64 written = 0;
    while (written < size) {
        const ssize_t n =
            ::pwrite(fd, data + written, size_t(size - written), off_t(offset + written));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            *error = n < 0 ? errno : ENOSPC;
            return false;
        }
        written += n;
    }
    return true;
}

bool JournalSegment::reserve(qint64 needed, int *error)
{
    // Real zeros, not fallocate(): writing into an unwritten extent still changes
    // the inode (the extent's state) on every commit.
    static const QByteArray zeros(ZeroBlock, '\0');
    const qint64 target = std::max(m_end + needed, m_reserved + m_nextGrowth);
    for (qint64 offset = m_reserved; offset < target; offset += ZeroBlock) {
        const qint64 size = std::min(ZeroBlock, target - offset);
        if (!writeAt(m_fd, zeros.constData(), size, offset, error))
            return false;
    }
    m_reserved = target;
    m_nextGrowth = std::min(m_nextGrowth * 2, MaxGrowth);
    return true;
}

bool JournalSegment::append(const QByteArray &bytes, int *error)
{
    if (m_end + bytes.size() > m_reserved && !reserve(bytes.size(), error))
        return false;
    if (!writeAt(m_fd, bytes.constData(), bytes.size(), m_end, error))
        return false;
    m_end += bytes.size();
    return true;
}

bool JournalSegment::sync(int *error)
{
    if (::fdatasync(m_fd) == 0)
        return true;
    *error = errno;
    return false;
}

void JournalSegment::cutBack(qint64 end)
{
    m_end = m_reserved = std::min(end, m_end);
    // If the cut fails, the records of the failed commit are retried first, over
    // the same bytes.
    (void)::ftruncate(m_fd, m_end);
}

void JournalSegment::close()
{
    if (m_fd < 0)
        return;
    // Not synced: reserved zeros that survive a crash read as the end anyway.
    if (m_reserved > m_end)
        (void)::ftruncate(m_fd, m_end);
    ::close(std::exchange(m_fd, -1));
}
