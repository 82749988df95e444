#pragma once

#include "core/outcome.h"
#include "httpexchange.h"

#include <QJsonObject>

// The checks every JSON request body goes through: size (413), media type (415),
// syntax (400), top-level object (400).
class JsonBody {
public:
    static Outcome<QJsonObject> parse(const HttpExchange &exchange, int maxBytes);
    // The size and media type checks of parse(), for readers that read the body themselves.
    static std::optional<TallyError> check(const HttpExchange &exchange, int maxBytes);
    static bool isJsonMediaType(QByteArrayView contentType);
};
