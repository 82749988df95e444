#include "leanpath.h"
#include "connectionguard.h"
#include "httpexchange.h"
#include "leanrequest.h"

LeanPath::LeanPath(QByteArray apiPrefix, Dispatch dispatch)
    : m_apiPrefix(std::move(apiPrefix)), m_dispatch(std::move(dispatch))
{
}

bool LeanPath::take(ConnectionGuard *guard, qint64 bytes) const
{
    if (bytes <= 0 || guard->bytesAvailable() < bytes)
        return false;
    const std::optional<LeanRequest> request = LeanRequest::parse(guard->peek(bytes), m_apiPrefix);
    if (!request)
        return false;
    guard->skip(bytes);
    m_dispatch(HttpExchange(*request, guard));
    return true;
}
