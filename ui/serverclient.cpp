#include "serverclient.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QPointer>

QString ApiReply::errorCode() const
{
    return body.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toString();
}

QString ApiReply::errorMessage() const
{
    if (status == 0)
        return transportError.isEmpty()
                   ? QObject::tr("The server did not answer.")
                   : QObject::tr("The server did not answer (%1).").arg(transportError);
    const QString message =
        body.value(QStringLiteral("error")).toObject().value(QStringLiteral("message")).toString();
    if (!message.isEmpty())
        return message;
    return QObject::tr("The server answered with HTTP status %1.").arg(status);
}

ServerClient::ServerClient(QObject *parent)
    : QObject(parent), m_network(new QNetworkAccessManager(this))
{
    // The console talks to one server it was pointed at; a system proxy would only get
    // in the way of a loopback address.
    m_network->setProxy(QNetworkProxy::NoProxy);
}

void ServerClient::setBaseUrl(const QUrl &url)
{
    // A server behind a reverse proxy may live under a path ("http://host/tally"): keep
    // it, without its trailing slash, and put the API paths after it.
    m_baseUrl = url;
    QString path = url.path();
    while (path.endsWith(u'/'))
        path.chop(1);
    m_baseUrl.setPath(path);
    m_baseUrl.setQuery(QString());
    m_baseUrl.setFragment(QString());
}

QString ServerClient::apiPath(const QString &prefix, const QString &pollId, const QString &suffix)
{
    return prefix + QString::fromLatin1(QUrl::toPercentEncoding(pollId)) + suffix;
}

void ServerClient::get(const QString &path, QObject *context, Handler handler)
{
    send("GET", path, {}, Auth::None, context, std::move(handler));
}

void ServerClient::post(const QString &path, const QJsonObject &body, QObject *context,
                        Handler handler)
{
    send("POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact), Auth::None, context,
         std::move(handler));
}

void ServerClient::adminGet(const QString &path, QObject *context, Handler handler)
{
    send("GET", path, {}, Auth::Admin, context, std::move(handler));
}

void ServerClient::adminPost(const QString &path, const QJsonObject &body, QObject *context,
                             Handler handler)
{
    send("POST", path, QJsonDocument(body).toJson(QJsonDocument::Compact), Auth::Admin, context,
         std::move(handler));
}

void ServerClient::adminDelete(const QString &path, QObject *context, Handler handler)
{
    send("DELETE", path, {}, Auth::Admin, context, std::move(handler));
}

void ServerClient::send(const QByteArray &method, const QString &path, const QByteArray &body,
                        Auth auth, QObject *context, Handler handler)
{
    QUrl url = m_baseUrl;
    const qsizetype query = path.indexOf(u'?');
    url.setPath(m_baseUrl.path() + (query < 0 ? path : path.left(query)), QUrl::TolerantMode);
    if (query >= 0)
        url.setQuery(path.mid(query + 1));
    QNetworkRequest request(url);
    request.setTransferTimeout(RequestTimeoutMs);
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    if (!body.isEmpty() || method == "POST")
        request.setHeader(QNetworkRequest::ContentTypeHeader,
                          QByteArrayLiteral("application/json"));
    if (auth == Auth::Admin && !m_token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());

    QNetworkReply *reply = m_network->sendCustomRequest(request, method, body);
    ++m_pending;
    QPointer<QObject> guard(context);
    const bool hasContext = context != nullptr;
    connect(reply, &QNetworkReply::finished, this, [this, reply, guard, hasContext, handler] {
        --m_pending;
        reply->deleteLater();
        if (!handler || (hasContext && !guard))
            return;
        ApiReply answer;
        const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
        if (status.isValid()) {
            answer.status = status.toInt();
            answer.raw = reply->readAll();
            answer.body = QJsonDocument::fromJson(answer.raw).object();
            bool ok = false;
            const int retry = reply->rawHeader("Retry-After").trimmed().toInt(&ok);
            if (ok && retry >= 0)
                answer.retryAfterSeconds = retry;
        } else {
            answer.transportError = reply->errorString();
        }
        handler(answer);
    });
}
