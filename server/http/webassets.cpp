#include "webassets.h"

#include <QCryptographicHash>
#include <QDir>
#include <QFile>
#include <QMutex>

// Outside any namespace, as Q_INIT_RESOURCE requires; the resources live in the
// static tally_server library, whose initializer a linker would otherwise drop.
static void initWebResources()
{
    Q_INIT_RESOURCE(web);
}

namespace {
QByteArray readResource(const QString &path)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly)) {
        qWarning("web assets: cannot read %s", qPrintable(path));
        return {};
    }
    return file.readAll();
}

QByteArray htmlAttribute(const QString &text)
{
    return text.toHtmlEscaped().replace(u'\'', QStringLiteral("&#39;")).toUtf8();
}
} // namespace

std::shared_ptr<const WebAssets> WebAssets::forPrefix(const QString &apiPrefix)
{
    static QMutex mutex;
    static QHash<QString, std::shared_ptr<const WebAssets>> built;
    const QMutexLocker lock(&mutex);
    std::shared_ptr<const WebAssets> &assets = built[apiPrefix];
    if (!assets)
        assets.reset(new WebAssets(apiPrefix));
    return assets;
}

WebAssets::WebAssets(const QString &apiPrefix)
{
    initWebResources();
    const QDir assetDir(QStringLiteral(":/web/assets"));
    for (const QString &name : assetDir.entryList(QDir::Files))
        m_assets.insert(name, makeFile(readResource(assetDir.filePath(name)), contentTypeOf(name)));
    for (const QString &name : {QStringLiteral("index"), QStringLiteral("poll")}) {
        QByteArray html = readResource(QStringLiteral(":/web/%1.html").arg(name));
        html.replace("{{api_prefix}}", htmlAttribute(apiPrefix));
        for (auto it = m_assets.cbegin(); it != m_assets.cend(); ++it)
            html.replace("{{version:" + it.key().toUtf8() + "}}", it->version);
        m_pages.insert(name, makeFile(html, QByteArrayLiteral("text/html; charset=utf-8")));
    }
}

WebAssets::File WebAssets::makeFile(QByteArray body, const QByteArray &contentType)
{
    const QByteArray version =
        QCryptographicHash::hash(body, QCryptographicHash::Sha256).toHex().left(20);
    return File{std::move(body), contentType, '"' + version + '"', version};
}

QByteArray WebAssets::contentTypeOf(const QString &fileName)
{
    if (fileName.endsWith(u".js"))
        return QByteArrayLiteral("text/javascript; charset=utf-8");
    if (fileName.endsWith(u".css"))
        return QByteArrayLiteral("text/css; charset=utf-8");
    if (fileName.endsWith(u".svg"))
        return QByteArrayLiteral("image/svg+xml");
    if (fileName.endsWith(u".png"))
        return QByteArrayLiteral("image/png");
    return QByteArrayLiteral("application/octet-stream");
}

const WebAssets::File *WebAssets::page(const QString &name) const
{
    const auto it = m_pages.constFind(name);
    return it == m_pages.cend() ? nullptr : &*it;
}

const WebAssets::File *WebAssets::asset(const QString &name) const
{
    const auto it = m_assets.constFind(name);
    return it == m_assets.cend() ? nullptr : &*it;
}
