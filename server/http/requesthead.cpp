#include "requesthead.h"

namespace {

bool isTokenChar(char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9'))
        return true;
    switch (c) {
    case '!':
    case '#':
    case '$':
    case '%':
    case '&':
    case '\'':
    case '*':
    case '+':
    case '-':
    case '.':
    case '^':
    case '_':
    case '`':
    case '|':
    case '~':
        return true;
    default:
        return false;
    }
}

bool isToken(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (char c : text)
        if (!isTokenChar(c))
            return false;
    return true;
}

bool is(QByteArrayView text, QByteArrayView lowerCase)
{
    // Lengths first: most names differ in length, and qstrnicmp costs far more.
    return text.size() == lowerCase.size() && text.compare(lowerCase, Qt::CaseInsensitive) == 0;
}

// A comma-separated header value (Connection, Upgrade) names `token`.
bool listHas(QByteArrayView value, QByteArrayView token)
{
    qsizetype start = 0;
    while (start <= value.size()) {
        qsizetype comma = value.indexOf(',', start);
        if (comma < 0)
            comma = value.size();
        if (is(value.sliced(start, comma - start).trimmed(), token))
            return true;
        start = comma + 1;
    }
    return false;
}

bool isDigits(QByteArrayView text)
{
    if (text.isEmpty())
        return false;
    for (char c : text)
        if (c < '0' || c > '9')
            return false;
    return true;
}

} // namespace

RequestHead::Refusal RequestHead::refusal(int status, const QByteArray &reason, const QString &code,
                                          const QString &message)
{
    return Refusal{status, reason, code, message};
}

void RequestHead::refuse(int status, const QByteArray &reason, const QString &code,
                         const QString &message)
{
    if (!m_refusal)
        m_refusal = refusal(status, reason, code, message);
}

qint64 RequestHead::BodyLimits::forTarget(QByteArrayView target) const
{
    if (largePath.isEmpty())
        return bytes;
    const qsizetype query = target.indexOf('?');
    const QByteArrayView path = query < 0 ? target : target.first(query);
    return path == QByteArrayView(largePath) ? qMax(bytes, largeBytes) : bytes;
}

bool RequestHead::parseRequestLine(QByteArrayView line, QByteArrayView *targetOut)
{
    // method SP request-target SP HTTP-version
    const qsizetype firstSpace = line.indexOf(' ');
    const qsizetype secondSpace = firstSpace < 0 ? -1 : line.indexOf(' ', firstSpace + 1);
    if (secondSpace < 0)
        return false;
    const QByteArrayView method = line.first(firstSpace);
    const QByteArrayView target = line.sliced(firstSpace + 1, secondSpace - firstSpace - 1);
    const QByteArrayView version = line.sliced(secondSpace + 1);
    if (!isToken(method) || target.isEmpty())
        return false;
    *targetOut = target;
    for (char c : target)
        if (uchar(c) <= ' ' || c == 0x7f)
            return false;
    if (version.size() != 8 || !version.startsWith("HTTP/") || version[6] != '.' ||
        version[5] < '0' || version[5] > '9' || version[7] < '0' || version[7] > '9')
        return false;
    m_getMethod = method == "GET";
    m_headMethod = method == "HEAD";
    if (target.startsWith("//")) {
        // Qt would read what follows "//" as a host name, not as a path.
        refuse(404, "Not Found", QStringLiteral("not_found"),
               QStringLiteral("There is no resource at %1.")
                   .arg(QString::fromLatin1(target.first(qMin<qsizetype>(target.size(), 200)))));
        return true;
    }
    if (version[5] != '1')
        refuse(505, "HTTP Version Not Supported", QStringLiteral("http_version_not_supported"),
               QStringLiteral("Tally speaks HTTP/1.0 and HTTP/1.1."));
    m_minorVersion = version[7] - '0';
    return true;
}

RequestHead RequestHead::parse(QByteArrayView head, const BodyLimits &limits)
{
    RequestHead result;
    const auto malformed = [&result](const QString &what) {
        result.refuse(400, "Bad Request", QStringLiteral("malformed_request"), what);
    };
    qsizetype lineStart = 0;
    qsizetype lineEnd = head.indexOf('\n');
    if (lineEnd < 0) {
        malformed(QStringLiteral("The request head is incomplete."));
        return result;
    }
    QByteArrayView requestLine = head.first(lineEnd);
    if (requestLine.endsWith('\r'))
        requestLine.chop(1);
    QByteArrayView target;
    if (!result.parseRequestLine(requestLine, &target))
        malformed(QStringLiteral("The request line is not 'METHOD /target HTTP/1.1'."));
    const qint64 maxBodyBytes = limits.forTarget(target);

    int contentLengths = 0;
    bool transferEncoding = false;
    bool connectionClose = false;
    bool connectionKeepAlive = false;
    bool connectionUpgrade = false;
    bool upgradeWebSocket = false;
    bool expectOther = false;
    bool badLength = false;
    bool badLine = false;
    for (lineStart = lineEnd + 1; lineStart < head.size(); lineStart = lineEnd + 1) {
        lineEnd = head.indexOf('\n', lineStart);
        if (lineEnd < 0)
            lineEnd = head.size();
        QByteArrayView line = head.sliced(lineStart, lineEnd - lineStart);
        if (line.endsWith('\r'))
            line.chop(1);
        if (line.isEmpty())
            break; // the end of the head
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0) {
            badLine = true;
            continue;
        }
        const QByteArrayView rawName = line.first(colon);
        const QByteArrayView name = rawName.trimmed();
        const QByteArrayView value = line.sliced(colon + 1).trimmed();
        // A folded line (leading white space), white space before the colon, odd
        // characters in a name or control characters in a value are refused: proxies
        // read them in different ways.
        if (!isToken(rawName))
            badLine = true;
        for (char c : value)
            if ((uchar(c) < ' ' && c != '\t') || c == 0x7f)
                badLine = true;
        if (is(name, "content-length")) {
            ++contentLengths;
            bool ok = false;
            const qlonglong length = isDigits(value) ? value.toLongLong(&ok) : -1;
            if (!ok && isDigits(value))
                result.m_contentLength = maxBodyBytes + 1; // too many digits for a number
            else if (!ok)
                badLength = true;
            else
                result.m_contentLength = length;
            if (result.m_contentLength > maxBodyBytes)
                result.refuse(
                    413, "Payload Too Large", QStringLiteral("body_too_large"),
                    QStringLiteral("The request body exceeds %1 bytes.").arg(maxBodyBytes));
        } else if (is(name, "transfer-encoding")) {
            transferEncoding = true; // chunked or not: bodies need a Content-Length
        } else if (is(name, "connection")) {
            connectionClose = connectionClose || listHas(value, "close");
            connectionKeepAlive = connectionKeepAlive || listHas(value, "keep-alive");
            connectionUpgrade = connectionUpgrade || listHas(value, "upgrade");
        } else if (is(name, "upgrade")) {
            upgradeWebSocket = upgradeWebSocket || is(value, "websocket");
        } else if (is(name, "expect")) {
            if (is(value, "100-continue"))
                result.m_expectContinue = true;
            else
                expectOther = true;
        }
    }
    if (transferEncoding && contentLengths > 0)
        result.refuse(400, "Bad Request", QStringLiteral("ambiguous_length"),
                      QStringLiteral("Send either Content-Length or Transfer-Encoding, not both."));
    if (transferEncoding)
        result.refuse(411, "Length Required", QStringLiteral("length_required"),
                      QStringLiteral("Send request bodies with a Content-Length."));
    if (contentLengths > 1)
        result.refuse(
            400, "Bad Request", QStringLiteral("ambiguous_length"),
            QStringLiteral("Send one Content-Length header, not %1.").arg(contentLengths));
    if (badLength)
        result.refuse(400, "Bad Request", QStringLiteral("malformed_request"),
                      QStringLiteral("Content-Length must be a number of bytes."));
    if (badLine)
        malformed(QStringLiteral("A header line is malformed."));
    if (expectOther)
        result.refuse(417, "Expectation Failed", QStringLiteral("expectation_failed"),
                      QStringLiteral("Only 'Expect: 100-continue' is supported."));
    result.m_keepAlive =
        result.m_minorVersion >= 1 ? !connectionClose : connectionKeepAlive && !connectionClose;
    result.m_webSocketHandshake = result.m_getMethod && upgradeWebSocket && connectionUpgrade &&
                                  result.m_contentLength == 0 && !transferEncoding;
    return result;
}
