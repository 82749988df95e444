#pragma once

#include "core/config.h"

#include <QObject>
#include <QUrl>
#include <memory>
#include <vector>

class PortLock;
class ProcessLock;
class PollCatalog;
class VoteLedger;
class StorageEngine;
class LiveFeed;
class Journal;
class RequestGuard;
class ConnectionTracker;
class PubSubBridge;
class ResultService;
class StatsModel;
class HttpWorker;
class QThread;
struct ServerStats;

// The whole voting server: storage thread, HTTP workers and the state they share.
// Lives on the thread that creates it (the main thread); never serves requests there.
class TallyServer : public QObject {
    Q_OBJECT
public:
    // Why start() failed, so that a console can offer a way out that fits.
    enum class Failure {
        None,
        PortInUse,         // another program listens on the port
        PortTakenByTally,  // another Tally listens on the port
        DataDirLocked,     // another Tally uses the data directory
        DataDirUnwritable, // the data directory cannot be created or written
        Storage,           // the shards could not be loaded
        Other,
    };

    explicit TallyServer(const Config &config, QObject *parent = nullptr);
    ~TallyServer() override;

    // Starts asynchronously; emits started() once the shards are loaded and every
    // worker accepts, or failed() with a sentence for the operator.
    void start();
    // Stops accepting, flushes every pending vote, then emits stopped().
    void stop();

    QUrl url() const { return m_url; }
    QString instanceId() const { return m_instanceId; }
    QString dataDir() const { return m_config.dataDir(); }
    QString adminToken() const { return m_config.adminToken(); }
    const Config &config() const { return m_config; }
    Failure failure() const { return m_failure; }
    // After started(): the storage engine (it lives on the storage thread).
    StorageEngine *storage() const { return m_storage; }
    // The process id of the other Tally that holds the port or the data directory.
    qint64 otherPid() const { return m_otherPid; }

    // The address of the Tally running on `dataDir`, as it wrote it when it started
    // (empty when none wrote one). Only meaningful while that Tally holds the lock.
    static QUrl runningUrl(const QString &dataDir);
    // After stopped(): accepted votes that could be neither stored nor journaled.
    qint64 votesLost() const { return m_votesLost; }

Q_SIGNALS:
    void started(const QUrl &url);
    void failed(const QString &reason);
    void stopped();

private:
    bool prepare(QString *error);
    bool fail(Failure kind, QString *error, const QString &message);
    bool ensureAdminToken(QString *error);
    QString resolveInstanceId(QString *error) const;
    QString defaultPublicUrl(quint16 port) const;
    void startWorkers();
    void finishStop();

    Config m_config;
    QString m_instanceId;
    QUrl m_url;
    std::unique_ptr<ProcessLock> m_dataLock;
    std::unique_ptr<PortLock> m_portLock;
    std::unique_ptr<PollCatalog> m_catalog;
    std::unique_ptr<VoteLedger> m_ledger;
    std::unique_ptr<ServerStats> m_stats;
    std::unique_ptr<Journal> m_journal;
    std::unique_ptr<RequestGuard> m_guard;
    std::unique_ptr<ConnectionTracker> m_connections;
    std::unique_ptr<ResultService> m_results;
    std::unique_ptr<StatsModel> m_statsModel;
    StorageEngine *m_storage = nullptr; // lives on m_storageThread, deleted there
    LiveFeed *m_live = nullptr;         // likewise
    PubSubBridge *m_bridge = nullptr;   // likewise; only with Redis shards
    QThread *m_storageThread = nullptr;
    std::vector<int> m_sockets;
    std::vector<HttpWorker *> m_workers; // each lives on its own thread
    std::vector<QThread *> m_workerThreads;
    Failure m_failure = Failure::None;
    qint64 m_otherPid = 0;
    bool m_stopping = false;
    bool m_running = false;
    qint64 m_votesLost = 0;
};
