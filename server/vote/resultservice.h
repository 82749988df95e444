#pragma once

#include "core/outcome.h"
#include "core/votecounts.h"

#include <QJsonObject>
#include <QString>
#include <functional>
#include <optional>

class PollCatalog;
class QObject;
class StorageEngine;
class VoteLedger;

// The one way to read a poll's results, for every reader (REST, WebSocket snapshots,
// export): cached counts plus pending votes while the cache is fresh, otherwise a read
// from the owning shard on the storage thread. Reads are exact (docs/architecture.md,
// "Why reads are exact"); this class only decides where they come from and gives
// them their JSON shape. Thread-safe: every call may come from any thread.
class ResultService {
public:
    struct Results {
        OptionCounts counts;
        int optionCount = 0; // of the poll snapshot the counts were read for
        QString servedVia;   // app_cache, embedded:<shard>, redis:<shard>, stale_cache
    };
    using Done = std::function<void(Outcome<Results>)>;

    ResultService(const PollCatalog &catalog, VoteLedger &ledger, StorageEngine &storage);

    // Results of `pollId`, or poll_not_found. From the cache `done` runs before read()
    // returns; from a shard it runs on the thread of `context` (the storage thread
    // when null), unless `context` is gone by then.
    void read(const QString &pollId, QObject *context, Done done) const;

    // The parts of read(), for a reader that shares shard reads itself (the live feed).
    // Option count of the poll as it is now; -1 when there is no such poll.
    int optionCount(const QString &pollId) const;
    // Fresh cached counts plus pending votes; `countStats` false keeps the read out of
    // the cache hit ratio (reads nobody asked for).
    std::optional<OptionCounts> cached(const QString &pollId, int optionCount,
                                       bool countStats = true) const;
    // A read from the owning shard; `done` as for read().
    void readStored(const QString &pollId, QObject *context, Done done) const;

    // {"poll_id","results":{"A":n,...},"total","served_via"}; options beyond the counts
    // read are 0.
    static QJsonObject json(const QString &pollId, const OptionCounts &counts, int optionCount,
                            const QString &servedVia);
    static QJsonObject json(const QString &pollId, const Results &results)
    {
        return json(pollId, results.counts, results.optionCount, results.servedVia);
    }

private:
    const PollCatalog &m_catalog;
    VoteLedger &m_ledger;
    StorageEngine &m_storage;
};
