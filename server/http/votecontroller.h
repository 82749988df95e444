#pragma once

#include "core/outcome.h"
#include "core/requestparser.h"
#include "router.h"
#include "workerscope.h"

// The hot path: POST /vote/{poll_id} and POST /votes (bulk). A vote is validated
// against the catalog and added to this worker's buffer; storage happens later.
class VoteController {
public:
    explicit VoteController(const WorkerScope &scope) : m_scope(scope) {}
    void registerRoutes(Router &router, const QString &prefix);

    // Validates and buffers one vote (and its journal record); returns the option
    // index. `journalSequence` receives the record's sequence for DurableGate::after().
    Outcome<int> cast(const VoteRequest &vote, quint64 *journalSequence = nullptr) const;

    static constexpr int MaxBulkVotes = 1000;

    // Casts a vote, first recording its voter when the poll allows one vote per voter
    // (asynchronously, on the poll's shard); `done` runs on this worker's thread once
    // the vote is acknowledged (durable, in sync mode) or refused.
    void castChecked(const VoteRequest &vote, std::function<void(Outcome<int>)> done) const;

private:
    void vote(const HttpExchange &exchange, const QString &pollId) const;
    void bulk(const HttpExchange &exchange) const;

    WorkerScope m_scope;
};
