#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QHttpServerRequest>
#include <QList>
#include <QPair>
#include <optional>

// One complete request that ConnectionGuard framed and RequestHead accepted, read without
// QHttpServer when it targets a hot route: POST {prefix}/vote/{id}, POST {prefix}/votes,
// GET or HEAD {prefix}/results/{id}. Anything else, and anything Qt could read
// differently from this parser (percent-encoding, a query, dot segments, characters
// outside [A-Za-z0-9._~-] in the path, a repeated header, another method), is left to
// QHttpServer: parse() returns nullopt and the request takes the ordinary path.
// Pure bytes in, value out, so it can be fuzzed.
class LeanRequest {
public:
    using Method = QHttpServerRequest::Method;
    using Headers = QList<QPair<QByteArray, QByteArray>>;

    // `request`: the whole request as framed (leading blank lines, head, body).
    static std::optional<LeanRequest> parse(const QByteArray &request, QByteArrayView apiPrefix);

    Method method() const { return m_method; }
    // The path as sent (nothing to decode: only unreserved characters are taken).
    const QByteArray &path() const { return m_path; }
    // The path and the headers do not own their bytes: they are in raw(), the request as
    // framed, which whoever keeps them must keep too.
    const Headers &headers() const { return m_headers; }
    const QByteArray &raw() const { return m_raw; }
    const QByteArray &body() const { return m_body; }

private:
    static bool isHotRoute(Method method, QByteArrayView path, QByteArrayView apiPrefix);

    Method m_method = Method::Unknown;
    QByteArray m_raw;
    QByteArray m_path;
    Headers m_headers;
    QByteArray m_body;
};
