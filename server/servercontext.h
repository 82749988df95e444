#pragma once

class Config;
class PollCatalog;
class VoteLedger;
class StorageEngine;
class LiveFeed;
class Journal;
class RequestGuard;
class ConnectionTracker;
struct ServerStats;

// What every HTTP worker shares; owned by TallyServer, which outlives the workers.
struct ServerContext {
    const Config *config = nullptr;
    PollCatalog *catalog = nullptr;
    VoteLedger *ledger = nullptr;
    StorageEngine *storage = nullptr;
    ServerStats *stats = nullptr;
    LiveFeed *live = nullptr;
    Journal *journal = nullptr; // null when votes are not journaled
    RequestGuard *guard = nullptr;
    ConnectionTracker *connections = nullptr;
};
