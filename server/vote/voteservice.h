#pragma once

#include "core/outcome.h"
#include "core/pollcatalog.h"
#include "core/requestparser.h"

#include <QList>
#include <QObject>
#include <functional>

class Config;
class DurableGate;
class Journal;
class StorageEngine;
class VoteBudget;
class VoteLedger;
struct ServerStats;

// The one path every vote takes, whatever carried it (REST single, REST bulk,
// WebSocket). In order: the client's vote budget (one token per vote), reading the
// vote, judging it against one snapshot of its poll (exists, open, option, voter
// rules), backpressure, the voter claim of a one-vote-per-voter poll, then counting
// it (journal record and worker buffer, atomically with respect to poll changes) and
// waiting until it is durable. Everything that can refuse a vote is checked before
// its voter is claimed, and a claim is released when the vote is refused after all,
// so a refused vote never uses up its voter.
//
// One instance per HTTP worker, used on that worker's thread.
class VoteService {
public:
    using Done = std::function<void(Outcome<int>)>;
    using Reader = std::function<Outcome<VoteRequest>()>;

    struct BulkResult {
        QList<Outcome<VoteRequest>> items; // as read
        QList<Outcome<int>> outcomes;      // one per item: the option index or the refusal
        int accepted = 0;
        int retryAfterSeconds = 0; // > 0 when items were refused for the client's budget
    };
    using BulkDone = std::function<void(Outcome<BulkResult>)>;

    static constexpr int MaxBulkVotes = Protocol::MaxBulkVotes;
    // Largest bulk body: MaxBulkVotes items of the longest plain form (64-character poll
    // id, one-letter option, 128-character voter id: 238 bytes with a separator; 61 more
    // as "option_ids" naming all ten options) with room for whitespace, plus the envelope.
    static constexpr int MaxBulkItemBytes = 320;
    static constexpr int BulkBodyBytes = MaxBulkVotes * MaxBulkItemBytes + 4096;
    // Body limit of the bulk route: BulkBodyBytes, or --max-body when that is larger.
    static qint64 bulkBodyBytes(const Config &config);

    // `journal` is null when votes are not journaled; `budget` null when unlimited.
    // `thread` is the worker's thread object, `durable` its acknowledgement gate.
    VoteService(const Config &config, const PollCatalog &catalog, VoteLedger &ledger,
                StorageEngine &storage, ServerStats &stats, Journal *journal, VoteBudget *budget,
                int workerIndex, QObject *thread, DurableGate *durable);

    // One vote from `client`. `read` runs only when the client's budget allowed the
    // vote; it turns what the transport received into a vote or the reason it is none.
    void cast(const QString &client, const Reader &read, Done done) const;

    // Votes of `client` that arrived together (pipelined WebSocket messages), each as
    // read: as many cast() calls in a row, with one budget take, and the acknowledgements
    // of the votes counted here released together once the last of them is durable.
    // `each` runs once per vote with its index, in order among those refused at once
    // and among those acknowledged together.
    using EachDone = std::function<void(qsizetype index, Outcome<int>)>;
    void castEach(const QString &client, const QList<VoteRequest> &votes, EachDone each) const;

    // A bulk request from `client`: `items` is the list of votes as read, or why the
    // request holds none. Costs one token per item (at least one per request): when no
    // token is left the whole request is refused (rate_limited); when some are, the
    // items beyond them are refused one by one with rate_limited and the rest counted.
    // One-vote-per-voter polls take no bulk votes (their voters are checked one by one).
    void castBulk(const QString &client, const Outcome<QList<Outcome<VoteRequest>>> &items,
                  BulkDone done) const;

private:
    // Where a vote stands with its voter, for a one-vote-per-voter poll.
    enum class VoterClaim {
        Refused, // bulk: such polls take no votes here
        Needed,  // not claimed yet: judge the vote, do not count it
        Held     // claimed: judge and count
    };
    struct Recorded {
        Outcome<int> outcome;
        bool needsClaim = false;
        quint64 journalSequence = 0;
        quint32 generation = 0; // of the poll judged, when a claim is needed
    };
    static TallyError resetting(const QString &pollId);
    // Judges `vote` against `poll`: poll, status, option, voter rules, backpressure.
    Outcome<int> judge(const PollCatalog::Snapshot &poll, const VoteRequest &vote) const;
    // Judges the vote against the poll as it is now and, when it passes (and needs no
    // claim first), counts it: one catalog look-up, under the catalog's read lock.
    Recorded record(const VoteRequest &vote, VoterClaim claim) const;
    void claimThenRecord(const VoteRequest &vote, Done done) const;
    void acknowledge(quint64 journalSequence, const Outcome<int> &outcome, Done done) const;
    // Counts every refusal (other than the budget's) once.
    Done counted(Done done) const;

    const Config &m_config;
    const PollCatalog &m_catalog;
    VoteLedger &m_ledger;
    StorageEngine &m_storage;
    ServerStats &m_stats;
    Journal *m_journal;
    VoteBudget *m_budget;
    int m_workerIndex;
    QObject *m_thread;
    DurableGate *m_durable;
    // Read once: settings are fixed once workers exist, and a lookup by name per vote
    // showed up in profiles.
    qint64 m_maxPendingVotes;
    qint64 m_batchMaxVotes;
};
