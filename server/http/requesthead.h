#pragma once

#include <QByteArray>
#include <QByteArrayView>
#include <QString>

// One complete request head (request line and header lines, up to and including the
// empty line that ends it), read with the rules that keep Tally and any proxy in front
// of it agreeing on where each request ends: a single Content-Length of plain digits,
// no Transfer-Encoding, no folded or malformed header lines, HTTP/1.x only. What is
// not acceptable becomes a refusal: the status, reason phrase and JSON error to send
// before closing the connection.
class RequestHead {
public:
    struct Refusal {
        int status = 0; // 0: none
        QByteArray reason;
        QString code;
        QString message;

        explicit operator bool() const { return status != 0; }
    };

    // Declared bodies above the limit of their target are refused with 413: `bytes` for
    // every target but `largePath` (the bulk vote route), which takes `largeBytes`.
    struct BodyLimits {
        qint64 bytes = 16384;
        QByteArray largePath;
        qint64 largeBytes = 0;

        qint64 forTarget(QByteArrayView target) const;
    };

    static RequestHead parse(QByteArrayView head, const BodyLimits &limits);
    static RequestHead parse(QByteArrayView head, qint64 maxBodyBytes)
    {
        return parse(head, BodyLimits{maxBodyBytes, {}, 0});
    }

    const Refusal &refusal() const { return m_refusal; }
    bool isHeadMethod() const { return m_headMethod; }
    qint64 contentLength() const { return m_contentLength; } // 0 when none
    bool keepAlive() const { return m_keepAlive; }
    // HTTP/1.0 keeps the connection open only when asked; the answer then says so.
    bool announceKeepAlive() const { return m_keepAlive && m_minorVersion == 0; }
    bool expectsContinue() const { return m_expectContinue; }
    bool isWebSocketHandshake() const { return m_webSocketHandshake; }

    static Refusal refusal(int status, const QByteArray &reason, const QString &code,
                           const QString &message);

private:
    bool parseRequestLine(QByteArrayView line, QByteArrayView *target);
    void refuse(int status, const QByteArray &reason, const QString &code, const QString &message);

    Refusal m_refusal;
    bool m_headMethod = false;
    bool m_getMethod = false;
    int m_minorVersion = 1;
    qint64 m_contentLength = 0;
    bool m_keepAlive = true;
    bool m_expectContinue = false;
    bool m_webSocketHandshake = false;
};
