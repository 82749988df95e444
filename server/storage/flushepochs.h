#pragma once

#include <QElapsedTimer>
#include <QHash>
#include <QObject>
#include <functional>

class Journal;
struct ServerStats;

// The flushes on their way, on the storage thread. A flush id doubles as the journal
// epoch of the votes it took: the epoch's manifest (the batch sequence per shard) is
// sealed before any of its batches goes out, and once every batch is stored (applied,
// and on enough replicas when replicas are required) its journal file is deleted.
class FlushEpochs : public QObject {
    Q_OBJECT
public:
    FlushEpochs(Journal *journal, ServerStats &stats, QObject *parent = nullptr);

    // A flush of `batches` batches begins.
    void begin(quint64 epoch, int batches);
    // Writes the epoch's manifest; `sealed` runs once it is on disk (a failed write is
    // retried every second).
    void seal(quint64 epoch, const QHash<QString, quint64> &manifest, std::function<void()> sealed);
    void batchStored(quint64 epoch);
    // Votes of a batch of the epoch went to other shards (their polls moved) as
    // `batches` more batches, listed by `entries` (Journal::manifestKey -> sequence):
    // the manifest is sealed again with them, and `sealed` runs once it is on disk.
    void extend(quint64 epoch, int batches, const QHash<QString, quint64> &entries,
                std::function<void()> sealed);
    int pendingSeals() const { return m_pendingSeals; }

private:
    struct Record {
        int remainingBatches = 0;
        QElapsedTimer timer;
        QHash<QString, quint64> manifest; // as sealed
    };

    Journal *m_journal; // optional, outlives this object
    ServerStats &m_stats;
    QHash<quint64, Record> m_records;
    int m_pendingSeals = 0;
};
