#include "shardcontroller.h"
#include "core/config.h"
#include "jsonbody.h"
#include "storage/storageengine.h"

void ShardController::registerRoutes(Router &router, const QString &prefix)
{
    router.add(
        Router::Method::Post, prefix + QStringLiteral("/shards/rebalance"),
        [this](const HttpExchange &e, const QStringList &) { rebalance(e); },
        Router::Access::Admin);
}

void ShardController::rebalance(const HttpExchange &exchange) const
{
    // The body is optional: {"dry_run": true} only plans.
    bool dryRun = false;
    if (!exchange.body().isEmpty()) {
        const Outcome<QJsonObject> body = JsonBody::parse(exchange, m_config.maxBodyBytes());
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
    m_storage.rebalance(dryRun, m_scope.onWorker<Outcome<Rebalancer::Progress>>(
                                    [exchange, dryRun](Outcome<Rebalancer::Progress> started) {
                                        if (!started) {
                                            exchange.replyError(started.error());
                                            return;
                                        }
                                        exchange.replyJson(dryRun ? HttpExchange::Status::Ok
                                                                  : HttpExchange::Status::Accepted,
                                                           started.value().toJson());
                                    }));
}
