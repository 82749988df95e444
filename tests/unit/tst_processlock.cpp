// ProcessLock: the pid it writes, the refusal of a second holder (a lock is per open
// file, so a second ProcessLock in this process is refused like another process would
// be), leftover files that a killed holder leaves (empty, or naming a dead process), and
// the probe the port locks use.
#include "core/processlock.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>

#include <unistd.h>

namespace {

QByteArray contents(const QString &path)
{
    QFile file(path);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray("(missing)");
}

void writeFile(const QString &path, const QByteArray &data)
{
    QFile file(path);
    QVERIFY(file.open(QIODevice::WriteOnly | QIODevice::Truncate));
    QCOMPARE(file.write(data), data.size());
}

QByteArray ownPid()
{
    return QByteArray::number(qint64(::getpid())) + '\n';
}

} // namespace

class TestProcessLock : public QObject {
    Q_OBJECT

private slots:
    void init() { QVERIFY(m_dir.isValid()); }
    void cleanup() { QFile::remove(path()); }

    void lockWritesPidAndUnlockRemovesFile()
    {
        ProcessLock lock(path());
        QCOMPARE(lock.tryLock(), ProcessLock::Result::Acquired);
        QVERIFY(lock.isLocked());
        QCOMPARE(contents(path()), ownPid());
        lock.unlock();
        QVERIFY(!lock.isLocked());
        QVERIFY(!QFile::exists(path()));
    }

    void secondHolderIsRefusedAndToldThePid()
    {
        ProcessLock first(path());
        QCOMPARE(first.tryLock(), ProcessLock::Result::Acquired);
        ProcessLock second(path());
        QCOMPARE(second.tryLock(), ProcessLock::Result::Held);
        QCOMPARE(second.holderPid(), qint64(::getpid()));
        QVERIFY(second.errorString().isEmpty());
        QVERIFY(!second.isLocked());
        // The refusal leaves the holder's file as it was.
        QCOMPARE(contents(path()), ownPid());

        first.unlock();
        QCOMPARE(second.tryLock(), ProcessLock::Result::Acquired);
        QCOMPARE(contents(path()), ownPid());
    }

    void destructorReleases()
    {
        {
            ProcessLock scoped(path());
            QCOMPARE(scoped.tryLock(), ProcessLock::Result::Acquired);
        }
        QVERIFY(!QFile::exists(path()));
        ProcessLock next(path());
        QCOMPARE(next.tryLock(), ProcessLock::Result::Acquired);
    }

    // A holder killed between creating the file and writing its pid leaves it empty.
    void emptyLeftoverIsTaken()
    {
        writeFile(path(), {});
        ProcessLock lock(path());
        QCOMPARE(lock.tryLock(), ProcessLock::Result::Acquired);
        QCOMPARE(contents(path()), ownPid());
    }

    void leftoverOfDeadProcessIsTaken()
    {
        // Longer than any pid this file held before: the new one must replace it whole.
        writeFile(path(), "4194304999\nsomething else\n");
        ProcessLock lock(path());
        QCOMPARE(lock.tryLock(), ProcessLock::Result::Acquired);
        QCOMPARE(contents(path()), ownPid());
    }

    void holderProbe()
    {
        QCOMPARE(ProcessLock::holder(path()), 0);
        QVERIFY(!QFile::exists(path()));

        ProcessLock lock(path());
        QCOMPARE(lock.tryLock(), ProcessLock::Result::Acquired);
        QCOMPARE(ProcessLock::holder(path()), qint64(::getpid()));
        QVERIFY(lock.isLocked());
        QCOMPARE(contents(path()), ownPid());
        lock.unlock();

        // A leftover is nobody's, and the probe clears it away.
        writeFile(path(), "12345\n");
        QCOMPARE(ProcessLock::holder(path()), 0);
        QVERIFY(!QFile::exists(path()));
    }

    void unopenableFileFails()
    {
        ProcessLock lock(m_dir.filePath(QStringLiteral("missing/dir/tally.lock")));
        QCOMPARE(lock.tryLock(), ProcessLock::Result::Failed);
        QVERIFY2(lock.errorString().startsWith(QStringLiteral("cannot open ")),
                 qPrintable(lock.errorString()));
        QVERIFY2(lock.errorString().endsWith(QStringLiteral("No such file or directory")),
                 qPrintable(lock.errorString()));
        QVERIFY(!lock.isLocked());
    }

private:
    QString path() const { return m_dir.filePath(QStringLiteral("tally.lock")); }

    QTemporaryDir m_dir;
};

QTEST_GUILESS_MAIN(TestProcessLock)
#include "tst_processlock.moc"
