#include "shardcontroller.h"
#include "core/config.h"
#include "jsonbody.h"
#include "pollcontroller.h"
#include "storage/storageengine.h"

void ShardController::registerRoutes(Router &router, const QString &prefix)
{
    router.add(
        Router::Method::Post, prefix + QStringLiteral("/shards/rebalance"),
        [this](const HttpExchange &e, const QStringList &) { rebalance(e); },
        Router::Budget::Admin);
}

QJsonObject ShardController::rebalanceJson(const Rebalancer::Progress &progress)
{
    QJsonObject targets;
    for (auto it = progress.toMoveByShard.cbegin(); it != progress.toMoveByShard.cend(); ++it)
        targets.insert(it.key(), it.value());
    QJsonObject json{{QStringLiteral("state"), progress.state},
                     {QStringLiteral("dry_run"), progress.dryRun},
                     {QStringLiteral("polls_to_move"), progress.toMove},
                     {QStringLiteral("polls_moved"), progress.moved},
                     {QStringLiteral("polls_failed"), progress.failed},
                     {QStringLiteral("polls_deleted_meanwhile"), progress.skipped},
                     {QStringLiteral("votes_moved"), progress.votesMoved},
                     {QStringLiteral("to_shards"), targets}};
    if (progress.startedAt.isValid())
        json.insert(QStringLiteral("started_at"), progress.startedAt.toString(Qt::ISODateWithMs));
    if (progress.finishedAt.isValid())
        json.insert(QStringLiteral("finished_at"), progress.finishedAt.toString(Qt::ISODateWithMs));
    if (!progress.lastError.isEmpty())
        json.insert(QStringLiteral("last_error"), progress.lastError);
    return json;
}

void ShardController::rebalance(const HttpExchange &exchange) const
{
    if (const std::optional<TallyError> error =
            PollController::checkAdmin(exchange, m_scope.server.config->adminToken())) {
        exchange.replyError(*error);
        return;
    }
    // The body is optional: {"dry_run": true} only plans.
    bool dryRun = false;
    if (!exchange.body().isEmpty()) {
        const Outcome<QJsonObject> body =
            JsonBody::parse(exchange, m_scope.server.config->maxBodyBytes());
        if (!body) {
            exchange.replyError(body.error());
            return;
        }
        for (auto it = body.value().constBegin(); it != body.value().constEnd(); ++it) {
            if (it.key() != u"dry_run") {
                exchange.replyError(TallyError::invalid(
                    QStringLiteral("invalid_field"),
                    QStringLiteral("Unknown field '%1'; the only field is 'dry_run'.")
                        .arg(it.key().left(64))));
                return;
            }
            if (!it.value().isBool()) {
                exchange.replyError(
                    TallyError::invalid(QStringLiteral("invalid_field"),
                                        QStringLiteral("'dry_run' must be true or false.")));
                return;
            }
            dryRun = it.value().toBool();
        }
    }
    m_scope.server.storage->rebalance(
        dryRun, m_scope.onWorker<Outcome<Rebalancer::Progress>>(
                    [exchange, dryRun](Outcome<Rebalancer::Progress> started) {
                        if (!started) {
                            exchange.replyError(started.error());
                            return;
                        }
                        exchange.replyJson(dryRun ? HttpExchange::Status::Ok
                                                  : HttpExchange::Status::Accepted,
                                           rebalanceJson(started.value()));
                    }));
}
