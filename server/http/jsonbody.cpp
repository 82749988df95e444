#include "jsonbody.h"
#include "core/requestparser.h"

bool JsonBody::isJsonMediaType(QByteArrayView contentType)
{
    if (contentType == "application/json") // what nearly every client sends
        return true;
    const QByteArray type = contentType.toByteArray().split(';').constFirst().trimmed().toLower();
    return type == "application/json" ||
           (type.startsWith("application/") && type.endsWith("+json"));
}

Outcome<QJsonObject> JsonBody::parse(const HttpExchange &exchange, int maxBytes)
{
    if (std::optional<TallyError> refused = check(exchange, maxBytes))
        return *refused;
    return RequestParser::parseObject(exchange.body());
}

std::optional<TallyError> JsonBody::check(const HttpExchange &exchange, int maxBytes)
{
    bool declared = false;
    const qint64 contentLength = exchange.header("Content-Length").toLongLong(&declared);
    if (exchange.body().size() > maxBytes || (declared && contentLength > maxBytes))
        return TallyError{TallyError::Kind::TooLarge, QStringLiteral("body_too_large"),
                          QStringLiteral("The request body exceeds %1 bytes.").arg(maxBytes)};
    const QByteArrayView contentType = exchange.header("Content-Type");
    if (!isJsonMediaType(contentType))
        return TallyError{
            TallyError::Kind::UnsupportedType, QStringLiteral("unsupported_media_type"),
            contentType.isEmpty()
                ? QStringLiteral("Send the body as JSON with 'Content-Type: application/json'.")
                : QStringLiteral("Content-Type '%1' is not supported; send application/json.")
                      .arg(QString::fromLatin1(contentType.first(qMin(contentType.size(), 100))))};
    return std::nullopt;
}
