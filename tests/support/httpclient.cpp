#include "httpclient.h"

#include <QDeadlineTimer>
#include <QEventLoop>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QPointer>
#include <QTcpSocket>
#include <QTest>
#include <QTimer>

namespace {

std::unique_ptr<QNetworkAccessManager> newManager()
{
    auto manager = std::make_unique<QNetworkAccessManager>();
    manager->setProxy(QNetworkProxy::NoProxy);
    manager->setRedirectPolicy(QNetworkRequest::ManualRedirectPolicy);
    return manager;
}

void parseJson(HttpResponse &response)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(response.body, &error);
    response.jsonObject = error.error == QJsonParseError::NoError && document.isObject();
    if (response.jsonObject)
        response.json = document.object();
}

HttpResponse responseOf(QNetworkReply *reply)
{
    HttpResponse response;
    const QVariant status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    if (!status.isValid()) {
        response.error =
            reply->errorString().isEmpty() ? QStringLiteral("no answer") : reply->errorString();
        return response;
    }
    response.status = status.toInt();
    response.body = reply->readAll();
    for (const auto &[name, value] : reply->rawHeaderPairs())
        response.headers.insert(name.toLower(), value);
    parseJson(response);
    return response;
}

} // namespace

QString HttpResponse::errorCode() const
{
    return json.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toString();
}

QString HttpResponse::describe() const
{
    if (status == 0)
        return QStringLiteral("no HTTP answer: %1").arg(error);
    QString text = QStringLiteral("HTTP %1\n").arg(status);
    for (auto it = headers.cbegin(); it != headers.cend(); ++it)
        text += QStringLiteral("%1: %2\n")
                    .arg(QString::fromLatin1(it.key()), QString::fromLatin1(it.value()));
    text += QString::fromUtf8(body.left(2000));
    return text;
}

qint64 readResponseHead(const QByteArray &head, HttpResponse *response)
{
    const QList<QByteArray> lines = head.split('\n');
    const QList<QByteArray> statusLine = lines.constFirst().trimmed().split(' ');
    response->status = statusLine.size() >= 2 ? statusLine[1].toInt() : 0;
    for (qsizetype i = 1; i < lines.size(); ++i) {
        const qsizetype colon = lines[i].indexOf(':');
        if (colon > 0)
            response->headers.insert(lines[i].left(colon).trimmed().toLower(),
                                     lines[i].mid(colon + 1).trimmed());
    }
    bool ok = false;
    const qint64 length = response->headers.value("content-length").toLongLong(&ok);
    return ok ? length : -1;
}

HttpClient::HttpClient(const QUrl &base, int timeoutMs)
    : m_base(base), m_timeoutMs(timeoutMs), m_manager(newManager())
{
}

HttpClient::~HttpClient() = default;

void HttpClient::setDefaultHeader(const QByteArray &name, const QByteArray &value)
{
    m_defaultHeaders.insert(name, value);
}

HttpResponse HttpClient::get(const QString &path, const HttpHeaders &headers)
{
    return send("GET", path, {}, headers);
}

HttpResponse HttpClient::del(const QString &path, const HttpHeaders &headers)
{
    return send("DELETE", path, {}, headers);
}

HttpResponse HttpClient::post(const QString &path, const QByteArray &body,
                              const HttpHeaders &headers)
{
    return send("POST", path, body, headers);
}

HttpResponse HttpClient::put(const QString &path, const QByteArray &body,
                             const HttpHeaders &headers)
{
    return send("PUT", path, body, headers);
}

HttpResponse HttpClient::postJson(const QString &path, const QJsonObject &json,
                                  const HttpHeaders &headers)
{
    return send("POST", path, QJsonDocument(json).toJson(QJsonDocument::Compact), headers);
}

HttpResponse HttpClient::send(const QByteArray &method, const QString &path, const QByteArray &body,
                              const HttpHeaders &headers)
{
    return sendAll({HttpRequest{method, path, body, headers}}).constFirst();
}

QList<HttpResponse> HttpClient::sendAll(const QList<HttpRequest> &requests, int clients)
{
    std::vector<std::unique_ptr<QNetworkAccessManager>> extra;
    std::vector<QNetworkAccessManager *> managers{m_manager.get()};
    for (int i = 1; i < clients; ++i) {
        extra.push_back(newManager());
        managers.push_back(extra.back().get());
    }

    QEventLoop loop;
    QList<QPointer<QNetworkReply>> replies;
    qsizetype pending = requests.size();
    for (qsizetype i = 0; i < requests.size(); ++i) {
        const HttpRequest &request = requests[i];
        QNetworkRequest networkRequest(
            QUrl(m_base.toString(QUrl::FullyEncoded | QUrl::StripTrailingSlash) + request.path));
        networkRequest.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
        HttpHeaders headers = m_defaultHeaders;
        for (auto it = request.headers.cbegin(); it != request.headers.cend(); ++it)
            headers.insert(it.key(), it.value());
        bool typed = false;
        for (auto it = headers.cbegin(); it != headers.cend(); ++it) {
            networkRequest.setRawHeader(it.key(), it.value());
            typed = typed || it.key().compare("content-type", Qt::CaseInsensitive) == 0;
        }
        if (!typed && !request.body.isEmpty())
            networkRequest.setRawHeader("Content-Type", "application/json");
        QNetworkReply *reply = managers[size_t(i) % managers.size()]->sendCustomRequest(
            networkRequest, request.method, request.body);
        QObject::connect(reply, &QNetworkReply::finished, &loop, [&pending, &loop] {
            if (--pending == 0)
                loop.quit();
        });
        replies.append(reply);
    }
    // One deadline for the whole set: a request that has not finished by then is
    // aborted and answers with status 0.
    const int timeoutMs = int(qMin<qint64>(qint64(m_timeoutMs) + requests.size() * 20, 120000));
    QTimer::singleShot(timeoutMs, &loop, &QEventLoop::quit);
    if (pending > 0)
        loop.exec();

    QList<HttpResponse> responses;
    for (const QPointer<QNetworkReply> &reply : replies) {
        if (!reply) {
            responses.append(HttpResponse{0, {}, {}, false, {}, QStringLiteral("reply vanished")});
            continue;
        }
        if (!reply->isFinished()) {
            reply->abort();
            HttpResponse timedOut;
            timedOut.error = QStringLiteral("timed out after %1 ms").arg(timeoutMs);
            responses.append(timedOut);
        } else {
            responses.append(responseOf(reply));
        }
        delete reply.data();
    }
    return responses;
}

HttpResponse HttpClient::waitFor(const QString &path,
                                 const std::function<bool(const HttpResponse &)> &done,
                                 int timeoutMs, int intervalMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    for (;;) {
        HttpResponse response = get(path);
        if (done(response) || deadline.hasExpired())
            return response;
        QTest::qWait(intervalMs);
    }
}

HttpResponse HttpClient::raw(const QByteArray &method, const QByteArray &target,
                             const QByteArray &body, const HttpHeaders &headers)
{
    QByteArray request = method + ' ' + target + " HTTP/1.1\r\nHost: " + m_base.host().toLatin1() +
                         ':' + QByteArray::number(m_base.port()) + "\r\n";
    for (auto it = headers.cbegin(); it != headers.cend(); ++it)
        request += it.key() + ": " + it.value() + "\r\n";
    if (!body.isEmpty() || method == "POST" || method == "PUT")
        request += "Content-Length: " + QByteArray::number(body.size()) + "\r\n";
    request += "\r\n" + body;
    return raw(request);
}

HttpResponse HttpClient::raw(const QByteArray &request)
{
    HttpResponse response;
    const QDeadlineTimer deadline(m_timeoutMs);
    QTcpSocket socket;
    socket.setProxy(QNetworkProxy::NoProxy);
    socket.connectToHost(m_base.host(), quint16(m_base.port()));
    if (!socket.waitForConnected(int(deadline.remainingTime()))) {
        response.error = socket.errorString();
        return response;
    }
    socket.write(request);

    QByteArray data;
    qsizetype headerEnd = -1;
    qint64 contentLength = -1;
    for (;;) {
        if (headerEnd < 0) {
            headerEnd = data.indexOf("\r\n\r\n");
            if (headerEnd >= 0) {
                contentLength = readResponseHead(data.left(headerEnd), &response);
            }
        }
        if (headerEnd >= 0 && contentLength >= 0 && data.size() - headerEnd - 4 >= contentLength)
            break;
        if (deadline.hasExpired() || socket.state() != QAbstractSocket::ConnectedState) {
            data += socket.readAll();
            break;
        }
        if (socket.waitForReadyRead(int(qMin<qint64>(deadline.remainingTime(), 200))))
            data += socket.readAll();
    }
    if (headerEnd < 0) {
        response.status = 0;
        response.headers.clear();
        response.error =
            data.isEmpty()
                ? QStringLiteral("no answer")
                : QStringLiteral("unreadable answer: %1").arg(QString::fromLatin1(data.left(200)));
        return response;
    }
    response.body = data.mid(headerEnd + 4);
    if (contentLength >= 0)
        response.body.truncate(contentLength);
    else if (socket.state() == QAbstractSocket::ConnectedState)
        response.error = QStringLiteral("no Content-Length; body read until the deadline");
    parseJson(response);
    return response;
}
