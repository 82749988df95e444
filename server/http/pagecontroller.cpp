#include "pagecontroller.h"
#include "core/config.h"
#include "core/pollcatalog.h"

PageController::PageController(const Config &config, const PollCatalog &catalog)
    : m_catalog(catalog), m_assets(WebAssets::forPrefix(config.apiPrefix()))
{
}

const QByteArray &PageController::securityPolicy()
{
    // Same-origin scripts, styles and connections (WebSocket included) only; no inline
    // script or style; and with Trusted Types, no string ever reaches innerHTML.
    static const QByteArray policy = QByteArrayLiteral(
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
        "connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
        "frame-ancestors 'none'; require-trusted-types-for 'script'; trusted-types 'none'");
    return policy;
}

void PageController::registerRoutes(Router &router)
{
    // The router answers HEAD through the GET routes (headers only).
    const auto method = Router::Method::Get;
    router.add(method, QStringLiteral("/"), [this](const HttpExchange &e, const QStringList &) {
        servePage(e, QStringLiteral("index"));
    });
    router.add(method, QStringLiteral("/p/{poll_id}"),
               [this](const HttpExchange &e, const QStringList &p) {
                   // An unknown poll still gets the page (it says so), with the status to match.
                   const bool known = m_catalog.contains(p[0]);
                   servePage(e, QStringLiteral("poll"),
                             known ? HttpExchange::Status::Ok : HttpExchange::Status::NotFound);
               });
    router.add(method, QStringLiteral("/assets/{name}"),
               [this](const HttpExchange &e, const QStringList &p) { serveAsset(e, p[0]); });
}

void PageController::servePage(const HttpExchange &exchange, const QString &name,
                               HttpExchange::Status status) const
{
    if (const WebAssets::File *file = m_assets->page(name))
        serve(exchange, *file, QByteArrayLiteral("no-cache"), status);
    else
        exchange.replyError(HttpExchange::Status::InternalServerError,
                            QStringLiteral("page_missing"),
                            QStringLiteral("This build of Tally has no '%1' page.").arg(name));
}

void PageController::serveAsset(const HttpExchange &exchange, const QString &name) const
{
    const WebAssets::File *file = m_assets->asset(name);
    if (!file) {
        exchange.replyError(HttpExchange::Status::NotFound, QStringLiteral("not_found"),
                            QStringLiteral("There is no asset named '%1'.").arg(name.left(100)));
        return;
    }
    // The pages link each asset with its version: such a URL never changes content.
    const bool versioned = exchange.queryValue(QStringLiteral("v")).toUtf8() == file->version;
    serve(exchange, *file,
          versioned ? QByteArrayLiteral("public, max-age=31536000, immutable")
                    : QByteArrayLiteral("no-cache"),
          HttpExchange::Status::Ok);
}

void PageController::serve(const HttpExchange &exchange, const WebAssets::File &file,
                           const QByteArray &cacheControl, HttpExchange::Status status) const
{
    const bool notModified = status == HttpExchange::Status::Ok &&
                             matchesEtag(exchange.header("If-None-Match").toByteArray(), file.etag);
    QList<QPair<QByteArray, QByteArray>> headers{
        {QByteArrayLiteral("ETag"), file.etag},
        {QByteArrayLiteral("Cache-Control"), cacheControl},
        {QByteArrayLiteral("Content-Security-Policy"), securityPolicy()},
        {QByteArrayLiteral("X-Content-Type-Options"), QByteArrayLiteral("nosniff")},
        {QByteArrayLiteral("Referrer-Policy"), QByteArrayLiteral("no-referrer")},
    };
    if (!notModified)
        headers.prepend({QByteArrayLiteral("Content-Type"), file.contentType});
    const bool headersOnly = notModified || exchange.method() == Router::Method::Head;
    exchange.replyWithHeaders(notModified ? HttpExchange::Status::NotModified : status, headers,
                              file.body, headersOnly);
}

bool PageController::matchesEtag(const QByteArray &ifNoneMatch, const QByteArray &etag)
{
    // A list of entity tags, or "*"; weak comparison, as RFC 9110 asks for If-None-Match.
    for (QByteArray candidate : ifNoneMatch.split(',')) {
        candidate = candidate.trimmed();
        if (candidate == "*")
            return true;
        if (candidate.startsWith("W/"))
            candidate = candidate.mid(2);
        if (candidate == etag)
            return true;
    }
    return false;
}
