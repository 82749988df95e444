#pragma once

#include <QByteArray>
#include <QList>
#include <QString>
#include <QStringList>
#include <optional>

// A strict RFC 4180 reader for the export tests, written apart from the server's
// writer: records end with CRLF, fields are separated by commas, a field holding a
// comma, quote, CR or LF is quoted and its quotes doubled. Input is UTF-8.
class CsvReader {
public:
    // Every record of `data`, or nullopt (with error()) when it breaks the grammar.
    std::optional<QList<QStringList>> read(const QByteArray &data);
    QString error() const { return m_error; }

private:
    QString m_error;
};
