#pragma once

#include "core/config.h"

#include "core/votecounts.h"

#include <QElapsedTimer>
#include <QHash>
#include <QJsonObject>
#include <QObject>
#include <vector>

class PollCatalog;
class RedisConnection;
class StorageEngine;
class VoteLedger;
class QTimer;

// Keeps instances that share Redis shards consistent, on the storage thread.
// Every live interval it publishes, on channel `tally:events` of each poll's shard,
// the votes this run has accepted for the polls that changed; poll lifecycle events
// go the same way. It subscribes to the channel on every node through dedicated
// connections (reconnected with backoff) and merges what others publish into the
// VoteLedger and the catalog. Sources silent for 10 s are forgotten.
//
// Pub/Sub delivers at most once: a message published while a subscriber reconnects, or
// dropped by Redis (a slow subscriber over its output buffer limit), is gone. So every
// heartbeat also repeats the accepted counts of the polls that changed in the last
// 10 s (they only grow, so a repeat is harmless), which bounds how long a missed
// message leaves others stale. A subscription counts only once Redis confirms it
// (/ready says so), and one that hears nothing, not even this instance's own
// heartbeat, for three heartbeats while its node is up is half-open: it is dropped
// and made again.
//
// A run killed with votes only in its journal is followed by the instance's next run,
// which replays those votes and counts them as its own. The next run names its
// predecessor (recorded in `<data-dir>/pubsub-source`) in what it publishes for its first
// seconds, and others drop the predecessor's counts of a poll in the same step that takes
// the new run's counts of it: the replayed votes are never counted twice, and nothing
// goes backwards in between.
class PubSubBridge : public QObject {
    Q_OBJECT
public:
    static constexpr char Channel[] = "tally:events";

    PubSubBridge(const Config &config, StorageEngine *storage, VoteLedger *ledger,
                 PollCatalog *catalog, QObject *parent = nullptr);

    void start();
    // Storage thread: a poll changed here; tell the others.
    void publishPollEvent(const QString &type, const QJsonObject &poll);

Q_SIGNALS:
    // Storage thread: a poll changed on another instance (and in the catalog here).
    void remotePollEvent(const QString &type, const QJsonObject &poll);

private:
    struct Subscriber {
        QString name; // the shard's name
        QString host;
        quint16 port = 0;
        bool monitored = false; // Sentinel: host and port follow the shard's master
        RedisConnection *connection = nullptr;
        int failures = 0;
        QTimer *retry = nullptr;
        bool subscribed = false;
        QElapsedTimer lastHeard; // since the last message or the confirmation
    };
    void connectNode(Subscriber *node);
    void publishAccepted();
    void publishHeartbeat();
    void publishCounts(const PollCounts &accepted);
    void republishRecent();
    void checkSubscribers();
    void onMessage(const QByteArray &payload);
    QString takeOverPreviousRun();
    QJsonObject envelope() const;

    Config m_config;
    StorageEngine *m_storage;
    VoteLedger *m_ledger;
    PollCatalog *m_catalog;
    QString m_source;
    std::vector<std::unique_ptr<Subscriber>> m_nodes;
    QHash<QString, qint64> m_recentlyChanged; // poll id -> when its accepted counts last changed
    QString m_predecessor;                    // this instance's previous run, named while announced
    QElapsedTimer m_sinceStart;
    QHash<QString, qint64> m_retired; // runs others retired -> when heard; their messages are stale
};
