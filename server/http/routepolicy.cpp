#include "routepolicy.h"
#include "core/config.h"
#include "guard/requestguard.h"
#include "httpexchange.h"

bool RoutePolicy::admit(const HttpExchange &exchange, Router::Access access) const
{
    if (access == Router::Access::Open)
        return true;
    if (m_guard) {
        const RequestGuard::Budget budget = access == Router::Access::Admin
                                                ? RequestGuard::Budget::Admin
                                                : RequestGuard::Budget::Reads;
        const QString &client = exchange.client(m_guard);
        if (const qint64 waitMs = m_guard->check(budget, client)) {
            exchange.replyError(TallyError::rateLimited(client, waitMs));
            return false;
        }
    }
    if (access == Router::Access::Admin) {
        if (const std::optional<TallyError> error = checkAdmin(exchange, m_config.adminToken())) {
            exchange.replyError(*error);
            return false;
        }
    }
    return true;
}

Router::Step RoutePolicy::step() const
{
    return [this](const HttpExchange &exchange, const Router::Route &route) {
        return admit(exchange, route.access);
    };
}

bool RoutePolicy::isLocal(const HttpExchange &exchange)
{
    // A proxy on this machine connects from loopback on behalf of anyone: whatever it
    // forwarded is not local, whichever of these headers it sets.
    for (const QByteArray &header :
         {QByteArrayLiteral("X-Forwarded-For"), QByteArrayLiteral("X-Real-IP"),
          QByteArrayLiteral("Forwarded")})
        if (exchange.hasHeader(header))
            return false;
    return RequestGuard::isLoopback(RequestGuard::normalise(exchange.peer()));
}

std::optional<TallyError> RoutePolicy::checkAdmin(const HttpExchange &exchange,
                                                  const QString &token)
{
    if (token.isEmpty()) {
        if (isLocal(exchange))
            return std::nullopt;
        return TallyError{
            TallyError::Kind::Unauthorized, QStringLiteral("admin_token_not_set"),
            QStringLiteral("Administration from beyond this machine or through a proxy needs an "
                           "admin token, and this server has none: start it with --admin-token "
                           "(or TALLY_ADMIN_TOKEN), or --admin-token-file FILE to have one "
                           "generated in FILE.")};
    }
    const QByteArrayView header = exchange.header("Authorization");
    // The scheme name is case-insensitive (RFC 7235); the token is not.
    if (header.size() < 7 || qstrnicmp(header.constData(), "Bearer ", 7) != 0)
        return TallyError{
            TallyError::Kind::Unauthorized, QStringLiteral("unauthorized"),
            QStringLiteral("This operation needs 'Authorization: Bearer <admin token>'.")};
    const QByteArrayView given = header.sliced(7).trimmed();
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
