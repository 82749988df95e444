#include "apidoccontroller.h"

#include <QFile>
#include <QJsonDocument>
#include <QJsonObject>

namespace {

const QString DocumentedPrefix = QStringLiteral("/api/v1");

QByteArray resource(const QString &name)
{
    QFile file(QStringLiteral(":/tally/api/") + name);
    return file.open(QIODevice::ReadOnly) ? file.readAll() : QByteArray();
}

} // namespace

QByteArray ApiDocController::document(const QString &prefix)
{
    QJsonObject root = QJsonDocument::fromJson(resource(QStringLiteral("openapi.json"))).object();
    if (root.isEmpty())
        return {};
    QJsonObject info = root.value(QStringLiteral("info")).toObject();
    info.insert(QStringLiteral("version"), QStringLiteral(TALLY_VERSION));
    root.insert(QStringLiteral("info"), info);
    if (prefix != DocumentedPrefix) {
        const QJsonObject paths = root.value(QStringLiteral("paths")).toObject();
        QJsonObject moved;
        for (auto it = paths.begin(); it != paths.end(); ++it) {
            const QString path = it.key().startsWith(DocumentedPrefix + u'/')
                                     ? prefix + it.key().mid(DocumentedPrefix.size())
                                     : it.key();
            moved.insert(path, it.value());
        }
        root.insert(QStringLiteral("paths"), moved);
    }
    return QJsonDocument(root).toJson(QJsonDocument::Compact);
}

void ApiDocController::registerRoutes(Router &router, const QString &prefix)
{
    using M = Router::Method;
    m_document = document(prefix);
    router.add(M::Get, prefix + QStringLiteral("/openapi.json"),
               [this](const HttpExchange &e, const QStringList &) {
                   if (m_document.isEmpty())
                       e.replyError(HttpExchange::Status::NotFound, QStringLiteral("not_found"),
                                    QStringLiteral("This build carries no API description."));
                   else
                       e.replyRaw(HttpExchange::Status::Ok, QByteArrayLiteral("application/json"),
                                  m_document);
               });
    const auto page = [](const QString &name, const QByteArray &type) {
        return [name, type](const HttpExchange &e, const QStringList &) {
            const QByteArray body = resource(name);
            if (body.isEmpty())
                e.replyError(HttpExchange::Status::NotFound, QStringLiteral("not_found"),
                             QStringLiteral("This build carries no API documentation page."));
            else
                e.replyRaw(HttpExchange::Status::Ok, type, body);
        };
    };
    router.add(M::Get, prefix + QStringLiteral("/docs"),
               page(QStringLiteral("docs.html"), QByteArrayLiteral("text/html; charset=utf-8")));
    router.add(M::Get, prefix + QStringLiteral("/docs/redoc.standalone.js"),
               page(QStringLiteral("redoc.standalone.js"),
                    QByteArrayLiteral("text/javascript; charset=utf-8")));
}
