#pragma once

#include "core/outcome.h"
#include "core/pollcatalog.h"
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
        qint64 voters = -1;  // votes cast; -1 when the caller reads counts only
    };
    using Done = std::function<void(Outcome<Results>)>;

    ResultService(const PollCatalog &catalog, VoteLedger &ledger, StorageEngine &storage);

    // Results of `pollId`, as `poll` (looked up by the caller with poll(); null:
    // poll_not_found). From the cache `done` runs before read() returns; from a shard it
    // runs on the thread of `context` (the storage thread when null), unless `context` is
    // gone by then.
    void read(const QString &pollId, const PollCatalog::Snapshot &poll, QObject *context,
              Done done) const;

    // The parts of read(), for readers that judge the poll first or share shard reads
    // themselves (visibility checks, export, the live feed). The poll as it is now.
    PollCatalog::Snapshot poll(const QString &pollId) const;
    // Fresh cached counts of the poll's current reset generation plus pending votes;
    // `countStats` false keeps the read out of the cache hit ratio (reads nobody asked for).
    std::optional<OptionCounts> cached(const Poll &poll, bool countStats = true) const;
    // A read from the owning shard; `done` as for read().
    void readStored(const QString &pollId, QObject *context, Done done) const;

    // {"poll_id","results":{"A":n,...},"total","voters","served_via"}; options beyond the
    // counts read are 0; `voters` below 0 means as many as the total (single choice).
    static QJsonObject json(const QString &pollId, const OptionCounts &counts, int optionCount,
                            const QString &servedVia, qint64 voters = -1);
    static QJsonObject json(const QString &pollId, const Results &results)
    {
        return json(pollId, results.counts, results.optionCount, results.servedVia, results.voters);
    }

private:
    const PollCatalog &m_catalog;
    VoteLedger &m_ledger;
    StorageEngine &m_storage;
};
