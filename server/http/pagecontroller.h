#pragma once

#include "router.h"
#include "webassets.h"

class Config;
class PollCatalog;

#include <memory>

// The audience pages: GET / (open polls), GET /p/{poll_id} (the voting page) and
// their assets under /assets/, each also answering HEAD. Pages talk to the server
// only through the public REST and WebSocket API. Every answer carries an ETag
// (If-None-Match gives 304), Cache-Control, a Content-Security-Policy that allows
// same-origin scripts and styles only, and X-Content-Type-Options: nosniff.
class PageController {
public:
    PageController(const Config &config, const PollCatalog &catalog);
    void registerRoutes(Router &router);

    static const QByteArray &securityPolicy();

private:
    void servePage(const HttpExchange &exchange, const QString &name,
                   HttpExchange::Status status = HttpExchange::Status::Ok) const;
    void serveAsset(const HttpExchange &exchange, const QString &name) const;
    void serve(const HttpExchange &exchange, const WebAssets::File &file,
               const QByteArray &cacheControl, HttpExchange::Status status) const;
    static bool matchesEtag(const QByteArray &ifNoneMatch, const QByteArray &etag);

    const PollCatalog &m_catalog;
    std::shared_ptr<const WebAssets> m_assets;
};
