#pragma once

#include <QByteArray>
#include <QHash>
#include <QString>
#include <memory>

// The audience web pages and their assets, read once from Qt resources (:/web).
// The HTML pages are templates: the API prefix and each asset's version (its ETag)
// are filled in when the set is built, so the pages need no inline script and the
// assets can be cached for good under their versioned URLs.
class WebAssets {
public:
    struct File {
        QByteArray body;
        QByteArray contentType;
        QByteArray etag;    // quoted, strong: a hash of the body
        QByteArray version; // the hash alone, as used in "?v=" links
    };

    // The set for an API prefix, built on first use and shared by every worker.
    static std::shared_ptr<const WebAssets> forPrefix(const QString &apiPrefix);

    // A page by name ("index", "poll") or an asset by file name ("tally.js").
    const File *page(const QString &name) const;
    const File *asset(const QString &name) const;
    QStringList assetNames() const { return m_assets.keys(); }

private:
    explicit WebAssets(const QString &apiPrefix);
    static File makeFile(QByteArray body, const QByteArray &contentType);
    static QByteArray contentTypeOf(const QString &fileName);

    QHash<QString, File> m_pages;
    QHash<QString, File> m_assets;
};
