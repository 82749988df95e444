#include "serverclient.h"

#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkReply>

namespace {
constexpr int RequestTimeoutMs = 5000;
}

ServerClient::ServerClient(QObject *parent)
    : QObject(parent), m_network(new QNetworkAccessManager(this))
{
}

static void finish(QNetworkReply *reply, const ServerClient::Handler &handler)
{
    QObject::connect(reply, &QNetworkReply::finished, reply, [reply, handler] {
        const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
        const QJsonObject body = QJsonDocument::fromJson(reply->readAll()).object();
        reply->deleteLater();
        if (handler)
            handler(status, body);
    });
}

void ServerClient::get(const QString &path, Handler handler)
{
    QNetworkRequest request(m_baseUrl.resolved(QUrl(path)));
    request.setTransferTimeout(RequestTimeoutMs);
    finish(m_network->get(request), handler);
}

void ServerClient::post(const QString &path, const QJsonObject &body, Handler handler)
{
    QNetworkRequest request(m_baseUrl.resolved(QUrl(path)));
    request.setTransferTimeout(RequestTimeoutMs);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    if (!m_token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + m_token.toUtf8());
    finish(m_network->post(request, QJsonDocument(body).toJson(QJsonDocument::Compact)), handler);
}
