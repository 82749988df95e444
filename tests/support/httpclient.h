#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QString>
#include <QUrl>
#include <functional>
#include <memory>

class QNetworkAccessManager;

using HttpHeaders = QMap<QByteArray, QByteArray>;

// One HTTP answer as a test sees it.
struct HttpResponse {
    int status = 0; // 0 when no HTTP answer arrived (connection error or timeout)
    QByteArray body;
    QJsonObject json; // the body, when it is a JSON object
    bool jsonObject = false;
    HttpHeaders headers; // names in lower case
    QString error;       // transport problem; empty when an answer arrived

    QByteArray header(const QByteArray &name) const { return headers.value(name.toLower()); }
    // `error.code` of a JSON error body, empty otherwise.
    QString errorCode() const;
    // Status, headers and body on a few lines, for failure messages.
    QString describe() const;
};

// Reads the status line and headers of a raw response head (everything before the blank
// line) into `response`; returns its Content-Length, or -1 when it announces none.
qint64 readResponseHead(const QByteArray &head, HttpResponse *response);

// A request for HttpClient::sendAll().
struct HttpRequest {
    QByteArray method = "GET";
    QString path; // with the query, e.g. "/api/v1/polls?theme=food"
    QByteArray body = {};
    HttpHeaders headers = {};
};

// Synchronous HTTP for tests: every call runs a local event loop until the answer
// arrives or the timeout passes (status 0 then). Paths are appended to the base URL;
// Qt resolves "." and ".." segments before sending, so use raw() to send a request
// target byte for byte.
//
// Bodies given as bytes are sent with "Content-Type: application/json" unless the
// headers name another type. Qt adds a Content-Type to any request with a body, so a
// request without one can only be made with raw().
class HttpClient {
public:
    explicit HttpClient(const QUrl &base, int timeoutMs = 10000);
    ~HttpClient();
    HttpClient(const HttpClient &) = delete;
    HttpClient &operator=(const HttpClient &) = delete;

    QUrl base() const { return m_base; }
    // Sent with every request unless the request names the header itself.
    void setDefaultHeader(const QByteArray &name, const QByteArray &value);

    HttpResponse get(const QString &path, const HttpHeaders &headers = {});
    HttpResponse del(const QString &path, const HttpHeaders &headers = {});
    HttpResponse post(const QString &path, const QByteArray &body = {},
                      const HttpHeaders &headers = {});
    HttpResponse put(const QString &path, const QByteArray &body = {},
                     const HttpHeaders &headers = {});
    HttpResponse postJson(const QString &path, const QJsonObject &json,
                          const HttpHeaders &headers = {});
    HttpResponse send(const QByteArray &method, const QString &path, const QByteArray &body = {},
                      const HttpHeaders &headers = {});

    // Sends every request at once and waits for all the answers (same order). The
    // requests are spread over `clients` connection pools of up to six keep-alive
    // connections each, so 4 clients talk to the server over up to 24 connections.
    QList<HttpResponse> sendAll(const QList<HttpRequest> &requests, int clients = 1);

    // Repeats GET `path` until `done` accepts the answer or `timeoutMs` passes, waiting
    // `intervalMs` between tries; returns the last answer.
    HttpResponse waitFor(const QString &path, const std::function<bool(const HttpResponse &)> &done,
                         int timeoutMs = 10000, int intervalMs = 20);

    // Writes `request` byte for byte on a new connection and reads one answer
    // (headers, then Content-Length bytes of body).
    HttpResponse raw(const QByteArray &request);
    // A raw request built from parts: request line, Host, the given headers, and a
    // Content-Length when there is a body or the method is POST or PUT. No Content-Type
    // unless given.
    HttpResponse raw(const QByteArray &method, const QByteArray &target,
                     const QByteArray &body = {}, const HttpHeaders &headers = {});

private:
    QUrl m_base;
    int m_timeoutMs;
    HttpHeaders m_defaultHeaders;
    std::unique_ptr<QNetworkAccessManager> m_manager;
};

// Checks a response's status and shows the whole response when it differs. Evaluates
// `response` once: it usually sends the request.
#define VERIFY_STATUS(response, expected)                                                          \
    do {                                                                                           \
        const HttpResponse &status_ = (response);                                                  \
        QVERIFY2(status_.status == (expected), qPrintable(status_.describe()));                    \
    } while (false)
