#include "resultcontroller.h"
#include "vote/resultservice.h"

void ResultController::registerRoutes(Router &router, const QString &prefix)
{
    router.add(Router::Method::Get, prefix + QStringLiteral("/results/{poll_id}"),
               [this](const HttpExchange &e, const QStringList &p) { results(e, p[0]); }, Router::Budget::Reads);
}

void ResultController::results(const HttpExchange &exchange, const QString &pollId) const
{
    m_results.read(pollId, m_thread, [exchange, pollId](Outcome<ResultService::Results> read) {
        if (read)
            exchange.replyJson(HttpExchange::Status::Ok, ResultService::json(pollId, read.value()));
        else
            exchange.replyError(read.error());
    });
}
