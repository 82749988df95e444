#pragma once

#include "protocol/protocol.h"

#include <QByteArray>
#include <QJsonObject>
#include <QObject>
#include <QString>
#include <QUrl>
#include <functional>

class QNetworkAccessManager;

// One answer of the REST API as the console sees it.
struct ApiReply {
    int status = 0;             // 0: no HTTP answer (unreachable, refused, timed out)
    QJsonObject body;           // the body when it is a JSON object
    QByteArray raw;             // the body as received (an export file, for instance)
    QString transportError;     // set when status is 0
    int retryAfterSeconds = -1; // the Retry-After header of a 429 or 503, -1 without one

    bool ok() const { return status >= 200 && status < 300; }
    bool reachable() const { return status != 0; }
    // The server asked to come back later (rate limited or overloaded).
    bool retryLater() const { return (status == 429 || status == 503) && retryAfterSeconds >= 0; }
    // `error.code` of a JSON error body, empty otherwise.
    QString errorCode() const;
    // A sentence for the operator: the server's message, or what went wrong on the way.
    QString errorMessage() const;
};

// The console's only way to the server's REST API. Every call is asynchronous: the
// handler runs on the GUI thread when the answer arrives, unless `context` was
// destroyed first. Admin calls (create, close, open, delete, reset, reveal, export, and
// result reads that must see hidden counts) carry the admin token.
class ServerClient : public QObject {
    Q_OBJECT
public:
    using Handler = std::function<void(const ApiReply &reply)>;

    static constexpr int RequestTimeoutMs = 5000;

    explicit ServerClient(QObject *parent = nullptr);

    void setBaseUrl(const QUrl &url);
    QUrl baseUrl() const { return m_baseUrl; }
    void setAdminToken(const QString &token) { m_token = token; }
    QString adminToken() const { return m_token; }

    // The server's API prefix (its --api-prefix, default /api/v1): api() puts a path
    // of the protocol (Protocol::StatsPath, ...) after it.
    void setApiPrefix(const QString &prefix) { m_apiPrefix = prefix; }
    QString apiPrefix() const { return m_apiPrefix; }
    QString api(QStringView path) const { return m_apiPrefix + path.toString(); }

    // Requests sent and not yet answered.
    int pending() const { return m_pending; }

    void get(const QString &path, QObject *context, Handler handler);
    void post(const QString &path, const QJsonObject &body, QObject *context, Handler handler);
    // A GET with the admin token when one is set (results the audience cannot see yet).
    void adminGet(const QString &path, QObject *context, Handler handler);
    void adminPost(const QString &path, const QJsonObject &body, QObject *context, Handler handler);
    void adminDelete(const QString &path, QObject *context, Handler handler);

    // `path` with each segment percent-encoded, e.g. pollPath("/results/", id).
    static QString apiPath(const QString &prefix, const QString &pollId,
                           const QString &suffix = {});

private:
    enum class Auth { None, Admin };
    void send(const QByteArray &method, const QString &path, const QByteArray &body, Auth auth,
              QObject *context, Handler handler);

    QNetworkAccessManager *m_network;
    QUrl m_baseUrl;
    QString m_token;
    QString m_apiPrefix = Protocol::DefaultApiPrefix.toString();
    int m_pending = 0;
};
