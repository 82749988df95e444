#include "connectionmemory.h"

#include <QSettings>

namespace ConnectionMemory {

namespace {
constexpr int MaxRecentUrls = 8;

QString tokenKey(const QUrl &url)
{
    return QStringLiteral("tokens/") +
           QString::fromLatin1(
               url.toString(QUrl::StripTrailingSlash)
                   .toUtf8()
                   .toBase64(QByteArray::Base64UrlEncoding | QByteArray::OmitTrailingEquals));
}
} // namespace

QUrl lastConnection()
{
    return QUrl(QSettings().value(QStringLiteral("connection/last")).toString());
}

QStringList recentUrls()
{
    return QSettings().value(QStringLiteral("connection/recent")).toStringList();
}

void remember(const QUrl &url)
{
    QSettings settings;
    QStringList recent = settings.value(QStringLiteral("connection/recent")).toStringList();
    recent.removeAll(url.toString());
    recent.prepend(url.toString());
    settings.setValue(QStringLiteral("connection/recent"), recent.mid(0, MaxRecentUrls));
    settings.setValue(QStringLiteral("connection/last"), url.toString());
}

QString token(const QUrl &url)
{
    return QSettings().value(tokenKey(url)).toString();
}

bool hasToken(const QUrl &url)
{
    return QSettings().contains(tokenKey(url));
}

void setToken(const QUrl &url, const QString &token, bool keep)
{
    QSettings settings;
    if (keep && !token.isEmpty())
        settings.setValue(tokenKey(url), token);
    else
        settings.remove(tokenKey(url));
}

} // namespace ConnectionMemory
