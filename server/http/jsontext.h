#pragma once

#include <QByteArray>
#include <QStringList>
#include <QStringView>

// Compact JSON text written straight into a byte array, byte for byte what
// QJsonDocument::toJson(Compact) writes for the same object (keys in the order the
// caller gives, which must be QJsonObject's sorted order), without building the
// QJsonObject first. For the hot answers (votes, bulk results).
class JsonText {
public:
    // Whether `text` is written as it is between the quotes (printable ASCII other than
    // '"' and '\\'), one byte per character.
    static bool isPlain(QStringView text);
    // Appends `text` as a JSON string, quotes included.
    static void appendString(QByteArray &out, QStringView text);
    // Appends `prefix` (such as `,"key":`) and `items` as a JSON array of strings.
    static void appendStringArray(QByteArray &out, QByteArrayView prefix, const QStringList &items);
    // `value` in decimal, as QByteArray::number() writes it, held on the stack.
    class Decimal {
    public:
        explicit Decimal(qint64 value = 0);
        QByteArrayView view() const { return {m_digits, m_size}; }

    private:
        char m_digits[20]; // "-9223372036854775808"
        qsizetype m_size = 0;
    };
    // Appends `value` in decimal, without a temporary array.
    static void appendInteger(QByteArray &out, qint64 value) { out.append(Decimal(value).view()); }
    // Appends `"key":` (the key is plain ASCII chosen by the caller).
    static void appendKey(QByteArray &out, QByteArrayView key)
    {
        out.append('"').append(key).append("\":");
    }
};
