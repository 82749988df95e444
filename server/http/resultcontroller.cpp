#include "resultcontroller.h"
#include "core/config.h"
#include "core/pollcatalog.h"
#include "pollcontroller.h"
#include "core/voteledger.h"
#include "storage/storageengine.h"

void ResultController::registerRoutes(Router &router, const QString &prefix)
{
    router.add(Router::Method::Get, prefix + QStringLiteral("/results/{poll_id}"),
               [this](const HttpExchange &e, const QStringList &p) { results(e, p[0]); }, Router::Budget::Reads);
}

QJsonObject ResultController::resultsJson(const QString &pollId, const OptionCounts &counts,
                                          int optionCount, const QString &servedVia, qint64 voters)
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
            {QStringLiteral("voters"), voters < 0 ? total : voters},
            {QStringLiteral("served_via"), servedVia}};
}

std::optional<TallyError> ResultController::hiddenFrom(const HttpExchange &exchange, const Poll &poll,
                                                       const QString &adminToken)
{
    if (poll.resultsVisible() || !PollController::checkAdmin(exchange, adminToken))
        return std::nullopt;
    return TallyError{TallyError::Kind::Forbidden, QStringLiteral("results_hidden"),
                      poll.visibility == Poll::Visibility::AfterClose
                          ? QStringLiteral("The results of poll '%1' are shown once it closes.").arg(poll.id)
                          : QStringLiteral("The results of poll '%1' are hidden until they are revealed.")
                                .arg(poll.id)};
}

void ResultController::results(const HttpExchange &exchange, const QString &pollId) const
{
    const PollCatalog::Snapshot poll = m_scope.server.catalog->snapshot(pollId);
    if (!poll) {
        exchange.replyError(TallyError::pollNotFound(pollId.left(Poll::MaxIdLength)));
        return;
    }
    if (const std::optional<TallyError> hidden = hiddenFrom(exchange, *poll, m_scope.server.config->adminToken())) {
        exchange.replyError(*hidden);
        return;
    }
    const int optionCount = int(poll->options.size());
    if (const std::optional<OptionCounts> cached =
            m_scope.server.ledger->readCached(poll->countKey(), optionCount)) {
        exchange.replyJson(HttpExchange::Status::Ok, resultsJson(pollId, *cached, optionCount,
                                                                 QStringLiteral("app_cache"), poll->voters(*cached)));
        return;
    }
    using Read = Outcome<StorageEngine::ResultRead>;
    m_scope.server.storage->readResults(
        pollId, m_scope.onWorker<Read>([exchange, pollId, poll](Read read) {
            // The storage thread read the poll as it is there; its option count goes with
            // the counts it read.
            if (read)
                exchange.replyJson(HttpExchange::Status::Ok,
                                   resultsJson(pollId, read.value().counts, read.value().optionCount,
                                               read.value().servedVia, poll->voters(read.value().counts)));
            else
                exchange.replyError(read.error());
        }));
}
