#include "admintoken.h"
#include "core/config.h"

#include <QDir>
#include <QFile>
#include <QFileInfo>
#include <QHostAddress>
#include <QRandomGenerator>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace {

QString systemError(const QString &what, const QString &path)
{
    return QStringLiteral("cannot %1 %2: %3")
        .arg(what, path, QString::fromLocal8Bit(std::strerror(errno)));
}

bool listensOnLoopbackOnly(const Config &config)
{
    const QString bind = config.bindAddress();
    const QHostAddress address(bind);
    return bind == u"localhost" || (!address.isNull() && address.isLoopback());
}

Outcome<QString> readToken(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly))
        return TallyError::unavailable(
            QStringLiteral("admin_token_file"),
            QStringLiteral("cannot read %1: %2").arg(path, file.errorString()));
    const QString token = QString::fromUtf8(file.readAll()).trimmed();
    if (token.isEmpty())
        return TallyError::unavailable(
            QStringLiteral("admin_token_file"),
            QStringLiteral("%1 holds no token: put one in it, or remove it to "
                           "have one generated")
                .arg(path));
    return token;
}

} // namespace

bool AdminToken::createPrivateFile(const QString &path, const QByteArray &content, QString *error,
                                   bool *existed)
{
    if (existed)
        *existed = false;
    const QFileInfo target(path);
    if (!QDir().mkpath(target.absolutePath())) {
        *error = QStringLiteral("cannot create the directory %1").arg(target.absolutePath());
        return false;
    }
    const QString temporary = QStringLiteral("%1/.%2.%3.tmp")
                                  .arg(target.absolutePath(), target.fileName())
                                  .arg(QRandomGenerator::system()->generate64(), 0, 16);
    const QByteArray temporaryName = QFile::encodeName(temporary);
    const int fd = ::open(temporaryName.constData(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        *error = systemError(QStringLiteral("create"), temporary);
        return false;
    }
    qsizetype written = 0;
    while (written < content.size()) {
        const ssize_t n =
            ::write(fd, content.constData() + written, size_t(content.size() - written));
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        written += n;
    }
    const bool synced = written == content.size() && ::fsync(fd) == 0;
    if (!synced)
        *error = systemError(QStringLiteral("write"), temporary);
    ::close(fd);
    // link() fails when the name exists, unlike rename(): a file someone else made
    // meanwhile is kept, never replaced.
    const bool linked =
        synced && ::link(temporaryName.constData(), QFile::encodeName(path).constData()) == 0;
    if (synced && !linked) {
        if (existed)
            *existed = errno == EEXIST;
        *error = systemError(QStringLiteral("create"), path);
    }
    ::unlink(temporaryName.constData());
    if (!linked)
        return false;
    const int dir = ::open(QFile::encodeName(target.absolutePath()).constData(),
                           O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir >= 0) {
        ::fsync(dir);
        ::close(dir);
    }
    return true;
}

Outcome<AdminToken::Resolved> AdminToken::resolve(const Config &config)
{
    if (!config.adminToken().isEmpty())
        return Resolved{config.adminToken(), {}, false};
    QString path = config.adminTokenFile();
    if (path.isEmpty()) {
        if (listensOnLoopbackOnly(config))
            return Resolved{};
        // Reachable from other machines: administration must not be open to anyone.
        path = QDir(config.dataDir()).filePath(QStringLiteral("admin-token"));
    }
    if (QFileInfo::exists(path)) {
        const Outcome<QString> token = readToken(path);
        if (!token)
            return token.error();
        return Resolved{token.value(), path, false};
    }
    QByteArray random(24, Qt::Uninitialized);
    QRandomGenerator::system()->fillRange(reinterpret_cast<quint32 *>(random.data()),
                                          random.size() / 4);
    const QString token = QString::fromLatin1(random.toHex());
    QString error;
    bool existed = false;
    if (!createPrivateFile(path, token.toUtf8() + '\n', &error, &existed)) {
        if (!existed)
            return TallyError::unavailable(QStringLiteral("admin_token_file"), error);
        // Another process made it first: use its token.
        const Outcome<QString> theirs = readToken(path);
        if (!theirs)
            return theirs.error();
        return Resolved{theirs.value(), path, false};
    }
    return Resolved{token, path, true};
}
