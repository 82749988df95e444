#include "sentinelresolver.h"
#include "core/logcategories.h"
#include "redisconnection.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QPointer>
#include <QRandomGenerator>
#include <QTimer>

namespace {

constexpr char SwitchChannel[] = "+switch-master";

} // namespace

struct SentinelResolver::Attempt {
    std::function<void(Outcome<Master>)> done;
    int tried = 0;
    QStringList problems;
    QPointer<RedisConnection> connection;
};

SentinelResolver::SentinelResolver(const QList<Address> &sentinels, const QString &masterName,
                                   int connectTimeoutMs, int commandTimeoutMs, QObject *parent)
    : QObject(parent), m_masterName(masterName), m_connectTimeoutMs(connectTimeoutMs),
      m_commandTimeoutMs(commandTimeoutMs)
{
    for (Address address : sentinels) {
        address.host = RedisConnection::resolveHost(address.host);
        m_sentinels.append(address);
    }
}

SentinelResolver::~SentinelResolver() = default;

QString SentinelResolver::describe() const
{
    QStringList addresses;
    for (const Address &sentinel : m_sentinels)
        addresses.append(QStringLiteral("%1:%2").arg(sentinel.host).arg(sentinel.port));
    return QStringLiteral("sentinel://%1/%2").arg(addresses.join(u','), m_masterName);
}

QStringList SentinelResolver::replicasFromRole(const RedisReply &role)
{
    QStringList replicas;
    if (role.elements.size() < 3)
        return replicas;
    for (const RedisReply &replica : role.elements[2].elements)
        if (replica.elements.size() >= 2)
            replicas.append(QString::fromUtf8(replica.elements[0].text) + u':' +
                            QString::fromUtf8(replica.elements[1].text));
    return replicas;
}

void SentinelResolver::resolve(std::function<void(Outcome<Master>)> done)
{
    auto attempt = std::make_shared<Attempt>();
    attempt->done = std::move(done);
    ask(attempt);
}

void SentinelResolver::next(const std::shared_ptr<Attempt> &attempt, const QString &problem)
{
    if (attempt->connection)
        attempt->connection->deleteLater();
    attempt->connection = nullptr;
    attempt->problems.append(problem);
    if (++attempt->tried < m_sentinels.size()) {
        m_preferred = (m_preferred + 1) % int(m_sentinels.size());
        ask(attempt);
        return;
    }
    attempt->done(TallyError::unavailable(
        QStringLiteral("shard_unavailable"),
        QStringLiteral("no master for '%1' (%2)")
            .arg(m_masterName, attempt->problems.join(QStringLiteral("; ")))));
}

void SentinelResolver::ask(const std::shared_ptr<Attempt> &attempt)
{
    const Address sentinel = m_sentinels[m_preferred];
    const QString where = QStringLiteral("sentinel %1:%2").arg(sentinel.host).arg(sentinel.port);
    auto *connection = new RedisConnection(sentinel.host, sentinel.port, m_connectTimeoutMs,
                                           m_commandTimeoutMs, this);
    attempt->connection = connection;
    connect(connection, &RedisConnection::disconnected, this,
            [this, attempt, connection, where](const QString &reason) {
                if (attempt->connection == connection)
                    next(attempt, where + QStringLiteral(": ") + reason);
            });
    connect(connection, &RedisConnection::connected, this, [this, attempt, connection, where] {
        connection->command(
            {"SENTINEL", "get-master-addr-by-name", m_masterName.toUtf8()},
            [this, attempt, connection, where](std::optional<RedisReply> reply) {
                if (attempt->connection != connection)
                    return;
                if (!reply || reply->isError() || reply->elements.size() != 2) {
                    next(attempt,
                         where + (reply && reply->isError()
                                      ? QStringLiteral(": ") + QString::fromUtf8(reply->text)
                                      : QStringLiteral(" does not know the master")));
                    return;
                }
                const QString host = QString::fromUtf8(reply->elements[0].text);
                const quint16 port = quint16(reply->elements[1].text.toUInt());
                connection->deleteLater();
                attempt->connection = nullptr;
                confirm(attempt, host, port);
            });
    });
    connection->open();
}

void SentinelResolver::confirm(const std::shared_ptr<Attempt> &attempt, const QString &host,
                               quint16 port)
{
    const QString where = QStringLiteral("%1:%2").arg(host).arg(port);
    auto *connection =
        new RedisConnection(host, port, m_connectTimeoutMs, m_commandTimeoutMs, this);
    attempt->connection = connection;
    connect(connection, &RedisConnection::disconnected, this,
            [this, attempt, connection, where](const QString &reason) {
                if (attempt->connection == connection)
                    next(attempt, QStringLiteral("master %1: %2").arg(where, reason));
            });
    connect(connection, &RedisConnection::connected, this,
            [this, attempt, connection, host, port, where] {
                connection->command({"ROLE"}, [this, attempt, connection, host, port,
                                               where](std::optional<RedisReply> role) {
                    if (attempt->connection != connection)
                        return;
                    if (!role || role->isError() || role->elements.isEmpty() ||
                        role->elements[0].text != "master") {
                        // Mid-failover: the sentinel named a node that is not (or no longer)
                        // master.
                        next(attempt,
                             QStringLiteral("%1 is not a master (ROLE: %2)")
                                 .arg(where, role && !role->elements.isEmpty()
                                                 ? QString::fromUtf8(role->elements[0].text)
                                                 : QStringLiteral("no answer")));
                        return;
                    }
                    connection->deleteLater();
                    attempt->connection = nullptr;
                    attempt->done(Master{host, port, replicasFromRole(*role)});
                });
            });
    connection->open();
}

void SentinelResolver::watch()
{
    for (const Address &address : std::as_const(m_sentinels)) {
        auto watcher = std::make_unique<Watcher>();
        watcher->address = address;
        watcher->retry = new QTimer(this);
        watcher->retry->setSingleShot(true);
        Watcher *raw = watcher.get();
        connect(watcher->retry, &QTimer::timeout, this, [this, raw] { watchOne(raw); });
        m_watchers.push_back(std::move(watcher));
        watchOne(raw);
    }
}

void SentinelResolver::watchOne(Watcher *watcher)
{
    watcher->connection = new RedisConnection(watcher->address.host, watcher->address.port,
                                              m_connectTimeoutMs, m_commandTimeoutMs, this);
    connect(watcher->connection, &RedisConnection::connected, this, [this, watcher] {
        watcher->connection->subscribe(
            SwitchChannel,
            [this](const QByteArray &payload) {
                // "<master-name> <old-ip> <old-port> <new-ip> <new-port>"
                const QList<QByteArray> fields = payload.split(' ');
                if (fields.size() != 5 || fields[0] != m_masterName.toUtf8())
                    return;
                Q_EMIT masterSwitched(QString::fromUtf8(fields[3]), quint16(fields[4].toUInt()));
            },
            [watcher] { watcher->failures = 0; });
    });
    connect(
        watcher->connection, &RedisConnection::disconnected, this,
        [watcher](const QString &reason) {
            if (watcher->failures == 0)
                qCWarning(
                    lcStorage, "Sentinel %s:%u: %s; listening for +switch-master again shortly",
                    qPrintable(watcher->address.host), watcher->address.port, qPrintable(reason));
            watcher->connection->deleteLater();
            watcher->connection = nullptr;
            const int base = std::min(5000, 100 << std::min(watcher->failures++, 6));
            watcher->retry->start(base + int(QRandomGenerator::global()->bounded(base / 4 + 1)));
        });
    watcher->connection->open();
}
