#include "portlock.h"

#include <QDir>
#include <QFileInfo>

namespace {

bool isWildcard(const QHostAddress &address)
{
    return address == QHostAddress::AnyIPv4 || address == QHostAddress::AnyIPv6 ||
           address == QHostAddress::Any;
}

// The pid holding `path`, or 0 when nobody alive does (a stale file is removed).
qint64 holder(const QString &path)
{
    QLockFile probe(path);
    probe.setStaleLockTime(0);
    if (probe.tryLock(0)) {
        probe.unlock();
        return 0;
    }
    qint64 pid = 0;
    QString host, app;
    probe.getLockInfo(&pid, &host, &app);
    return pid > 0 ? pid : -1;
}

} // namespace

QString PortLock::path(const QHostAddress &address, quint16 port)
{
    return QDir(QDir::tempPath())
        .filePath(QStringLiteral("tally-port-%1-%2.lock").arg(port).arg(address.toString()));
}

bool PortLock::acquire(const QHostAddress &address, quint16 port, QString *error, qint64 *holderPid)
{
    const auto refuse = [&](qint64 pid, const QString &where) {
        if (holderPid)
            *holderPid = pid;
        *error = QStringLiteral("another Tally (pid %1) is already listening on %2 port %3")
                     .arg(pid)
                     .arg(where)
                     .arg(port);
        m_lock.reset();
        return false;
    };
    m_lock = std::make_unique<QLockFile>(path(address, port));
    m_lock->setStaleLockTime(0);
    if (!m_lock->tryLock(0)) {
        qint64 pid = 0;
        QString host, app;
        m_lock->getLockInfo(&pid, &host, &app);
        return refuse(pid, address.toString());
    }
    if (isWildcard(address)) {
        // Every address of the port is ours: nobody else may hold one.
        const QString prefix = QStringLiteral("tally-port-%1-").arg(port);
        const QString own = QFileInfo(m_lock->fileName()).fileName();
        const QStringList others =
            QDir(QDir::tempPath()).entryList({prefix + QStringLiteral("*.lock")}, QDir::Files);
        for (const QString &name : others) {
            if (name == own)
                continue;
            if (const qint64 pid = holder(QDir(QDir::tempPath()).filePath(name)))
                return refuse(pid, name.mid(prefix.size()).chopped(5));
        }
        return true;
    }
    for (const QHostAddress &wildcard :
         {QHostAddress(QHostAddress::AnyIPv4), QHostAddress(QHostAddress::AnyIPv6)})
        if (const qint64 pid = holder(path(wildcard, port)))
            return refuse(pid, wildcard.toString());
    return true;
}
