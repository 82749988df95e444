#include "redisnode.h"
#include "testkit.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QProcess>
#include <QStandardPaths>
#include <QTcpServer>
#include <QTemporaryDir>
#include <QThread>

#include <hiredis/hiredis.h>

#include <csignal>
#include <sys/time.h>
#include <vector>

namespace {

const char LoopbackIp[] = "127.0.0.1";

timeval toTimeval(int ms)
{
    timeval tv;
    tv.tv_sec = ms / 1000;
    tv.tv_usec = (ms % 1000) * 1000;
    return tv;
}

RedisValue copyReply(const redisReply *reply)
{
    RedisValue value;
    switch (reply->type) {
    case REDIS_REPLY_STRING:
        value.type = RedisValue::Type::String;
        value.text = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_STATUS:
        value.type = RedisValue::Type::Status;
        value.text = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_ERROR:
        value.type = RedisValue::Type::Error;
        value.text = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_INTEGER:
        value.type = RedisValue::Type::Integer;
        value.integer = reply->integer;
        break;
    case REDIS_REPLY_ARRAY:
        value.type = RedisValue::Type::Array;
        for (size_t i = 0; i < reply->elements; ++i)
            value.elements.append(copyReply(reply->element[i]));
        break;
    default:
        value.type = RedisValue::Type::Nil;
    }
    return value;
}

} // namespace

QMap<QByteArray, QByteArray> RedisValue::hash() const
{
    QMap<QByteArray, QByteArray> result;
    for (qsizetype i = 0; i + 1 < elements.size(); i += 2)
        result.insert(elements[i].text, elements[i + 1].text);
    return result;
}

QSet<QByteArray> RedisValue::set() const
{
    QSet<QByteArray> result;
    for (const RedisValue &element : elements)
        result.insert(element.text);
    return result;
}

QString RedisValue::describe() const
{
    switch (type) {
    case Type::None:
        return QStringLiteral("no answer (%1)").arg(QString::fromUtf8(text));
    case Type::String:
        return QStringLiteral("\"%1\"").arg(QString::fromUtf8(text));
    case Type::Status:
        return QStringLiteral("+%1").arg(QString::fromUtf8(text));
    case Type::Error:
        return QStringLiteral("-%1").arg(QString::fromUtf8(text));
    case Type::Integer:
        return QStringLiteral("(integer) %1").arg(integer);
    case Type::Nil:
        return QStringLiteral("(nil)");
    case Type::Array: {
        QStringList parts;
        for (const RedisValue &element : elements)
            parts.append(element.describe());
        return QStringLiteral("[%1]").arg(parts.join(QStringLiteral(", ")));
    }
    }
    return {};
}

RedisNode::RedisNode()
    : m_dir(
          std::make_unique<QTemporaryDir>(QDir::tempPath() + QStringLiteral("/tally-redis-XXXXXX")))
{
}

RedisNode::~RedisNode()
{
    shutdown();
}

bool RedisNode::isRunning() const
{
    return m_process && m_process->state() != QProcess::NotRunning;
}

qint64 RedisNode::pid() const
{
    return isRunning() ? m_process->processId() : 0;
}

QString RedisNode::dir() const
{
    return m_dir->path();
}

QString RedisNode::url() const
{
    return QStringLiteral("redis://%1:%2").arg(QLatin1String(LoopbackIp)).arg(m_port);
}

QString RedisNode::shardName() const
{
    return QStringLiteral("%1:%2").arg(QLatin1String(LoopbackIp)).arg(m_port);
}

bool RedisNode::start(int timeoutMs)
{
    m_error.clear();
    if (isRunning()) {
        m_error = QStringLiteral("already running");
        return false;
    }
    if (!m_dir->isValid()) {
        m_error = QStringLiteral("no temporary directory: %1").arg(m_dir->errorString());
        return false;
    }
    const QString program = m_sentinelConfig.isEmpty() ? QStringLiteral("redis-server")
                                                       : QStringLiteral("redis-sentinel");
    const QString binary = QStandardPaths::findExecutable(program);
    if (binary.isEmpty()) {
        m_error = QStringLiteral("%1 is not installed (not found in PATH)").arg(program);
        return false;
    }
    if (m_port == 0)
        m_port = TestKit::freeLoopbackPort();
    if (m_port == 0) {
        m_error = QStringLiteral("no free loopback port");
        return false;
    }
    disconnect();
    m_paused = false;
    m_process = std::make_unique<QProcess>();
    m_process->setProcessChannelMode(QProcess::MergedChannels);
    // To a file rather than a pipe: a pipe nobody reads would block the server.
    m_process->setStandardOutputFile(QDir(dir()).filePath(QStringLiteral("redis.log")),
                                     QIODevice::Append);
    m_process->setStandardInputFile(QProcess::nullDevice());
    const QStringList arguments = {QStringLiteral("--port"),        QString::number(m_port),
                                   QStringLiteral("--bind"),        QString::fromLatin1(LoopbackIp),
                                   QStringLiteral("--appendonly"),  QStringLiteral("yes"),
                                   QStringLiteral("--appendfsync"), QStringLiteral("always"),
                                   QStringLiteral("--save"),        QString(),
                                   QStringLiteral("--dir"),         dir(),
                                   QStringLiteral("--daemonize"),   QStringLiteral("no")};
    QStringList plain = arguments;
    if (!m_sentinelConfig.isEmpty()) {
        const QString config = QDir(dir()).filePath(QStringLiteral("sentinel.conf"));
        if (!QFile::exists(config)) { // a restart keeps what the sentinel learnt
            QFile file(config);
            if (!file.open(QIODevice::WriteOnly) ||
                file.write(m_sentinelConfig) != m_sentinelConfig.size()) {
                m_error = QStringLiteral("cannot write %1").arg(config);
                return false;
            }
        }
        plain = {config,
                 QStringLiteral("--port"),
                 QString::number(m_port),
                 QStringLiteral("--bind"),
                 QString::fromLatin1(LoopbackIp),
                 QStringLiteral("--dir"),
                 dir(),
                 QStringLiteral("--daemonize"),
                 QStringLiteral("no")};
    }
    m_process->start(binary, plain);
    if (!m_process->waitForStarted(timeoutMs)) {
        m_error = QStringLiteral("cannot start %1: %2").arg(binary, m_process->errorString());
        return false;
    }
    if (!waitUntilAnswering(timeoutMs)) {
        if (isRunning()) {
            ::kill(pid_t(m_process->processId()), SIGKILL);
            m_process->waitForFinished(5000);
        }
        return false;
    }
    return true;
}

void RedisNode::monitor(const QString &masterName, quint16 masterPort, int quorum, int downAfterMs,
                        int failoverTimeoutMs)
{
    const QByteArray name = masterName.toUtf8();
    m_sentinelConfig =
        "sentinel monitor " + name + ' ' + LoopbackIp + ' ' + QByteArray::number(masterPort) + ' ' +
        QByteArray::number(quorum) + "\n" + "sentinel down-after-milliseconds " + name + ' ' +
        QByteArray::number(downAfterMs) + "\n" + "sentinel failover-timeout " + name + ' ' +
        QByteArray::number(failoverTimeoutMs) + "\n" + "sentinel parallel-syncs " + name + " 1\n";
}

bool RedisNode::waitUntilAnswering(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    QString last;
    forever
    {
        if (!isRunning()) {
            m_error = QStringLiteral("redis-server on port %1 exited (code %2) before answering")
                          .arg(m_port)
                          .arg(m_process->exitCode());
            return false;
        }
        const RedisValue pong = command({"PING"}, 500);
        // While it loads its append-only file the server answers -LOADING.
        if (pong.type == RedisValue::Type::Status && pong.text == "PONG")
            return true;
        last = pong.describe();
        if (deadline.hasExpired()) {
            m_error = QStringLiteral("redis-server on port %1 did not answer PING within %2 ms "
                                     "(last: %3)")
                          .arg(m_port)
                          .arg(timeoutMs)
                          .arg(last);
            return false;
        }
        QThread::msleep(20);
    }
}

void RedisNode::kill()
{
    disconnect();
    if (isRunning()) {
        ::kill(pid_t(m_process->processId()), SIGKILL);
        m_process->waitForFinished(10000);
    }
    m_paused = false;
}

void RedisNode::pause()
{
    if (isRunning() && !m_paused) {
        ::kill(pid_t(m_process->processId()), SIGSTOP);
        m_paused = true;
    }
}

void RedisNode::resume()
{
    if (isRunning() && m_paused)
        ::kill(pid_t(m_process->processId()), SIGCONT);
    m_paused = false;
}

void RedisNode::shutdown(int timeoutMs)
{
    disconnect();
    if (!isRunning())
        return;
    const pid_t id = pid_t(m_process->processId());
    if (m_paused)
        ::kill(id, SIGCONT);
    m_paused = false;
    ::kill(id, SIGTERM);
    if (!m_process->waitForFinished(timeoutMs)) {
        ::kill(id, SIGKILL);
        m_process->waitForFinished(10000);
    }
}

void RedisNode::disconnect()
{
    if (m_context) {
        redisFree(m_context);
        m_context = nullptr;
    }
}

RedisValue RedisNode::command(const QList<QByteArray> &arguments, int timeoutMs)
{
    RedisValue value;
    if (!m_context) {
        redisContext *context = redisConnectWithTimeout(LoopbackIp, m_port, toTimeval(timeoutMs));
        if (!context) {
            value.text = "out of memory";
            return value;
        }
        if (context->err) {
            value.text = QByteArray(context->errstr);
            redisFree(context);
            return value;
        }
        m_context = context;
    }
    redisSetTimeout(m_context, toTimeval(timeoutMs));
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    for (const QByteArray &argument : arguments) {
        argv.push_back(argument.constData());
        lengths.push_back(size_t(argument.size()));
    }
    auto *reply = static_cast<redisReply *>(
        redisCommandArgv(m_context, int(argv.size()), argv.data(), lengths.data()));
    if (!reply) {
        // Timed out or lost: this connection's state is unknown, start afresh next time.
        value.text = QByteArray(m_context->errstr);
        disconnect();
        return value;
    }
    value = copyReply(reply);
    freeReplyObject(reply);
    return value;
}

QMap<QByteArray, QByteArray> RedisNode::hgetall(const QByteArray &key)
{
    return command({"HGETALL", key}).hash();
}

QSet<QByteArray> RedisNode::smembers(const QByteArray &key)
{
    return command({"SMEMBERS", key}).set();
}

bool RedisNode::exists(const QByteArray &key)
{
    const RedisValue answer = command({"EXISTS", key});
    return answer.type == RedisValue::Type::Integer && answer.integer == 1;
}

QString RedisNode::diagnostics() const
{
    QFile log(QDir(dir()).filePath(QStringLiteral("redis.log")));
    QByteArray text;
    if (log.open(QIODevice::ReadOnly))
        text = log.readAll().right(3000);
    return QStringLiteral("%1\n--- redis.log (port %2) ---\n%3")
        .arg(m_error)
        .arg(m_port)
        .arg(QString::fromUtf8(text));
}
