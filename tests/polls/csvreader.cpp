#include "csvreader.h"

std::optional<QList<QStringList>> CsvReader::read(const QByteArray &data)
{
    const QString text = QString::fromUtf8(data);
    if (text.toUtf8() != data) {
        m_error = QStringLiteral("not valid UTF-8");
        return std::nullopt;
    }
    QList<QStringList> records;
    QStringList record;
    qsizetype i = 0;
    const qsizetype n = text.size();
    while (i < n) {
        QString field;
        if (text[i] == u'"') {
            ++i;
            for (;;) {
                if (i >= n) {
                    m_error = QStringLiteral("unterminated quoted field");
                    return std::nullopt;
                }
                if (text[i] == u'"') {
                    if (i + 1 < n && text[i + 1] == u'"') {
                        field += u'"';
                        i += 2;
                        continue;
                    }
                    ++i;
                    break;
                }
                field += text[i++];
            }
        } else {
            while (i < n && text[i] != u',' && text[i] != u'\r' && text[i] != u'\n') {
                if (text[i] == u'"') {
                    m_error = QStringLiteral("quote inside an unquoted field at %1").arg(i);
                    return std::nullopt;
                }
                field += text[i++];
            }
        }
        record.append(field);
        if (i < n && text[i] == u',') {
            ++i;
            continue;
        }
        if (i + 1 < n && text[i] == u'\r' && text[i + 1] == u'\n') {
            i += 2;
            records.append(record);
            record.clear();
            continue;
        }
        m_error = QStringLiteral("a record must end with CRLF (offset %1)").arg(i);
        return std::nullopt;
    }
    if (!record.isEmpty()) {
        m_error = QStringLiteral("the last record has no CRLF");
        return std::nullopt;
    }
    return records;
}
