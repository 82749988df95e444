#include "pollcontroller.h"
#include "core/config.h"
#include "core/pollcatalog.h"
#include "core/requestparser.h"
#include "jsonbody.h"
#include "requestguard.h"
#include "storage/storageengine.h"

#include <QJsonArray>

void PollController::registerRoutes(Router &router, const QString &prefix)
{
    using M = Router::Method;
    router.add(M::Post, prefix + QStringLiteral("/polls"), [this](const HttpExchange &e, const QStringList &) { create(e); }, Router::Budget::Admin);
    router.add(M::Get, prefix + QStringLiteral("/polls"), [this](const HttpExchange &e, const QStringList &) { list(e); }, Router::Budget::Reads);
    router.add(M::Get, prefix + QStringLiteral("/polls/{id}"),
               [this](const HttpExchange &e, const QStringList &p) { get(e, p[0]); }, Router::Budget::Reads);
    router.add(M::Delete, prefix + QStringLiteral("/polls/{id}"),
               [this](const HttpExchange &e, const QStringList &p) { remove(e, p[0]); }, Router::Budget::Admin);
    router.add(M::Post, prefix + QStringLiteral("/polls/{id}/close"),
               [this](const HttpExchange &e, const QStringList &p) { setOpen(e, p[0], false); }, Router::Budget::Admin);
    router.add(M::Post, prefix + QStringLiteral("/polls/{id}/open"),
               [this](const HttpExchange &e, const QStringList &p) { setOpen(e, p[0], true); }, Router::Budget::Admin);
    router.add(M::Post, prefix + QStringLiteral("/polls/{id}/reveal"),
               [this](const HttpExchange &e, const QStringList &p) { reveal(e, p[0]); }, Router::Budget::Admin);
    router.add(M::Post, prefix + QStringLiteral("/polls/{id}/reset"),
               [this](const HttpExchange &e, const QStringList &p) { reset(e, p[0]); }, Router::Budget::Admin);
    router.add(M::Get, prefix + QStringLiteral("/themes"), [this](const HttpExchange &e, const QStringList &) { themes(e); }, Router::Budget::Reads);
}

bool PollController::isLocal(const HttpExchange &exchange)
{
    // A proxy on this machine connects from loopback on behalf of anyone: whatever it
    // forwarded is not local, whichever of these headers it sets.
    for (const QByteArray &header : {QByteArrayLiteral("X-Forwarded-For"), QByteArrayLiteral("X-Real-IP"),
                                     QByteArrayLiteral("Forwarded")})
        if (exchange.hasHeader(header))
            return false;
    return QHostAddress(RequestGuard::normalise(exchange.peer())).isLoopback();
}

std::optional<TallyError> PollController::checkAdmin(const HttpExchange &exchange, const QString &token)
{
    if (token.isEmpty()) {
        if (isLocal(exchange))
            return std::nullopt;
        return TallyError{TallyError::Kind::Unauthorized, QStringLiteral("admin_token_not_set"),
                          QStringLiteral("Administration from beyond this machine or through a proxy needs an "
                                         "admin token, and this server has none: start it with --admin-token "
                                         "(or TALLY_ADMIN_TOKEN), or --admin-token-file FILE to have one "
                                         "generated in FILE.")};
    }
    const QByteArray header = exchange.header(QByteArrayLiteral("Authorization"));
    // The scheme name is case-insensitive (RFC 7235); the token is not.
    if (header.size() < 7 || qstrnicmp(header.constData(), "Bearer ", 7) != 0)
        return TallyError{TallyError::Kind::Unauthorized, QStringLiteral("unauthorized"),
                          QStringLiteral("This operation needs 'Authorization: Bearer <admin token>'.")};
    const QByteArray given = header.mid(7).trimmed();
    const QByteArray expected = token.toUtf8();
    // Constant time in the token's length: every byte is compared whatever differs.
    unsigned char difference = given.size() == expected.size() ? 0 : 1;
    for (qsizetype i = 0; i < expected.size(); ++i)
        difference |= static_cast<unsigned char>(expected[i] ^ (i < given.size() ? given[i] : 0));
    if (difference != 0)
        return TallyError{TallyError::Kind::Forbidden, QStringLiteral("forbidden"),
                          QStringLiteral("The admin token is not valid.")};
    return std::nullopt;
}

bool PollController::authorized(const HttpExchange &exchange) const
{
    if (const std::optional<TallyError> error = checkAdmin(exchange, m_scope.server.config->adminToken())) {
        exchange.replyError(*error);
        return false;
    }
    return true;
}

void PollController::create(const HttpExchange &exchange) const
{
    if (!authorized(exchange))
        return;
    const Outcome<QJsonObject> body = JsonBody::parse(exchange, m_scope.server.config->maxBodyBytes());
    if (!body) {
        exchange.replyError(body.error());
        return;
    }
    const Outcome<Poll> draft = RequestParser::parseNewPoll(body.value());
    if (!draft) {
        exchange.replyError(draft.error());
        return;
    }
    m_scope.server.storage->createPoll(
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
        exchange.replyError(TallyError::invalid(QStringLiteral("invalid_filter"),
                                                QStringLiteral("status must be 'open' or 'closed'.")));
        return;
    }
    QJsonArray polls;
    for (const Poll &poll : m_scope.server.catalog->list(exchange.queryValue(QStringLiteral("theme")), status))
        polls.append(poll.toJson());
    exchange.replyJson(HttpExchange::Status::Ok, {{QStringLiteral("polls"), polls}});
}

void PollController::get(const HttpExchange &exchange, const QString &id) const
{
    const std::optional<Poll> poll = m_scope.server.catalog->find(id);
    if (!poll)
        exchange.replyError(TallyError::pollNotFound(id.left(Poll::MaxIdLength)));
    else
        exchange.replyJson(HttpExchange::Status::Ok, poll->toJson());
}

void PollController::setOpen(const HttpExchange &exchange, const QString &id, bool open) const
{
    if (!authorized(exchange))
        return;
    m_scope.server.storage->setPollOpen(
        id, open, m_scope.onWorker<Outcome<Poll>>([exchange](Outcome<Poll> updated) {
            if (updated)
                exchange.replyJson(HttpExchange::Status::Ok, updated.value().toJson());
            else
                exchange.replyError(updated.error());
        }));
}

void PollController::reveal(const HttpExchange &exchange, const QString &id) const
{
    if (!authorized(exchange))
        return;
    m_scope.server.storage->revealPoll(
        id, m_scope.onWorker<Outcome<Poll>>([exchange](Outcome<Poll> updated) {
            if (updated)
                exchange.replyJson(HttpExchange::Status::Ok, updated.value().toJson());
            else
                exchange.replyError(updated.error());
        }));
}

void PollController::reset(const HttpExchange &exchange, const QString &id) const
{
    if (!authorized(exchange))
        return;
    StorageEngine *storage = m_scope.server.storage;
    storage->resetPoll(id, m_scope.onWorker<Outcome<Poll>>([exchange, storage](Outcome<Poll> reset) {
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
    if (!authorized(exchange))
        return;
    m_scope.server.storage->deletePoll(
        id, m_scope.onWorker<Outcome<bool>>([exchange](Outcome<bool> deleted) {
            if (deleted)
                exchange.replyEmpty(HttpExchange::Status::NoContent);
            else
                exchange.replyError(deleted.error());
        }));
}

void PollController::themes(const HttpExchange &exchange) const
{
    QJsonArray themes;
    for (const PollCatalog::Theme &theme : m_scope.server.catalog->themes())
        themes.append(QJsonObject{{QStringLiteral("theme"), theme.name}, {QStringLiteral("polls"), theme.polls}});
    exchange.replyJson(HttpExchange::Status::Ok, {{QStringLiteral("themes"), themes}});
}
