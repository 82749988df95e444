#include "flushepochs.h"
#include "core/serverstats.h"
#include "journal.h"

#include <QTimer>

FlushEpochs::FlushEpochs(Journal *journal, ServerStats &stats, QObject *parent)
    : QObject(parent), m_journal(journal), m_stats(stats)
{
}

void FlushEpochs::begin(quint64 epoch, int batches)
{
    if (batches == 0 && !m_journal)
        return;
    Record &record = m_records[epoch];
    record.timer.start();
    record.remainingBatches = batches;
}

void FlushEpochs::seal(quint64 epoch, const QHash<QString, quint64> &manifest,
                       std::function<void()> sealed)
{
    if (const auto record = m_records.find(epoch); record != m_records.end())
        record->manifest = manifest;
    ++m_pendingSeals;
    m_journal->seal(epoch, manifest, this, [this, epoch, manifest, sealed](bool ok) {
        if (!ok) {
            // Still owed; retried shortly.
            QTimer::singleShot(1000, this, [this, epoch, manifest, sealed] {
                --m_pendingSeals;
                seal(epoch, manifest, sealed);
            });
            return;
        }
        --m_pendingSeals;
        const auto record = m_records.find(epoch);
        if (record != m_records.end() && record->remainingBatches == 0) {
            m_records.erase(record);
            m_journal->discard(epoch);
        }
        sealed();
    });
}

void FlushEpochs::batchStored(quint64 epoch)
{
    const auto record = m_records.find(epoch);
    if (record == m_records.end() || --record->remainingBatches > 0)
        return;
    m_stats.lastFlushMicros.storeRelaxed(quint64(record->timer.nsecsElapsed() / 1000));
    m_stats.flushDuration.observe(quint64(record->timer.nsecsElapsed()));
    m_records.erase(record);
    // Every vote of that epoch is in its shards now: its journal file can go.
    if (m_journal)
        m_journal->discard(epoch);
}

void FlushEpochs::extend(quint64 epoch, int batches, const QHash<QString, quint64> &entries,
                         std::function<void()> sealed)
{
    const auto record = m_records.find(epoch);
    if (record == m_records.end()) {
        sealed();
        return;
    }
    record->remainingBatches += batches;
    if (!m_journal) {
        sealed();
        return;
    }
    QHash<QString, quint64> manifest = record->manifest;
    manifest.insert(entries);
    seal(epoch, manifest, std::move(sealed));
}
