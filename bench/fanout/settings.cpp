#include "settings.h"

#include <QJsonDocument>

QUrl wsUrl(const QUrl &base)
{
    QUrl url = base;
    url.setScheme(url.scheme() == u"https" ? QStringLiteral("wss") : QStringLiteral("ws"));
    url.setPath(QStringLiteral("/api/v1/ws"));
    return url;
}

QNetworkRequest jsonRequest(const Settings &settings, const QString &path)
{
    QUrl url = settings.url;
    url.setPath(path);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    if (!settings.token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + settings.token);
    return request;
}

QString compact(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}
