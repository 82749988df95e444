#include "jsontext.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <charconv>

JsonText::Decimal::Decimal(qint64 value)
    : m_size(std::to_chars(std::begin(m_digits), std::end(m_digits), value).ptr - m_digits)
{
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
