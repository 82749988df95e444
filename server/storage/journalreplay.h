#pragma once

#include "core/outcome.h"
#include "journal.h"

#include <QHash>
#include <functional>

struct ServerStats;

// The journal read back at start: the votes the shards' applied sequences show missing
// (docs/architecture.md, "Durability"), with what was read, skipped or found damaged logged
// and the replayed votes counted as recovered.
class JournalReplay {
public:
    struct Routing {
        std::function<QString(const QString &countKey)> shardOf;
        // Whether the count key belongs to a poll in its current generation.
        std::function<bool(const QString &countKey)> isCurrent;
        Journal::MovedFromLookup movedFrom;
    };

    JournalReplay(Journal &journal, ServerStats &stats, Routing routing);

    // Reads the files up to `upToEpoch`; `applied`: each shard's applied sequence.
    Outcome<Journal::Recovery> run(const QHash<QString, quint64> &applied, quint64 upToEpoch);

private:
    Journal &m_journal;
    ServerStats &m_stats;
    Routing m_routing;
};
