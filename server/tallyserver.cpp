#include "tallyserver.h"
#include "admintoken.h"
#include "core/logcategories.h"
#include "core/pollcatalog.h"
#include "core/serverstats.h"
#include "core/voteledger.h"
#include "guard/connectiontracker.h"
#include "guard/requestguard.h"
#include "http/httpworker.h"
#include "http/listensocket.h"
#include "http/portlock.h"
#include "live/livefeed.h"
#include "stats/statsmodel.h"
#include "storage/journal.h"
#include "storage/pubsubbridge.h"
#include "storage/storageengine.h"
#include "vote/resultservice.h"

#include <QDir>
#include <QFile>
#include <QHostAddress>
#include <QNetworkInterface>
#include <QRandomGenerator>
#include <QThread>
#include <QTimer>
#include <cstdio>

TallyServer::TallyServer(const Config &config, QObject *parent) : QObject(parent), m_config(config)
{
}

TallyServer::~TallyServer()
{
    if (m_journal)
        m_journal->stop();
    for (QThread *thread : m_workerThreads) {
        thread->quit();
        thread->wait();
    }
    if (m_storageThread) {
        m_storageThread->quit();
        m_storageThread->wait();
    }
    for (int fd : m_sockets)
        ListenSocket::close(fd);
}

QString TallyServer::resolveInstanceId(QString *error) const
{
    if (!m_config.instanceId().isEmpty())
        return m_config.instanceId();
    // Kept in the data directory so a restart continues the same flush sequences.
    QFile file(QDir(m_config.dataDir()).filePath(QStringLiteral("instance-id")));
    if (file.open(QIODevice::ReadOnly)) {
        const QString id = QString::fromUtf8(file.readAll()).trimmed();
        if (!id.isEmpty())
            return id;
        file.close();
    }
    const QString id = QStringLiteral("tally-%1")
                           .arg(QRandomGenerator::global()->generate64(), 16, 16, QLatin1Char('0'));
    if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) ||
        file.write(id.toUtf8() + '\n') < 0) {
        *error = QStringLiteral("cannot write %1: %2").arg(file.fileName(), file.errorString());
        return {};
    }
    return id;
}

bool TallyServer::ensureAdminToken(QString *error)
{
    const Outcome<AdminToken::Resolved> resolved = AdminToken::resolve(m_config);
    if (!resolved) {
        *error = resolved.error().message;
        return false;
    }
    if (resolved.value().file.isEmpty())
        return true;
    m_config.setAdminToken(resolved.value().token);
    std::fprintf(stderr, "tally: no --admin-token given: admin calls need the token in %s%s\n",
                 qPrintable(resolved.value().file),
                 resolved.value().generated ? " (just generated)" : "");
    return true;
}

bool TallyServer::fail(Failure kind, QString *error, const QString &message)
{
    m_failure = kind;
    *error = message;
    return false;
}

QUrl TallyServer::runningUrl(const QString &dataDir)
{
    QFile file(QDir(dataDir).filePath(QStringLiteral("tally.url")));
    if (!file.open(QIODevice::ReadOnly))
        return {};
    const QUrl url(QString::fromUtf8(file.readAll()).trimmed());
    return url.isValid() && url.scheme() == u"http" ? url : QUrl();
}

bool TallyServer::prepare(QString *error)
{
    const QString dataDir = m_config.dataDir();
    if (!QDir().mkpath(dataDir))
        return fail(Failure::DataDirUnwritable, error,
                    QStringLiteral("cannot create the data directory %1").arg(dataDir));
    m_dataLock =
        std::make_unique<ProcessLock>(QDir(dataDir).filePath(QStringLiteral("tally.lock")));
    switch (m_dataLock->tryLock()) {
    case ProcessLock::Result::Acquired:
        break;
    case ProcessLock::Result::Failed:
        return fail(Failure::DataDirUnwritable, error,
                    QStringLiteral("cannot write to the data directory %1 (%2)")
                        .arg(dataDir, m_dataLock->errorString()));
    case ProcessLock::Result::Held:
        m_otherPid = m_dataLock->holderPid();
        return fail(
            Failure::DataDirLocked, error,
            QStringLiteral("another Tally%1 is already using the data directory %2; "
                           "stop it or choose another --data-dir")
                .arg(m_otherPid > 0 ? QStringLiteral(" (pid %1)").arg(m_otherPid) : QString(),
                     dataDir));
    }
    m_instanceId = resolveInstanceId(error);
    if (m_instanceId.isEmpty()) {
        m_failure = Failure::DataDirUnwritable;
        return false;
    }
    if (!ensureAdminToken(error)) {
        m_failure = Failure::DataDirUnwritable;
        return false;
    }

    // SO_REUSEPORT would let a second instance share the address silently: a lock per
    // address and port makes that a clear error instead.
    const Outcome<int> first = ListenSocket::open(m_config.bindAddress(), m_config.port());
    if (!first)
        return fail(first.error().code == u"address_in_use" ? Failure::PortInUse : Failure::Other,
                    error, first.error().message);
    m_sockets.push_back(first.value());
    const quint16 port = ListenSocket::boundPort(first.value());
    m_portLock = std::make_unique<PortLock>();
    if (!m_portLock->acquire(Config::parseBindAddress(m_config.bindAddress()).value(), port, error,
                             &m_otherPid)) {
        m_failure = Failure::PortTakenByTally;
        return false;
    }
    for (int i = 1; i < m_config.workers(); ++i) {
        const Outcome<int> socket = ListenSocket::open(m_config.bindAddress(), port);
        if (!socket)
            return fail(Failure::Other, error, socket.error().message);
        m_sockets.push_back(socket.value());
    }
    QString host = m_config.bindAddress();
    if (host == u"0.0.0.0" || host == u"*")
        host = QStringLiteral("127.0.0.1");
    m_url.setScheme(QStringLiteral("http"));
    m_url.setHost(host);
    m_url.setPort(port);
    if (m_config.publicUrl().isEmpty())
        m_config.setPublicUrl(defaultPublicUrl(port));
    return true;
}

QString TallyServer::defaultPublicUrl(quint16 port) const
{
    // Listening on every address: the audience is on the network, so offer the first
    // address others can reach rather than loopback.
    const QHostAddress bind(m_config.bindAddress());
    QUrl url = m_url;
    if (bind == QHostAddress::AnyIPv4 || bind == QHostAddress::AnyIPv6 ||
        bind == QHostAddress::Any || m_config.bindAddress() == u"*") {
        for (const QHostAddress &address : QNetworkInterface::allAddresses()) {
            if (address.protocol() == QAbstractSocket::IPv4Protocol && !address.isLoopback() &&
                !address.isLinkLocal()) {
                url.setHost(address.toString());
                break;
            }
        }
    }
    url.setPort(port);
    return url.toString(QUrl::StripTrailingSlash);
}

void TallyServer::start()
{
    QString error;
    if (!prepare(&error)) {
        QTimer::singleShot(0, this, [this, error] { Q_EMIT failed(error); });
        return;
    }
    m_catalog = std::make_unique<PollCatalog>();
    m_ledger = std::make_unique<VoteLedger>(m_config.workers(), m_config.cacheTtlMs(),
                                            m_config.cacheEntries());
    m_stats = std::make_unique<ServerStats>();
    m_journal = std::make_unique<Journal>(
        QDir(m_config.dataDir()).filePath(QStringLiteral("journal")),
        m_config.syncDurability() ? Journal::Mode::Sync : Journal::Mode::Async, m_ledger.get(),
        m_config.workers(), m_config.journalMaxBacklog());
    m_journal->setSyncHistogram(&m_stats->journalSyncDuration);
    m_storage =
        new StorageEngine(m_config, m_instanceId, *m_catalog, *m_ledger, *m_stats, m_journal.get());
    m_storageThread = new QThread(this);
    m_storageThread->setObjectName(QStringLiteral("tally-storage"));
    m_storage->moveToThread(m_storageThread);
    connect(m_storageThread, &QThread::finished, m_storage, &QObject::deleteLater);
    connect(m_storage, &StorageEngine::started, this, [this](bool ok, const QString &reason) {
        if (!ok) {
            m_failure = Failure::Storage;
            Q_EMIT failed(QStringLiteral("storage could not start: %1").arg(reason));
            return;
        }
        startWorkers();
    });
    connect(m_storage, &StorageEngine::drained, this, &TallyServer::finishStop);
    m_guard = std::make_unique<RequestGuard>(m_config);
    m_connections = std::make_unique<ConnectionTracker>(m_config.maxConnections(),
                                                        m_config.maxConnectionsPerClient());
    m_results = std::make_unique<ResultService>(*m_catalog, *m_ledger, *m_storage);
    m_statsModel = std::make_unique<StatsModel>(m_config, *m_catalog, *m_ledger, *m_storage,
                                                *m_stats, *m_guard, *m_connections);
    m_live = new LiveFeed(*m_results, *m_statsModel, *m_stats, m_config.liveIntervalMs());
    m_live->moveToThread(m_storageThread);
    connect(m_storageThread, &QThread::finished, m_live, &QObject::deleteLater);
    connect(m_storage, &StorageEngine::pollEvent, m_live, &LiveFeed::publishPollEvent);
    if (!m_config.redisNodes().isEmpty()) {
        m_bridge = new PubSubBridge(m_config, m_storage, m_ledger.get(), m_catalog.get());
        m_bridge->moveToThread(m_storageThread);
        connect(m_storageThread, &QThread::finished, m_bridge, &QObject::deleteLater);
        connect(m_storage, &StorageEngine::pollEvent, m_bridge, &PubSubBridge::publishPollEvent);
        connect(m_bridge, &PubSubBridge::remotePollEvent, m_live, &LiveFeed::publishPollEvent);
    }
    m_storageThread->start();
    m_storage->start();
    m_live->start();
    if (m_bridge)
        m_bridge->start();
}

void TallyServer::startWorkers()
{
    for (int i = 0; i < int(m_sockets.size()); ++i) {
        auto *thread = new QThread(this);
        thread->setObjectName(QStringLiteral("tally-http-%1").arg(i));
        const HttpWorker::Services services{m_config, *m_catalog,      *m_ledger,    *m_storage,
                                            *m_stats, m_journal.get(), *m_guard,     *m_connections,
                                            *m_live,  *m_results,      *m_statsModel};
        auto *worker = new HttpWorker(services, i, m_sockets[size_t(i)]);
        worker->moveToThread(thread);
        connect(thread, &QThread::finished, worker, &QObject::deleteLater);
        thread->start();
        QMetaObject::invokeMethod(worker, &HttpWorker::start, Qt::BlockingQueuedConnection);
        m_workers.push_back(worker);
        m_workerThreads.push_back(thread);
    }
    m_sockets.clear(); // the workers own them now
    m_storage->setWorkerThreads(QList<QObject *>(m_workers.cbegin(), m_workers.cend()));
    m_running = true;
    // Lets a later Tally on this data directory tell its user where this one listens.
    QFile urlFile(QDir(m_config.dataDir()).filePath(QStringLiteral("tally.url")));
    if (urlFile.open(QIODevice::WriteOnly | QIODevice::Truncate))
        urlFile.write(m_url.toString().toUtf8() + '\n');
    Q_EMIT started(m_url);
}

void TallyServer::stop()
{
    if (m_stopping)
        return;
    m_stopping = true;
    if (!m_running) {
        QTimer::singleShot(0, this, [this] { Q_EMIT stopped(); });
        return;
    }
    // Workers stop first, so no vote arrives after the final flush.
    for (HttpWorker *worker : m_workers)
        QMetaObject::invokeMethod(worker, &HttpWorker::stop, Qt::BlockingQueuedConnection);
    m_storage->drain();
    QTimer::singleShot(m_config.drainTimeoutMs(), this, [this] {
        if (m_running) {
            qCWarning(lcApp,
                      "Shutdown: storage did not take every pending vote within %.1f s (%lld still "
                      "pending)",
                      m_config.drainTimeoutMs() / 1000.0, m_ledger->pendingVotes());
            finishStop();
        }
    });
}

void TallyServer::finishStop()
{
    if (!m_running)
        return;
    m_running = false;
    // Everything is flushed: the journal's last cycle may still tell workers about
    // durable records, so it stops while they are alive.
    m_journal->stop();
    // The journal's last cycle is done: what it could not write exists nowhere else.
    m_votesLost = m_journal->backlog();
    if (m_votesLost > 0)
        qCritical("Shutdown: %lld accepted vote(s) are neither stored nor in the journal (%s: %s); "
                  "they are lost. What the journal holds is replayed at the next start.",
                  m_votesLost, qPrintable(m_journal->directory()),
                  qPrintable(m_journal->lastError()));
    else if (m_ledger->pendingVotes() > 0)
        qWarning("Shutdown: %lld vote(s) not yet stored are in the journal and are replayed at the "
                 "next start",
                 m_ledger->pendingVotes());
    for (QThread *thread : m_workerThreads) {
        thread->quit();
        thread->wait();
    }
    m_workerThreads.clear();
    m_workers.clear();
    m_storageThread->quit();
    m_storageThread->wait();
    m_storageThread = nullptr;
    Q_EMIT stopped();
}
