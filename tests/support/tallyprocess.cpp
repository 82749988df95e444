#include "tallyprocess.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QRegularExpression>
#include <QTemporaryDir>

#include <csignal>
#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

namespace {

const QStringList LegacyEnvironment = {
    QStringLiteral("REDIS_NODES"), QStringLiteral("VIRTUAL_NODES"),
    QStringLiteral("BATCH_INTERVAL_SECONDS"), QStringLiteral("API_PREFIX")};

QString tail(const QByteArray &text, int maxChars = 4000)
{
    const QString all = QString::fromUtf8(text);
    return all.size() <= maxChars ? all : QStringLiteral("...") + all.right(maxChars);
}

} // namespace

TallyProcess::TallyProcess(const QStringList &extraArgs, const QString &dataDir)
    : m_extraArgs(extraArgs), m_dataDir(dataDir), m_environment(cleanEnvironment())
{
    if (m_dataDir.isEmpty()) {
        m_ownDir =
            std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/tally-e2e-XXXXXX"));
        m_dataDir = m_ownDir->path();
    }
}

TallyProcess::~TallyProcess()
{
    // A polite stop first, so the server releases its locks; a kill if it hangs.
    if (isRunning())
        stop(10000);
}

QString TallyProcess::binaryPath()
{
    return qEnvironmentVariable("TALLY_BINARY");
}

QProcessEnvironment TallyProcess::cleanEnvironment()
{
    QProcessEnvironment environment = QProcessEnvironment::systemEnvironment();
    for (const QString &name : environment.keys()) {
        if ((name.startsWith(QStringLiteral("TALLY_")) && name != u"TALLY_BINARY") ||
            LegacyEnvironment.contains(name))
            environment.remove(name);
    }
    return environment;
}

void TallyProcess::setEnvironmentValue(const QString &name, const QString &value)
{
    m_environment.insert(name, value);
}

qint64 TallyProcess::pid() const
{
    return m_process ? m_process->processId() : 0;
}

bool TallyProcess::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

void TallyProcess::collect()
{
    if (!m_process)
        return;
    m_out += m_process->readAllStandardOutput();
    m_err += m_process->readAllStandardError();
}

QString TallyProcess::stdoutText()
{
    collect();
    return QString::fromUtf8(m_out);
}

QString TallyProcess::stderrText()
{
    collect();
    return QString::fromUtf8(m_err);
}

QString TallyProcess::diagnostics()
{
    collect();
    return QStringLiteral("%1\ncommand: %2 %3\n--- stdout ---\n%4\n--- stderr ---\n%5")
        .arg(m_error, binaryPath(), m_arguments.join(u' '), tail(m_out), tail(m_err));
}

bool TallyProcess::start(int timeoutMs)
{
    if (isRunning()) {
        m_error = QStringLiteral("already running");
        return false;
    }
    const QString binary = binaryPath();
    if (binary.isEmpty()) {
        m_error = QStringLiteral("TALLY_BINARY is not set: run the test through ctest");
        return false;
    }
    if (m_ownDir && !m_ownDir->isValid()) {
        m_error = QStringLiteral("cannot create a temporary data directory: %1")
                      .arg(m_ownDir->errorString());
        return false;
    }
    m_out.clear();
    m_err.clear();
    m_url.clear();
    m_instanceId.clear();
    m_error.clear();
    m_arguments = QStringList{QStringLiteral("--headless"), QStringLiteral("--port"),
                              QStringLiteral("0"), QStringLiteral("--data-dir"), m_dataDir} +
                  m_extraArgs;

    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::SeparateChannels);
    m_process->setProcessEnvironment(m_environment);
    m_process->start(binary, m_arguments);
    const QDeadlineTimer deadline(timeoutMs);
    if (!m_process->waitForStarted(int(deadline.remainingTime()))) {
        m_error = QStringLiteral("cannot start %1: %2").arg(binary, m_process->errorString());
        return false;
    }

    static const QRegularExpression ready(
        QStringLiteral("^Tally listening on (http://\\S+) \\(instance (\\S+), data (.*)\\)$"),
        QRegularExpression::MultilineOption);
    for (;;) {
        collect();
        const QRegularExpressionMatch match = ready.match(QString::fromUtf8(m_out));
        if (match.hasMatch()) {
            m_url = QUrl(match.captured(1));
            m_instanceId = match.captured(2);
            if (!m_url.isValid() || m_url.port() <= 0) {
                m_error = QStringLiteral("unreadable listening line: %1").arg(match.captured(0));
                kill();
                return false;
            }
            return true;
        }
        if (m_process->state() == QProcess::NotRunning) {
            m_error =
                QStringLiteral("tally exited with code %1 before listening")
                    .arg(m_process->exitStatus() == QProcess::NormalExit ? m_process->exitCode()
                                                                         : -1);
            return false;
        }
        if (deadline.hasExpired()) {
            m_error = QStringLiteral("tally printed no listening line within %1 ms").arg(timeoutMs);
            kill();
            return false;
        }
        m_process->waitForReadyRead(int(qMin<qint64>(deadline.remainingTime(), 100)));
    }
}

int TallyProcess::stop(int timeoutMs)
{
    if (!m_process)
        return -1;
    if (m_process->state() != QProcess::NotRunning) {
        ::kill(pid_t(m_process->processId()), SIGTERM);
        if (!m_process->waitForFinished(timeoutMs)) {
            m_error = QStringLiteral("tally did not stop within %1 ms of SIGTERM").arg(timeoutMs);
            kill();
            return -1;
        }
    }
    collect();
    return m_process->exitStatus() == QProcess::NormalExit ? m_process->exitCode() : -1;
}

void TallyProcess::kill()
{
    if (!m_process)
        return;
    if (m_process->state() != QProcess::NotRunning) {
        m_process->kill();
        m_process->waitForFinished(10000);
    }
    collect();
    releaseStalePortLock();
}

void TallyProcess::releaseStalePortLock()
{
    if (m_url.port() > 0)
        releaseStalePortLock(m_url.host(), m_url.port());
}

void TallyProcess::releaseStalePortLock(const QString &host, int port)
{
    // A killed server leaves its per-port lock file behind in the temporary directory.
    // Nobody holds the lock of a file left that way, so taking it proves the file free
    // to remove; a file whose lock a live process holds is left alone.
    const QByteArray path = QFile::encodeName(
        QDir(QDir::tempPath())
            .filePath(QStringLiteral("tally-port-%1-%2.lock").arg(port).arg(host)));
    const int fd = ::open(path.constData(), O_RDWR | O_CLOEXEC);
    if (fd < 0)
        return;
    if (::flock(fd, LOCK_EX | LOCK_NB) == 0)
        ::unlink(path.constData());
    ::close(fd);
}

TallyProcess::Result TallyProcess::run(const QStringList &arguments, int timeoutMs,
                                       const QProcessEnvironment &environment)
{
    Result result;
    const QString binary = binaryPath();
    if (binary.isEmpty()) {
        result.err = QStringLiteral("TALLY_BINARY is not set: run the test through ctest");
        return result;
    }
    QProcess process;
    process.setProcessChannelMode(QProcess::SeparateChannels);
    process.setProcessEnvironment(environment);
    process.start(binary, arguments);
    if (!process.waitForStarted(timeoutMs)) {
        result.err = process.errorString();
        return result;
    }
    result.finished = process.waitForFinished(timeoutMs);
    if (!result.finished) {
        process.kill();
        process.waitForFinished(5000);
    }
    result.crashed = process.exitStatus() == QProcess::CrashExit;
    result.exitCode = result.finished && !result.crashed ? process.exitCode() : -1;
    result.out = QString::fromUtf8(process.readAllStandardOutput());
    result.err = QString::fromUtf8(process.readAllStandardError());
    return result;
}
