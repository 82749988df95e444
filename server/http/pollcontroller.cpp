#include "pollcontroller.h"
#include "core/config.h"
#include "core/pollcatalog.h"
#include "core/requestparser.h"
#include "jsonbody.h"
#include "storage/storageengine.h"

#include <QJsonArray>

void PollController::registerRoutes(Router &router, const QString &prefix)
{
    using M = Router::Method;
    router.add(
        M::Post, prefix + QStringLiteral("/polls"),
        [this](const HttpExchange &e, const QStringList &) { create(e); }, Router::Access::Admin);
    router.add(
        M::Get, prefix + QStringLiteral("/polls"),
        [this](const HttpExchange &e, const QStringList &) { list(e); }, Router::Access::Reads);
    router.add(
        M::Get, prefix + QStringLiteral("/polls/{id}"),
        [this](const HttpExchange &e, const QStringList &p) { get(e, p[0]); },
        Router::Access::Reads);
    router.add(
        M::Delete, prefix + QStringLiteral("/polls/{id}"),
        [this](const HttpExchange &e, const QStringList &p) { remove(e, p[0]); },
        Router::Access::Admin);
    router.add(
        M::Post, prefix + QStringLiteral("/polls/{id}/close"),
        [this](const HttpExchange &e, const QStringList &p) { setOpen(e, p[0], false); },
        Router::Access::Admin);
    router.add(
        M::Post, prefix + QStringLiteral("/polls/{id}/open"),
        [this](const HttpExchange &e, const QStringList &p) { setOpen(e, p[0], true); },
        Router::Access::Admin);
    router.add(
        M::Post, prefix + QStringLiteral("/polls/{id}/reveal"),
        [this](const HttpExchange &e, const QStringList &p) { reveal(e, p[0]); },
        Router::Access::Admin);
    router.add(
        M::Post, prefix + QStringLiteral("/polls/{id}/reset"),
        [this](const HttpExchange &e, const QStringList &p) { reset(e, p[0]); },
        Router::Access::Admin);
    router.add(
        M::Get, prefix + QStringLiteral("/themes"),
        [this](const HttpExchange &e, const QStringList &) { themes(e); }, Router::Access::Reads);
}

void PollController::create(const HttpExchange &exchange) const
{
    const Outcome<QJsonObject> body = JsonBody::parse(exchange, m_config.maxBodyBytes());
    if (!body) {
        exchange.replyError(body.error());
        return;
    }
    const Outcome<Poll> draft = RequestParser::parseNewPoll(body.value());
    if (!draft) {
        exchange.replyError(draft.error());
        return;
    }
    m_storage.createPoll(
        draft.value(), m_scope.onWorker<Outcome<Poll>>([exchange](Outcome<Poll> created) {
            if (created)
                exchange.replyJson(HttpExchange::Status::Created, created.value().toJson());
            else
                exchange.replyError(created.error());
        }));
}

void PollController::list(const HttpExchange &exchange) const
{
    const QString status = exchange.queryValue(QStringLiteral("status"));
    if (!status.isEmpty() && status != u"open" && status != u"closed") {
        exchange.replyError(
            TallyError::invalid(QStringLiteral("invalid_filter"),
                                QStringLiteral("status must be 'open' or 'closed'.")));
        return;
    }
    QJsonArray polls;
    for (const Poll &poll : m_catalog.list(exchange.queryValue(QStringLiteral("theme")), status))
        polls.append(poll.toJson());
    exchange.replyJson(HttpExchange::Status::Ok, {{QStringLiteral("polls"), polls}});
}

void PollController::get(const HttpExchange &exchange, const QString &id) const
{
    const std::optional<Poll> poll = m_catalog.find(id);
    if (!poll)
        exchange.replyError(TallyError::pollNotFound(id.left(Poll::MaxIdLength)));
    else
        exchange.replyJson(HttpExchange::Status::Ok, poll->toJson());
}

void PollController::setOpen(const HttpExchange &exchange, const QString &id, bool open) const
{
    m_storage.setPollOpen(
        id, open, m_scope.onWorker<Outcome<Poll>>([exchange](Outcome<Poll> updated) {
            if (updated)
                exchange.replyJson(HttpExchange::Status::Ok, updated.value().toJson());
            else
                exchange.replyError(updated.error());
        }));
}

void PollController::reveal(const HttpExchange &exchange, const QString &id) const
{
    m_storage.revealPoll(id, m_scope.onWorker<Outcome<Poll>>([exchange](Outcome<Poll> updated) {
        if (updated)
            exchange.replyJson(HttpExchange::Status::Ok, updated.value().toJson());
        else
            exchange.replyError(updated.error());
    }));
}

void PollController::reset(const HttpExchange &exchange, const QString &id) const
{
    StorageEngine *storage = &m_storage;
    storage->resetPoll(id,
                       m_scope.onWorker<Outcome<Poll>>([exchange, storage](Outcome<Poll> reset) {
                           if (!reset) {
                               exchange.replyError(reset.error());
                               return;
                           }
                           exchange.replyJson(HttpExchange::Status::Ok, reset.value().toJson());
                           // Answered: votes acknowledged from now on count in the new generation.
                           storage->endReset(reset.value().id, reset.value().resetting);
                       }));
}

void PollController::remove(const HttpExchange &exchange, const QString &id) const
{
    m_storage.deletePoll(id, m_scope.onWorker<Outcome<bool>>([exchange](Outcome<bool> deleted) {
        if (deleted)
            exchange.replyEmpty(HttpExchange::Status::NoContent);
        else
            exchange.replyError(deleted.error());
    }));
}

void PollController::themes(const HttpExchange &exchange) const
{
    QJsonArray themes;
    for (const PollCatalog::Theme &theme : m_catalog.themes())
        themes.append(QJsonObject{{QStringLiteral("theme"), theme.name},
                                  {QStringLiteral("polls"), theme.polls}});
    exchange.replyJson(HttpExchange::Status::Ok, {{QStringLiteral("themes"), themes}});
}
