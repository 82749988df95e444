#include "processlock.h"

#include <QByteArray>
#include <QFile>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

namespace {

qint64 readPid(int fd)
{
    char text[32] = {};
    const ssize_t got = ::pread(fd, text, sizeof text - 1, 0);
    if (got <= 0)
        return 0;
    bool ok = false;
    const qint64 pid = QByteArray(text, int(got)).split('\n').value(0).trimmed().toLongLong(&ok);
    return ok && pid > 0 ? pid : 0;
}

// Whether `fd` is still the file at `path`: a releasing holder unlinks the file before it
// lets the lock go, so a lock taken on the old file in between is worthless.
bool stillNamed(int fd, const QByteArray &path)
{
    struct stat opened = {};
    struct stat named = {};
    return ::fstat(fd, &opened) == 0 && ::stat(path.constData(), &named) == 0 &&
           opened.st_dev == named.st_dev && opened.st_ino == named.st_ino;
}

QString describe(const char *what, const QString &path)
{
    return QStringLiteral("cannot %1 %2: %3")
        .arg(QLatin1StringView(what), path, QString::fromLocal8Bit(std::strerror(errno)));
}

} // namespace

ProcessLock::ProcessLock(QString path) : m_path(std::move(path)) {}

ProcessLock::~ProcessLock()
{
    unlock();
}

ProcessLock::Result ProcessLock::tryLock()
{
    if (m_fd >= 0)
        return Result::Acquired;
    const QByteArray name = QFile::encodeName(m_path);
    m_holderPid = 0;
    // A retry only follows a holder that released the file between our open and flock.
    for (int attempt = 0; attempt < 100; ++attempt) {
        const int fd = ::open(name.constData(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
        if (fd < 0) {
            m_error = describe("open", m_path);
            return Result::Failed;
        }
        if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
            const bool held = errno == EWOULDBLOCK;
            m_error = held ? QString() : describe("lock", m_path);
            m_holderPid = held ? readPid(fd) : 0;
            ::close(fd);
            return held ? Result::Held : Result::Failed;
        }
        if (!stillNamed(fd, name)) {
            ::close(fd);
            continue;
        }
        const QByteArray pid = QByteArray::number(qint64(::getpid())) + '\n';
        if (::ftruncate(fd, 0) != 0 ||
            ::pwrite(fd, pid.constData(), size_t(pid.size()), 0) != ssize_t(pid.size())) {
            m_error = describe("write", m_path);
            ::unlink(name.constData());
            ::close(fd);
            return Result::Failed;
        }
        m_fd = fd;
        return Result::Acquired;
    }
    m_error = QStringLiteral("cannot lock %1: it keeps being replaced").arg(m_path);
    return Result::Failed;
}

void ProcessLock::unlock()
{
    if (m_fd < 0)
        return;
    ::unlink(QFile::encodeName(m_path).constData());
    ::close(m_fd);
    m_fd = -1;
}

qint64 ProcessLock::holder(const QString &path)
{
    // A shared lock is enough to tell, and a read-only open works on another user's file.
    const int fd = ::open(QFile::encodeName(path).constData(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    if (::flock(fd, LOCK_SH | LOCK_NB) != 0) {
        const qint64 pid = errno == EWOULDBLOCK ? readPid(fd) : 0;
        ::close(fd);
        return pid > 0 ? pid : -1;
    }
    ::close(fd);
    ProcessLock leftover(path);
    if (leftover.tryLock() == Result::Acquired)
        leftover.unlock();
    return 0;
}
