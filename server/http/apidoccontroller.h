#pragma once

#include "router.h"

#include <QByteArray>

// The API described: GET {prefix}/openapi.json (OpenAPI 3.1, from the Qt resources,
// its paths moved to the configured prefix) and GET {prefix}/docs, a page that
// renders it with the bundled Redoc viewer (no external requests).
class ApiDocController {
public:
    void registerRoutes(Router &router, const QString &prefix);

    // The document as served with `prefix` and this build's version; empty when the
    // resources are missing (a library built without them).
    static QByteArray document(const QString &prefix);

private:
    QByteArray m_document;
};
