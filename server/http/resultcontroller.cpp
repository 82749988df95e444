#include "resultcontroller.h"
#include "core/config.h"
#include "resultreply.h"
#include "routepolicy.h"
#include "vote/resultservice.h"

void ResultController::registerRoutes(Router &router, const QString &prefix)
{
    router.add(
        Router::Method::Get, prefix + QStringLiteral("/results/{poll_id}"),
        [this](const HttpExchange &e, const QStringList &p) { results(e, p[0]); },
        Router::Access::Reads);
}

std::optional<TallyError> ResultController::hiddenFrom(const HttpExchange &exchange,
                                                       const Poll &poll, const QString &adminToken)
{
    if (poll.resultsVisible() || !RoutePolicy::checkAdmin(exchange, adminToken))
        return std::nullopt;
    return TallyError{
        TallyError::Kind::Forbidden, QStringLiteral("results_hidden"),
        poll.visibility == Poll::Visibility::AfterClose
            ? QStringLiteral("The results of poll '%1' are shown once it closes.").arg(poll.id)
            : QStringLiteral("The results of poll '%1' are hidden until they are revealed.")
                  .arg(poll.id)};
}

void ResultController::results(const HttpExchange &exchange, const QString &pollId) const
{
    // One lookup for the visibility check and the read; the admin token is looked up only
    // for a poll whose results are not visible to all.
    const PollCatalog::Snapshot poll = m_results.poll(pollId);
    if (poll && !poll->resultsVisible()) {
        if (const std::optional<TallyError> hidden =
                hiddenFrom(exchange, *poll, m_config.adminToken())) {
            exchange.replyError(*hidden);
            return;
        }
    }
    const auto answer = [exchange, pollId](Outcome<ResultService::Results> read) {
        if (read)
            exchange.replyRaw(HttpExchange::Status::Ok, QByteArrayLiteral("application/json"),
                              ResultReply::encode(pollId, read.value()));
        else
            exchange.replyError(read.error());
    };
    m_results.read(pollId, poll, m_thread, answer);
}
