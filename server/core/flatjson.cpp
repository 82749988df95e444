#include "flatjson.h"

namespace {

constexpr int MaxIntegerDigits = 15;

template <typename View> char16_t at(View text, qsizetype i)
{
    if constexpr (std::is_same_v<View, QStringView>)
        return text[i].unicode();
    else
        return char16_t(uchar(text[i]));
}

template <typename View> qsizetype skip(View text, qsizetype i)
{
    while (i < text.size()) {
        const char16_t c = at(text, i);
        if (c != ' ' && c != '\t' && c != '\n' && c != '\r')
            break;
        ++i;
    }
    return i;
}

// A plain string at `i` (on its opening quote): its contents' position and length, and
// the position after its closing quote; -1 when it is not plain.
template <typename View>
qsizetype plainString(View text, qsizetype i, qsizetype *from, qsizetype *length)
{
    if (i >= text.size() || at(text, i) != '"')
        return -1;
    const qsizetype start = ++i;
    for (; i < text.size(); ++i) {
        const char16_t c = at(text, i);
        if (c == '"') {
            *from = start;
            *length = i - start;
            return i + 1;
        }
        if (c < 0x20 || c > 0x7e || c == '\\')
            return -1;
    }
    return -1;
}

// An integer at `i`: "0", or an optional minus and 1-15 digits without a leading zero
// ("-0" is left to Qt). Returns the position after it, or -1.
template <typename View> qsizetype plainInteger(View text, qsizetype i)
{
    const qsizetype start = i;
    if (i < text.size() && at(text, i) == '-')
        ++i;
    const qsizetype digitsFrom = i;
    while (i < text.size() && at(text, i) >= '0' && at(text, i) <= '9')
        ++i;
    const qsizetype digits = i - digitsFrom;
    if (digits == 0 || digits > MaxIntegerDigits)
        return -1;
    if (at(text, digitsFrom) == '0' && (digits > 1 || digitsFrom > start))
        return -1;
    // A fraction or exponent makes it a number Qt may write differently.
    if (i < text.size()) {
        const char16_t c = at(text, i);
        if (c == '.' || c == 'e' || c == 'E')
            return -1;
    }
    return i;
}

template <typename View> std::optional<FlatJson::Object> readObject(View text, qsizetype i)
{
    FlatJson::Object object;
    i = skip(text, i);
    if (i >= text.size() || at(text, i) != '{')
        return std::nullopt;
    i = skip(text, i + 1);
    if (i < text.size() && at(text, i) == '}') {
        object.end = i + 1;
        return object;
    }
    for (;;) {
        if (object.size == FlatJson::MaxMembers)
            return std::nullopt;
        FlatJson::Member &member = object.members[size_t(object.size++)];
        i = plainString(text, i, &member.keyFrom, &member.keyLength);
        if (i < 0)
            return std::nullopt;
        i = skip(text, i);
        if (i >= text.size() || at(text, i) != ':')
            return std::nullopt;
        i = skip(text, i + 1);
        if (i >= text.size())
            return std::nullopt;
        if (at(text, i) == '"') {
            member.kind = FlatJson::Kind::String;
            i = plainString(text, i, &member.valueFrom, &member.valueLength);
        } else {
            member.kind = FlatJson::Kind::Integer;
            member.valueFrom = i;
            i = plainInteger(text, i);
            member.valueLength = i - member.valueFrom;
        }
        if (i < 0)
            return std::nullopt;
        i = skip(text, i);
        if (i >= text.size())
            return std::nullopt;
        if (at(text, i) == '}') {
            object.end = i + 1;
            return object;
        }
        if (at(text, i) != ',')
            return std::nullopt;
        i = skip(text, i + 1);
    }
}

} // namespace

std::optional<FlatJson::Object> FlatJson::read(QByteArrayView text, qsizetype from)
{
    return readObject(text, from);
}

std::optional<FlatJson::Object> FlatJson::read(QStringView text, qsizetype from)
{
    return readObject(text, from);
}

qsizetype FlatJson::skipSpace(QByteArrayView text, qsizetype from)
{
    return skip(text, from);
}

qsizetype FlatJson::skipSpace(QStringView text, qsizetype from)
{
    return skip(text, from);
}
