#include "portlock.h"

#include <QDir>
#include <QFileInfo>

namespace {

bool isWildcard(const QHostAddress &address)
{
    return address == QHostAddress::AnyIPv4 || address == QHostAddress::AnyIPv6 ||
           address == QHostAddress::Any;
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
            *holderPid = qMax<qint64>(pid, 0);
        *error = QStringLiteral("another Tally%1 is already listening on %2 port %3")
                     .arg(pid > 0 ? QStringLiteral(" (pid %1)").arg(pid) : QString(), where)
                     .arg(port);
        m_lock.reset();
        return false;
    };
    m_lock = std::make_unique<ProcessLock>(path(address, port));
    switch (m_lock->tryLock()) {
    case ProcessLock::Result::Acquired:
        break;
    case ProcessLock::Result::Held:
        return refuse(m_lock->holderPid(), address.toString());
    case ProcessLock::Result::Failed:
        *error = m_lock->errorString();
        m_lock.reset();
        return false;
    }
    if (isWildcard(address)) {
        // Every address of the port is ours: nobody else may hold one.
        const QString prefix = QStringLiteral("tally-port-%1-").arg(port);
        const QString own = QFileInfo(m_lock->path()).fileName();
        const QStringList others =
            QDir(QDir::tempPath()).entryList({prefix + QStringLiteral("*.lock")}, QDir::Files);
        for (const QString &name : others) {
            if (name == own)
                continue;
            if (const qint64 pid = ProcessLock::holder(QDir(QDir::tempPath()).filePath(name)))
                return refuse(pid, name.mid(prefix.size()).chopped(5));
        }
        return true;
    }
    for (const QHostAddress &wildcard :
         {QHostAddress(QHostAddress::AnyIPv4), QHostAddress(QHostAddress::AnyIPv6)})
        if (const qint64 pid = ProcessLock::holder(path(wildcard, port)))
            return refuse(pid, wildcard.toString());
    return true;
}
