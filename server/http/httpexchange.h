#pragma once

#include "core/tallyerror.h"
#include "leanrequest.h"
#include "requesttrace.h"

#include <QHttpServerRequest>
#include <QHttpServerResponder>
#include <QJsonObject>
#include <QPointer>
#include <QTcpSocket>
#include <memory>
#include <span>

class RequestGuard;

// One request and the means to answer it, now or later. Copies share the same
// responder, so an exchange can be captured by a callback that answers after an
// asynchronous storage call; the answer is dropped if the client has gone.
// Use on the worker thread that received the request.
class HttpExchange {
public:
    using Status = QHttpServerResponder::StatusCode;

    HttpExchange(const QHttpServerRequest &request, QHttpServerResponder &&responder);
    // A request read by the lean path (see LeanRequest): answered straight on `socket`.
    HttpExchange(const LeanRequest &request, QTcpSocket *socket);

    QHttpServerRequest::Method method() const { return m_state->method; }
    const QString &path() const { return m_state->path; }
    const QByteArray &body() const { return m_state->body; }
    QHostAddress peer() const { return m_state->peer; }
    // Who sent the request (RequestGuard::clientOf; the peer without a guard), worked
    // out on the first call.
    const QString &client(const RequestGuard *guard) const;
    // A header's value (empty when absent), valid as long as the exchange or a copy of it.
    QByteArrayView header(QByteArrayView name) const;
    bool hasHeader(QByteArrayView name) const;
    QString queryValue(const QString &key) const;

    bool answered() const { return m_state->answered; }
    // Measures the request and reports it once answered (metrics, access log).
    void setTrace(std::shared_ptr<RequestTrace> trace) { m_state->trace = std::move(trace); }
    RequestTrace *trace() const { return m_state->trace.get(); }
    void replyJson(Status status, const QJsonObject &body, const QByteArray &headerName = {},
                   const QByteArray &headerValue = {}) const;
    void replyError(const TallyError &error) const;
    void replyError(Status status, const QString &code, const QString &message,
                    const QByteArray &headerName = {}, const QByteArray &headerValue = {}) const;
    void replyEmpty(Status status) const;
    void replyRaw(Status status, const QByteArray &mimeType, const QByteArray &body) const;
    // Answers with exactly these headers plus Content-Length. With `headersOnly` (a HEAD
    // request) the body is left out but its length is still announced.
    void replyWithHeaders(Status status, const QList<QPair<QByteArray, QByteArray>> &headers,
                          const QByteArray &body, bool headersOnly = false) const;

    static Status statusFor(TallyError::Kind kind);
    // The request path as sent: percent-encoding kept (Router decodes per segment).
    static QString rawPath(const QHttpServerRequest &request);

private:
    bool claim(Status status) const;
    // The lean path's writer: the same bytes QHttpServerResponder would send.
    void sendDirect(Status status, std::span<const QPair<QByteArray, QByteArray>> headers,
                    const QByteArray &body, bool withoutBody) const;
    // Writes the whole answer: the body is left out for HEAD (its length stays) and for
    // 204/304, and the connection's guard adds Connection and learns that the answer is out.
    using Header = QPair<QByteArray, QByteArray>;
    void send(Status status, std::span<const Header> headers, const QByteArray &body,
              bool headersOnly = false) const;

    // Everything about the request and its answer, shared by the copies: capturing an
    // exchange in a callback costs one reference count.
    struct State {
        QHttpServerRequest::Method method = QHttpServerRequest::Method::Unknown;
        QString path;
        QByteArray body;
        QByteArray raw; // the lean path's request, which its headers point into
        QList<QPair<QByteArray, QByteArray>> headers;
        QUrlQuery query;
        QHostAddress peer;
        QString peerName;
        QString client;
        bool clientKnown = false;
        bool answered = false;
        std::unique_ptr<QHttpServerResponder> responder;
        QPointer<QTcpSocket> socket;
        std::shared_ptr<RequestTrace> trace;
    };
    std::shared_ptr<State> m_state;
};
