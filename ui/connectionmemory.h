#pragma once

#include <QStringList>
#include <QUrl>

// What the console remembers about the servers it watched (QSettings): the last one,
// the recent ones, and admin tokens the operator asked it to keep.
namespace ConnectionMemory {

QUrl lastConnection();
QStringList recentUrls();
// Makes `url` the last and most recent connection.
void remember(const QUrl &url);
QString token(const QUrl &url);
bool hasToken(const QUrl &url);
// Keeps `token` for `url`, or forgets it (keep false or an empty token).
void setToken(const QUrl &url, const QString &token, bool keep);

} // namespace ConnectionMemory
