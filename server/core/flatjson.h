#pragma once

#include <QByteArrayView>
#include <QStringView>
#include <array>
#include <optional>

// Reads one flat JSON object whose members are all plain: keys and string values of
// printable ASCII without escapes, integer values of at most 15 digits (exact in a
// double, so Qt reads and writes them as written). Anything else (escapes, other
// characters, nesting, fractions, literals, more than MaxMembers members) is not read:
// read() returns nullopt and the caller takes QJsonDocument, so every verdict on such
// input stays Qt's. What it does read means the same as Qt's reading of it. For the hot
// vote bodies and frames, which are plain in practice.
class FlatJson {
public:
    static constexpr int MaxMembers = 8;
    enum class Kind { String, Integer };
    struct Member {
        qsizetype keyFrom = 0; // positions in the text read, quotes excluded
        qsizetype keyLength = 0;
        Kind kind = Kind::String;
        qsizetype valueFrom = 0; // quotes excluded for a string
        qsizetype valueLength = 0;
    };
    struct Object {
        std::array<Member, MaxMembers> members;
        int size = 0;
        qsizetype end = 0; // just after the closing brace
    };

    // The object starting at `from` (after optional whitespace) in UTF-8 `text`.
    static std::optional<Object> read(QByteArrayView text, qsizetype from);
    // The same in UTF-16 `text`.
    static std::optional<Object> read(QStringView text, qsizetype from);
    // JSON whitespace (space, tab, line feed, carriage return) from `from` on skipped.
    static qsizetype skipSpace(QByteArrayView text, qsizetype from);
    static qsizetype skipSpace(QStringView text, qsizetype from);
};
