#include "pubsubbridge.h"
#include "core/logcategories.h"
#include "core/periodic.h"
#include "core/pollcatalog.h"
#include "core/voteledger.h"
#include "storage/redisconnection.h"
#include "storage/storageengine.h"

#include <QDir>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QSaveFile>
#include <QTimer>

namespace {
constexpr int HeartbeatMs = Periodic::PubSubHeartbeatMs;
constexpr int SourceExpiryMs = Periodic::PubSubSourceExpiryMs;
// Accepted counts that changed this recently are repeated with every heartbeat.
constexpr int RepeatWindowMs = SourceExpiryMs;
// A subscription that heard nothing for this long while its node is up is half-open.
constexpr int SubscriberSilenceMs = 3 * HeartbeatMs;
// A new run names its predecessor this long: by then every other instance has forgotten it.
constexpr int RetireAnnounceMs = SourceExpiryMs + 2 * HeartbeatMs;
// A retired run's messages are ignored this long (any still in flight are stale).
constexpr int RetiredMemoryMs = 6 * SourceExpiryMs;

// Sources are "<instance id>@<run>"; only a run of the same instance may retire another.
bool sameInstance(const QString &source, const QString &other)
{
    const qsizetype at = source.lastIndexOf(u'@');
    return at > 0 && other.size() > at && other[at] == u'@' && other.startsWith(source.left(at)) &&
           other.lastIndexOf(u'@') == at;
}

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}
} // namespace

PubSubBridge::PubSubBridge(const Config &config, StorageEngine *storage, VoteLedger *ledger,
                           PollCatalog *catalog, QObject *parent)
    : QObject(parent), m_config(config), m_storage(storage), m_ledger(ledger), m_catalog(catalog),
      m_source(storage->source())
{
}

void PubSubBridge::start()
{
    QMetaObject::invokeMethod(this, [this] {
        m_predecessor = takeOverPreviousRun();
        m_sinceStart.start();
        for (const Config::RedisNode &redis : m_config.redisNodes()) {
            auto node = std::make_unique<Subscriber>();
            node->name = redis.name;
            node->host = redis.host;
            node->port = redis.port;
            node->monitored = redis.monitored();
            node->retry = new QTimer(this);
            node->retry->setSingleShot(true);
            Subscriber *raw = node.get();
            connect(node->retry, &QTimer::timeout, this, [this, raw] { connectNode(raw); });
            m_nodes.push_back(std::move(node));
            connectNode(raw);
        }
        Periodic::every(this, m_config.liveIntervalMs(), [this] { publishAccepted(); });
        Periodic::every(this, HeartbeatMs, [this] { publishHeartbeat(); });
    });
}

QString PubSubBridge::takeOverPreviousRun()
{
    // The run recorded here is over: this one holds the data directory's lock.
    const QString path = QDir(m_config.dataDir()).filePath(QStringLiteral("pubsub-source"));
    QString previous;
    if (QFile file(path); file.open(QIODevice::ReadOnly))
        previous = QString::fromUtf8(file.readAll()).trimmed();
    QSaveFile next(path);
    if (!next.open(QIODevice::WriteOnly) || next.write(m_source.toUtf8() + '\n') < 0 ||
        !next.commit())
        qCWarning(lcLive, "Pub/Sub: cannot record this run in %s: %s", qPrintable(path),
                  qPrintable(next.errorString()));
    return sameInstance(m_source, previous) && previous != m_source ? previous : QString();
}

QJsonObject PubSubBridge::envelope() const
{
    QJsonObject message{{QStringLiteral("source"), m_source}};
    // Not before the predecessor's journal is replayed: until then its votes are nowhere
    // else, and dropping them would take them out of others' results.
    if (!m_predecessor.isEmpty() && m_sinceStart.elapsed() < RetireAnnounceMs &&
        !m_storage->journalReplayPending())
        message.insert(QStringLiteral("retires"), m_predecessor);
    return message;
}

void PubSubBridge::connectNode(Subscriber *node)
{
    if (node->monitored) {
        // A Sentinel-monitored shard: subscribe on its current master, as the storage
        // engine found it (messages published there reach every instance subscribed).
        node->host.clear();
        for (const StorageEngine::ShardInfo &shard : m_storage->shardInfo()) {
            const qsizetype colon = shard.address.lastIndexOf(u':');
            if (shard.name == node->name && shard.state == Shard::State::Up && colon > 0) {
                node->host = shard.address.left(colon);
                node->port = quint16(shard.address.mid(colon + 1).toUInt());
            }
        }
        if (node->host.isEmpty()) {
            node->retry->start(200);
            return;
        }
    }
    node->connection = new RedisConnection(node->host, node->port, m_config.redisConnectTimeoutMs(),
                                           m_config.redisCommandTimeoutMs(), this);
    connect(node->connection, &RedisConnection::connected, this, [this, node] {
        node->connection->subscribe(
            Channel,
            [this, node](const QByteArray &payload) {
                node->lastHeard.start();
                onMessage(payload);
            },
            [this, node] {
                if (node->failures > 0)
                    qCInfo(lcLive, "Pub/Sub: subscribed again on %s:%u", qPrintable(node->host),
                           node->port);
                node->failures = 0;
                node->subscribed = true;
                node->lastHeard.start();
                m_storage->setSubscribed(node->name, true);
            });
    });
    connect(node->connection, &RedisConnection::disconnected, this,
            [this, node](const QString &reason) {
                if (node->failures == 0)
                    qCWarning(lcLive, "Pub/Sub: lost %s:%u (%s); resubscribing",
                              qPrintable(node->host), node->port, qPrintable(reason));
                node->subscribed = false;
                m_storage->setSubscribed(node->name, false);
                node->connection->deleteLater();
                node->connection = nullptr;
                const int base = std::min(5000, 100 << std::min(node->failures++, 6));
                node->retry->start(base + int(QRandomGenerator::global()->bounded(base / 4 + 1)));
            });
    node->connection->open();
}

void PubSubBridge::publishAccepted()
{
    const PollCounts changed = m_ledger->takeOwnAcceptedChanges();
    const qint64 now = m_ledger->nowMs();
    for (auto it = changed.cbegin(); it != changed.cend(); ++it)
        m_recentlyChanged.insert(it.key(), now);
    publishCounts(changed);
}

void PubSubBridge::republishRecent()
{
    const qint64 cutoff = m_ledger->nowMs() - RepeatWindowMs;
    QStringList recent;
    for (auto it = m_recentlyChanged.begin(); it != m_recentlyChanged.end();) {
        if (it.value() < cutoff) {
            it = m_recentlyChanged.erase(it);
            continue;
        }
        recent.append(it.key());
        ++it;
    }
    if (!recent.isEmpty())
        publishCounts(m_ledger->lastPublished(recent));
}

void PubSubBridge::checkSubscribers()
{
    QSet<QString> up;
    for (const StorageEngine::ShardInfo &shard : m_storage->shardInfo())
        if (shard.state == Shard::State::Up)
            up.insert(shard.name);
    for (const auto &node : m_nodes) {
        if (!node->subscribed || !node->connection)
            continue;
        // Our own heartbeat goes out on every node that is up; not hearing it back
        // means the subscription no longer delivers.
        if (!up.contains(node->name)) {
            node->lastHeard.start();
            continue;
        }
        if (node->lastHeard.elapsed() > SubscriberSilenceMs)
            node->connection->abort(
                QStringLiteral("no message for %1 ms, not even our own heartbeat")
                    .arg(node->lastHeard.elapsed()));
    }
}

void PubSubBridge::publishCounts(const PollCounts &changed)
{
    if (changed.isEmpty())
        return;
    // One message per shard, on the shard that owns the polls.
    QHash<QString, QJsonObject> byShard;
    for (auto it = changed.cbegin(); it != changed.cend(); ++it) {
        QJsonArray counts;
        for (qint64 value : it.value())
            counts.append(value);
        byShard[m_storage->shardNameOf(it.key())].insert(it.key(), counts);
    }
    for (auto it = byShard.cbegin(); it != byShard.cend(); ++it) {
        QJsonObject message = envelope();
        message.insert(QStringLiteral("accepted"), it.value());
        m_storage->publishOn(it.key(), Channel, compact(message));
    }
}

void PubSubBridge::publishHeartbeat()
{
    checkSubscribers();
    m_storage->publishOn(QString(), Channel, compact(envelope()));
    republishRecent();
    const qint64 forgetRetired = m_ledger->nowMs() - RetiredMemoryMs;
    m_retired.removeIf(
        [forgetRetired](const auto &retired) { return retired.value() < forgetRetired; });
    const QStringList expired = m_ledger->expireRemoteSources(m_ledger->nowMs() - SourceExpiryMs);
    for (const QString &source : expired)
        qCWarning(lcLive,
                  "Pub/Sub: no word from %s for %d s; its unflushed votes are no longer shown",
                  qPrintable(source), SourceExpiryMs / 1000);
}

void PubSubBridge::publishPollEvent(const QString &type, const QJsonObject &poll)
{
    const QString id = poll.value(QStringLiteral("id")).toString();
    m_storage->publishOn(m_storage->shardNameOf(id), Channel,
                         compact({{QStringLiteral("source"), m_source},
                                  {QStringLiteral("event"), type},
                                  {QStringLiteral("poll"), poll}}));
}

void PubSubBridge::onMessage(const QByteArray &payload)
{
    const QJsonObject message = QJsonDocument::fromJson(payload).object();
    const QString source = message.value(QStringLiteral("source")).toString();
    if (source.isEmpty() || source == m_source || m_retired.contains(source))
        return;
    // A new run of an instance takes over what its killed predecessor journaled.
    QString retires = message.value(QStringLiteral("retires")).toString();
    if (retires == m_source || retires == source || !sameInstance(source, retires))
        retires.clear();
    else
        m_retired.insert(retires, m_ledger->nowMs());
    m_ledger->touchRemoteSource(source);
    const QJsonObject accepted = message.value(QStringLiteral("accepted")).toObject();
    for (auto it = accepted.constBegin(); it != accepted.constEnd(); ++it) {
        OptionCounts counts;
        for (const QJsonValue &value : it.value().toArray())
            counts.append(value.toInteger());
        m_ledger->setRemoteAccepted(source, it.key(), counts, retires);
    }
    if (const QJsonValue reset = message.value(QStringLiteral("reset")); reset.isObject()) {
        m_storage->onResetMessage(reset.toObject());
        return;
    }
    const QString event = message.value(QStringLiteral("event")).toString();
    if (event.isEmpty())
        return;
    const QJsonObject pollJson = message.value(QStringLiteral("poll")).toObject();
    if (event == u"poll_deleted") {
        const QString id = pollJson.value(QStringLiteral("id")).toString();
        if (m_catalog->remove(id)) {
            m_ledger->forget(id);
            Q_EMIT remotePollEvent(event, pollJson);
        }
    } else if (std::optional<Poll> poll = Poll::fromJson(pollJson)) {
        // A shard not reached yet loads its polls when it is; until then its polls
        // cannot take votes here.
        if (!poll->shard.isEmpty() && !m_storage->isShardReady(poll->shard))
            return;
        // A reset of this instance in progress publishes the poll itself when it ends.
        if (const PollCatalog::Snapshot known = m_catalog->snapshot(poll->id);
            known && known->resetting)
            return;
        // Where a known poll lives is learned from the shards (a move's records), not
        // from events: keep this instance's view of it.
        if (const std::optional<Poll> known = m_catalog->find(poll->id)) {
            poll->shard = known->shard;
            poll->placement = known->placement;
        }
        m_catalog->upsert(*poll);
        Q_EMIT remotePollEvent(event, pollJson);
    }
}
