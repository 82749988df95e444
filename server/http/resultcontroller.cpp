#include "resultcontroller.h"
#include "core/pollcatalog.h"
#include "core/voteledger.h"
#include "storage/storageengine.h"

void ResultController::registerRoutes(Router &router, const QString &prefix)
{
    router.add(
        Router::Method::Get, prefix + QStringLiteral("/results/{poll_id}"),
        [this](const HttpExchange &e, const QStringList &p) { results(e, p[0]); },
        Router::Access::Reads);
}

QJsonObject ResultController::resultsJson(const QString &pollId, const OptionCounts &counts,
                                          int optionCount, const QString &servedVia)
{
    QJsonObject results;
    qint64 total = 0;
    for (int i = 0; i < optionCount; ++i) {
        const qint64 votes = i < counts.size() ? counts[i] : 0;
        results.insert(Poll::optionId(i), votes);
        total += votes;
    }
    return {{QStringLiteral("poll_id"), pollId},
            {QStringLiteral("results"), results},
            {QStringLiteral("total"), total},
            {QStringLiteral("served_via"), servedVia}};
}

void ResultController::results(const HttpExchange &exchange, const QString &pollId) const
{
    const PollCatalog::Snapshot poll = m_scope.server.catalog->snapshot(pollId);
    if (!poll) {
        exchange.replyError(TallyError::pollNotFound(pollId.left(Poll::MaxIdLength)));
        return;
    }
    const int optionCount = int(poll->options.size());
    if (const std::optional<OptionCounts> cached = m_scope.server.ledger->readCached(pollId, optionCount)) {
        exchange.replyJson(HttpExchange::Status::Ok,
                           resultsJson(pollId, *cached, optionCount, QStringLiteral("app_cache")));
        return;
    }
    using Read = Outcome<StorageEngine::ResultRead>;
    m_scope.server.storage->readResults(
        pollId, m_scope.onWorker<Read>([exchange, pollId](Read read) {
            // The storage thread read the poll as it is there; its option count goes with
            // the counts it read.
            if (read)
                exchange.replyJson(HttpExchange::Status::Ok,
                                   resultsJson(pollId, read.value().counts, read.value().optionCount,
                                               read.value().servedVia));
            else
                exchange.replyError(read.error());
        }));
}
