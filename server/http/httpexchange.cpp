#include "httpexchange.h"
#include "connectionguard.h"
#include "guard/requestguard.h"
#include "jsontext.h"

#include <QJsonDocument>
#include <array>
#include <cstring>

QString HttpExchange::rawPath(const QHttpServerRequest &request)
{
    // Still percent-encoded, so "%2F" cannot turn into a path separator. (Targets
    // starting with "//" are refused earlier, by ConnectionGuard: Qt would read them
    // as a host name.)
    return request.url().path(QUrl::FullyEncoded);
}

HttpExchange::HttpExchange(const QHttpServerRequest &request, QHttpServerResponder &&responder)
    : m_state(std::make_shared<State>())
{
    m_state->method = request.method();
    m_state->path = rawPath(request);
    m_state->body = request.body();
    m_state->headers = request.headers();
    m_state->query = request.query();
    m_state->peer = request.remoteAddress();
    m_state->responder = std::make_unique<QHttpServerResponder>(std::move(responder));
    m_state->socket = m_state->responder->socket();
    if (const auto *guard = qobject_cast<const ConnectionGuard *>(m_state->socket.data()))
        m_state->peerName = guard->peerName();
}

HttpExchange::HttpExchange(const LeanRequest &request, QTcpSocket *socket)
    : m_state(std::make_shared<State>())
{
    m_state->method = request.method();
    m_state->path = QString::fromLatin1(request.path());
    m_state->body = request.body();
    m_state->raw = request.raw();
    m_state->headers = request.headers();
    m_state->peer = socket->peerAddress();
    m_state->socket = socket;
    if (const auto *guard = qobject_cast<const ConnectionGuard *>(socket))
        m_state->peerName = guard->peerName();
}

const QString &HttpExchange::client(const RequestGuard *guard) const
{
    if (!m_state->clientKnown) {
        if (m_state->peerName.isEmpty())
            m_state->peerName = RequestGuard::normalise(m_state->peer);
        m_state->client = guard ? guard->clientOf(m_state->peer, m_state->peerName,
                                                  header("X-Forwarded-For"), header("X-Real-IP"))
                                : m_state->peerName;
        m_state->clientKnown = true;
    }
    return m_state->client;
}

QByteArrayView HttpExchange::header(QByteArrayView name) const
{
    for (const auto &[key, value] : m_state->headers)
        if (key.size() == name.size() && key.compare(name, Qt::CaseInsensitive) == 0)
            return value;
    return QByteArrayView();
}

bool HttpExchange::hasHeader(QByteArrayView name) const
{
    for (const auto &[key, value] : m_state->headers)
        if (key.size() == name.size() && key.compare(name, Qt::CaseInsensitive) == 0)
            return true;
    return false;
}

QString HttpExchange::queryValue(const QString &key) const
{
    return m_state->query.queryItemValue(key, QUrl::FullyDecoded);
}

bool HttpExchange::claim(Status status) const
{
    if (m_state->answered)
        return false;
    m_state->answered = true;
    if (m_state->trace)
        m_state->trace->finish(int(status));
    return !m_state->socket.isNull();
}

HttpExchange::Status HttpExchange::statusFor(TallyError::Kind kind)
{
    switch (kind) {
    case TallyError::Kind::Malformed:
        return Status::BadRequest;
    case TallyError::Kind::Invalid:
        return Status::UnprocessableEntity;
    case TallyError::Kind::NotFound:
        return Status::NotFound;
    case TallyError::Kind::Conflict:
        return Status::Conflict;
    case TallyError::Kind::Unavailable:
    case TallyError::Kind::OutcomeUnknown:
        return Status::ServiceUnavailable;
    case TallyError::Kind::Unauthorized:
        return Status::Unauthorized;
    case TallyError::Kind::Forbidden:
        return Status::Forbidden;
    case TallyError::Kind::TooLarge:
        return Status::PayloadTooLarge;
    case TallyError::Kind::UnsupportedType:
        return Status::UnsupportedMediaType;
    case TallyError::Kind::RateLimited:
        return Status::TooManyRequests;
    }
    return Status::InternalServerError;
}

void HttpExchange::send(Status status, std::span<const Header> headers, const QByteArray &body,
                        bool headersOnly) const
{
    static const QByteArray contentLength = QByteArrayLiteral("Content-Length");
    static const QByteArray connection = QByteArrayLiteral("Connection");
    auto *guard = qobject_cast<ConnectionGuard *>(m_state->socket.data());
    const bool noContent = status == Status::NoContent;
    const bool withoutBody = headersOnly || noContent || status == Status::NotModified ||
                             m_state->method == QHttpServerRequest::Method::Head;
    if (!m_state->responder) {
        sendDirect(status, headers, body, withoutBody);
        if (guard)
            guard->responseSent();
        return;
    }
    m_state->responder->writeStatusLine(status);
    for (const auto &[name, value] : headers)
        m_state->responder->writeHeader(name, value);
    if (guard && !guard->connectionHeader().isEmpty())
        m_state->responder->writeHeader(connection, guard->connectionHeader());
    if (!noContent) // RFC 9110: a 204 carries no Content-Length
        m_state->responder->writeHeader(contentLength, QByteArray::number(body.size()));
    m_state->responder->writeBody(withoutBody ? QByteArray() : body);
    if (guard)
        guard->responseSent();
}

namespace {

// QHttpServerResponder 6.4's reason phrases for the statuses Tally sends.
QByteArrayView reasonPhrase(HttpExchange::Status status)
{
    switch (int(status)) {
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 304:
        return "Not Modified";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 409:
        return "Conflict";
    case 413:
        return "Request Entity Too Large";
    case 415:
        return "Unsupported Media Type";
    case 422:
        return "Unprocessable Entity";
    case 426:
        return "Upgrade Required";
    case 429:
        return "Too Many Requests";
    case 500:
        return "Internal Server Error";
    case 503:
        return "Service Unavailable";
    }
    return "Unknown";
}

} // namespace

void HttpExchange::sendDirect(Status status, std::span<const Header> headers,
                              const QByteArray &body, bool withoutBody) const
{
    auto *guard = qobject_cast<ConnectionGuard *>(m_state->socket.data());
    // Measured first, then copied into place: one allocation, no appends.
    const JsonText::Decimal statusCode{int(status)};
    const JsonText::Decimal length(body.size());
    const QByteArrayView reason = reasonPhrase(status);
    const QByteArrayView connection =
        guard ? QByteArrayView(guard->connectionHeader()) : QByteArrayView();
    // RFC 9110: a 204 carries no Content-Length.
    const bool withLength = status != Status::NoContent;
    qsizetype size = 9 + statusCode.view().size() + 1 + reason.size() + 2 + 2;
    for (const auto &[name, value] : headers)
        size += name.size() + 2 + value.size() + 2;
    if (!connection.isEmpty())
        size += 12 + connection.size() + 2;
    if (withLength)
        size += 16 + length.view().size() + 2;
    if (!withoutBody)
        size += body.size();
    QByteArray out(size, Qt::Uninitialized);
    char *to = out.data();
    const auto put = [&to](QByteArrayView piece) {
        std::memcpy(to, piece.data(), size_t(piece.size()));
        to += piece.size();
    };
    put("HTTP/1.1 ");
    put(statusCode.view());
    put(" ");
    put(reason);
    put("\r\n");
    for (const auto &[name, value] : headers) {
        put(name);
        put(": ");
        put(value);
        put("\r\n");
    }
    if (!connection.isEmpty()) {
        put("Connection: ");
        put(connection);
        put("\r\n");
    }
    if (withLength) {
        put("Content-Length: ");
        put(length.view());
        put("\r\n");
    }
    put("\r\n");
    if (!withoutBody)
        put(body);
    Q_ASSERT(to == out.constData() + out.size());
    if (guard)
        guard->writeAnswer(out);
    else
        m_state->socket->write(out);
}

void HttpExchange::replyRaw(Status status, const QByteArray &mimeType, const QByteArray &body) const
{
    static const QByteArray contentType = QByteArrayLiteral("Content-Type");
    if (claim(status))
        send(status, std::array{Header{contentType, mimeType}}, body);
}

void HttpExchange::replyJson(Status status, const QJsonObject &body, const QByteArray &headerName,
                             const QByteArray &headerValue) const
{
    static const QByteArray contentType = QByteArrayLiteral("Content-Type");
    static const QByteArray json = QByteArrayLiteral("application/json");
    if (!claim(status))
        return;
    const QByteArray bytes = QJsonDocument(body).toJson(QJsonDocument::Compact);
    if (headerName.isEmpty())
        send(status, std::array{Header{contentType, json}}, bytes);
    else
        send(status, std::array{Header{contentType, json}, Header{headerName, headerValue}}, bytes);
}

void HttpExchange::replyError(const TallyError &error) const
{
    const Status status = statusFor(error.kind);
    if (status == Status::ServiceUnavailable)
        replyError(status, error.code, error.message, QByteArrayLiteral("Retry-After"),
                   QByteArrayLiteral("1"));
    else if (status == Status::TooManyRequests)
        replyError(status, error.code, error.message, QByteArrayLiteral("Retry-After"),
                   QByteArray::number(std::max(1, error.retryAfterSeconds)));
    else if (status == Status::Unauthorized) // a 401 must name the scheme (RFC 7235)
        replyError(status, error.code, error.message, QByteArrayLiteral("WWW-Authenticate"),
                   QByteArrayLiteral("Bearer"));
    else
        replyError(status, error.code, error.message);
}

void HttpExchange::replyError(Status status, const QString &code, const QString &message,
                              const QByteArray &headerName, const QByteArray &headerValue) const
{
    if (!claim(status))
        return;
    static const QByteArray json = QByteArrayLiteral("application/json");
    const QJsonObject error{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}};
    static const QByteArray contentType = QByteArrayLiteral("Content-Type");
    const std::array headers{Header{contentType, json}, Header{headerName, headerValue}};
    send(status, std::span(headers).first(headerName.isEmpty() ? 1 : 2),
         QJsonDocument(QJsonObject{{QStringLiteral("error"), error}})
             .toJson(QJsonDocument::Compact));
}

void HttpExchange::replyEmpty(Status status) const
{
    if (claim(status))
        send(status, {}, {});
}

void HttpExchange::replyWithHeaders(Status status,
                                    const QList<QPair<QByteArray, QByteArray>> &headers,
                                    const QByteArray &body, bool headersOnly) const
{
    if (claim(status))
        send(status, headers, body, headersOnly);
}
