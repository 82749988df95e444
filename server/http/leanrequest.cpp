#include "leanrequest.h"

namespace {

bool isPathCharacter(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '.' || c == '_' || c == '~' || c == '/';
}

QByteArrayView trimmed(QByteArrayView value)
{
    while (!value.isEmpty() && (value.front() == ' ' || value.front() == '\t'))
        value = value.sliced(1);
    while (!value.isEmpty() &&
           (value.back() == ' ' || value.back() == '\t' || value.back() == '\r'))
        value.chop(1);
    return value;
}

// One segment after `prefix`: "{prefix}{name}/{id}" with a non-empty id and no further '/'.
bool isIdRoute(QByteArrayView path, QByteArrayView prefix, QByteArrayView name)
{
    if (!path.startsWith(prefix))
        return false;
    path = path.sliced(prefix.size());
    if (!path.startsWith(name))
        return false;
    const QByteArrayView id = path.sliced(name.size());
    return !id.isEmpty() && !id.contains('/');
}

} // namespace

bool LeanRequest::isHotRoute(Method method, QByteArrayView path, QByteArrayView prefix)
{
    // Segments "." and ".." are resolved by QUrl; leave them to it.
    for (qsizetype start = 0; start < path.size();) {
        qsizetype end = path.indexOf('/', start);
        if (end < 0)
            end = path.size();
        const QByteArrayView segment = path.sliced(start, end - start);
        if (segment == "." || segment == "..")
            return false;
        start = end + 1;
    }
    if (method == Method::Post)
        return isIdRoute(path, prefix, "/vote/") ||
               (path.startsWith(prefix) && path.sliced(prefix.size()) == "/votes");
    if (method == Method::Get || method == Method::Head)
        return isIdRoute(path, prefix, "/results/");
    return false;
}

std::optional<LeanRequest> LeanRequest::parse(const QByteArray &request, QByteArrayView apiPrefix)
{
    qsizetype position = 0;
    while (position < request.size() && (request[position] == '\r' || request[position] == '\n'))
        ++position;
    const auto nextLine = [&](QByteArrayView *line) {
        const qsizetype end = request.indexOf('\n', position);
        if (end < 0)
            return false;
        *line = QByteArrayView(request).sliced(position, end - position);
        if (line->endsWith('\r'))
            line->chop(1);
        position = end + 1;
        return true;
    };

    QByteArrayView line;
    if (!nextLine(&line))
        return std::nullopt;
    const qsizetype firstSpace = line.indexOf(' ');
    const qsizetype secondSpace = firstSpace < 0 ? -1 : line.indexOf(' ', firstSpace + 1);
    if (secondSpace < 0 || line.indexOf(' ', secondSpace + 1) >= 0)
        return std::nullopt;
    const QByteArrayView methodName = line.first(firstSpace);
    const QByteArrayView target = line.sliced(firstSpace + 1, secondSpace - firstSpace - 1);
    const QByteArrayView version = line.sliced(secondSpace + 1);
    if (version != "HTTP/1.1" && version != "HTTP/1.0")
        return std::nullopt;
    LeanRequest result;
    if (methodName == "POST")
        result.m_method = Method::Post;
    else if (methodName == "GET")
        result.m_method = Method::Get;
    else if (methodName == "HEAD")
        result.m_method = Method::Head;
    else
        return std::nullopt;
    if (!target.startsWith('/') || target.startsWith("//"))
        return std::nullopt;
    for (char c : target)
        if (!isPathCharacter(c))
            return std::nullopt;
    if (!isHotRoute(result.m_method, target, apiPrefix))
        return std::nullopt;
    // Views into the request's own bytes, kept alive by m_raw: no copy per header.
    result.m_raw = request;
    const auto view = [](QByteArrayView text) {
        return QByteArray::fromRawData(text.data(), text.size());
    };
    result.m_path = view(target);
    result.m_headers.reserve(8);

    qint64 contentLength = 0;
    for (;;) {
        if (!nextLine(&line))
            return std::nullopt; // no end of head: not a framed request
        if (line.isEmpty())
            break;
        const qsizetype colon = line.indexOf(':');
        if (colon <= 0 || line.first(colon).contains(' ') || line.first(colon).contains('\t'))
            return std::nullopt;
        const QByteArrayView name = line.first(colon);
        const QByteArrayView value = trimmed(line.sliced(colon + 1));
        for (const auto &[known, knownValue] : std::as_const(result.m_headers))
            if (known.size() == name.size() &&
                QByteArrayView(known).compare(name, Qt::CaseInsensitive) == 0)
                return std::nullopt; // Qt may join repeated headers; let it
        if (name.size() == 14 && name.compare("Content-Length", Qt::CaseInsensitive) == 0) {
            bool ok = false;
            contentLength = value.toLongLong(&ok);
            if (!ok || contentLength < 0)
                return std::nullopt;
        }
        result.m_headers.append({view(name), view(value)});
    }
    if (request.size() - position != contentLength)
        return std::nullopt;
    result.m_body = request.sliced(position);
    return result;
}
