#include "rebalancerun.h"
#include "storage/storageengine.h"
#include "tallyserver.h"

#include <QTimer>
#include <cstdio>

RebalanceRun::RebalanceRun(const Config &config, QObject *parent)
    : QObject(parent), m_server(new TallyServer(config, this)), m_progressTimer(new QTimer(this))
{
    m_progressTimer->setInterval(1000);
    connect(m_progressTimer, &QTimer::timeout, this, &RebalanceRun::report);
    connect(m_server, &TallyServer::started, this, &RebalanceRun::begin);
    connect(m_server, &TallyServer::failed, this, [this](const QString &reason) {
        std::fprintf(stderr, "tally: %s\n", qPrintable(reason));
        Q_EMIT finished(2);
    });
    connect(m_server, &TallyServer::stopped, this, [this] { Q_EMIT finished(m_exitCode); });
}

void RebalanceRun::start()
{
    m_server->start();
}

void RebalanceRun::begin()
{
    StorageEngine *storage = m_server->storage();
    connect(
        storage, &StorageEngine::rebalanceFinished, this,
        [this] {
            report();
            const Rebalancer::Progress progress = m_server->storage()->rebalanceProgress();
            end(progress.failed > 0 ? 1 : 0);
        },
        Qt::QueuedConnection);
    storage->rebalance(false, [this](Outcome<Rebalancer::Progress> started) {
        QMetaObject::invokeMethod(this, [this, started] {
            if (!started) {
                std::fprintf(stderr, "tally: %s\n", qPrintable(started.error().message));
                end(2);
                return;
            }
            std::printf("Rebalance: %d poll(s) to move\n", started.value().toMove);
            std::fflush(stdout);
            m_progressTimer->start();
            // Nothing to move: the engine has already said so.
            if (started.value().state != u"running") {
                report();
                end(started.value().failed > 0 ? 1 : 0);
            }
        });
    });
}

void RebalanceRun::report()
{
    const Rebalancer::Progress progress = m_server->storage()->rebalanceProgress();
    std::printf("Rebalance %s: %d of %d poll(s) moved, %d failed\n", qPrintable(progress.state),
                progress.moved, progress.toMove, progress.failed);
    if (!progress.lastError.isEmpty() && progress.failed > 0)
        std::printf("  last error: %s\n", qPrintable(progress.lastError));
    std::fflush(stdout);
}

void RebalanceRun::end(int exitCode)
{
    if (m_ending)
        return;
    m_ending = true;
    m_exitCode = exitCode;
    m_progressTimer->stop();
    // Stopping flushes what this instance accepted (nothing, unless votes came to it).
    m_server->stop();
}
