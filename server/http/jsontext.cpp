#include "jsontext.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <charconv>

void JsonText::appendInteger(QByteArray &out, qint64 value)
{
    char digits[24];
    const std::to_chars_result written = std::to_chars(std::begin(digits), std::end(digits), value);
    out.append(digits, written.ptr - digits);
}

bool JsonText::isPlain(QStringView text)
{
    for (QChar c : text) {
        const char16_t u = c.unicode();
        if (u < 0x20 || u > 0x7e || u == '"' || u == '\\')
            return false;
    }
    return true;
}

void JsonText::appendString(QByteArray &out, QStringView text)
{
    // Printable ASCII other than '"' and '\\' is written as is, as Qt does; anything
    // else takes Qt's own encoder, so escapes and UTF-8 stay exactly Qt's.
    if (isPlain(text)) {
        out.append('"');
        const qsizetype from = out.size();
        out.resize(from + text.size());
        char *to = out.data() + from;
        for (QChar c : text)
            *to++ = char(c.unicode());
        out.append('"');
        return;
    }
    const QByteArray array =
        QJsonDocument(QJsonArray{text.toString()}).toJson(QJsonDocument::Compact);
    out.append(QByteArrayView(array).sliced(1, array.size() - 2)); // without [ and ]
}

void JsonText::appendStringArray(QByteArray &out, QByteArrayView prefix, const QStringList &items)
{
    out.append(prefix).append('[');
    for (qsizetype i = 0; i < items.size(); ++i) {
        if (i > 0)
            out.append(',');
        appendString(out, items.at(i));
    }
    out.append(']');
}
