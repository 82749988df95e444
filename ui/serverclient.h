#pragma once

#include <QJsonObject>
#include <QObject>
#include <QUrl>
#include <functional>

class QNetworkAccessManager;

// The console's only way to the server: its REST API.
class ServerClient : public QObject {
    Q_OBJECT
public:
    using Handler = std::function<void(int status, const QJsonObject &body)>;

    explicit ServerClient(QObject *parent = nullptr);

    void setBaseUrl(const QUrl &url) { m_baseUrl = url; }
    QUrl baseUrl() const { return m_baseUrl; }
    void setAdminToken(const QString &token) { m_token = token; }

    // status 0 means the server could not be reached.
    void get(const QString &path, Handler handler);
    void post(const QString &path, const QJsonObject &body, Handler handler);

private:
    QNetworkAccessManager *m_network;
    QUrl m_baseUrl;
    QString m_token;
};
