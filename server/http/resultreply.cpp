#include "resultreply.h"
#include "core/poll.h"
#include "jsontext.h"

#include <algorithm>
#include <array>
#include <charconv>
#include <cstring>

namespace {

// The common case, where the poll id and the source need no escapes: every piece is
// measured, then copied into an array of exactly that size.
QByteArray encodePlain(const QString &pollId, const ResultService::Results &results)
{
    struct Number {
        char digits[24];
        qsizetype size = 0;
        void set(qint64 value)
        {
            size = std::to_chars(std::begin(digits), std::end(digits), value).ptr - digits;
        }
        QByteArrayView view() const { return {digits, size}; }
    };
    const int options = std::clamp(results.optionCount, 0, Poll::MaxOptions);
    std::array<Number, Poll::MaxOptions> counts;
    qint64 total = 0;
    qsizetype size = 0;
    for (int i = 0; i < options; ++i) {
        const qint64 votes = i < results.counts.size() ? results.counts[i] : 0;
        counts[size_t(i)].set(votes);
        total += votes;
        size += 4 + counts[size_t(i)].size + (i > 0 ? 1 : 0); // ,"A":n
    }
    Number totalText;
    totalText.set(total);
    Number votersText;
    votersText.set(results.voters < 0 ? total : results.voters);
    static constexpr QByteArrayView open = "{\"poll_id\":\"";
    static constexpr QByteArrayView toResults = "\",\"results\":{";
    static constexpr QByteArrayView toSource = "},\"served_via\":\"";
    static constexpr QByteArrayView toTotal = "\",\"total\":";
    static constexpr QByteArrayView toVoters = ",\"voters\":";
    size += open.size() + pollId.size() + toResults.size() + toSource.size() +
            results.servedVia.size() + toTotal.size() + totalText.size + toVoters.size() +
            votersText.size + 1;
    QByteArray out(size, Qt::Uninitialized);
    char *to = out.data();
    const auto put = [&to](QByteArrayView piece) {
        std::memcpy(to, piece.data(), size_t(piece.size()));
        to += piece.size();
    };
    const auto putLatin1 = [&to](QStringView text) { // plain: one byte per character
        for (QChar c : text)
            *to++ = char(c.unicode());
    };
    put(open);
    putLatin1(pollId);
    put(toResults);
    for (int i = 0; i < options; ++i) {
        if (i > 0)
            *to++ = ',';
        *to++ = '"';
        *to++ = char(Poll::optionLetter(i));
        *to++ = '"';
        *to++ = ':';
        put(counts[size_t(i)].view());
    }
    put(toSource);
    putLatin1(results.servedVia);
    put(toTotal);
    put(totalText.view());
    put(toVoters);
    put(votersText.view());
    *to++ = '}';
    Q_ASSERT(to == out.constData() + out.size());
    return out;
}

} // namespace

QByteArray ResultReply::encode(const QString &pollId, const ResultService::Results &results)
{
    // Keys in QJsonObject's sorted order: poll_id, results, served_via, total, voters;
    // option ids A..J sort as their indices do.
    if (results.optionCount <= Poll::MaxOptions && JsonText::isPlain(pollId) &&
        JsonText::isPlain(results.servedVia))
        return encodePlain(pollId, results);
    QByteArray out;
    out.reserve(96 + pollId.size() + 24 * results.optionCount);
    out.append("{\"poll_id\":");
    JsonText::appendString(out, pollId);
    out.append(",\"results\":{");
    qint64 total = 0;
    for (int i = 0; i < results.optionCount; ++i) {
        const qint64 votes = i < results.counts.size() ? results.counts[i] : 0;
        if (i > 0)
            out.append(',');
        const char16_t optionId = Poll::optionLetter(i);
        JsonText::appendString(out, QStringView(&optionId, 1));
        out.append(':');
        JsonText::appendInteger(out, votes);
        total += votes;
    }
    out.append("},\"served_via\":");
    JsonText::appendString(out, results.servedVia);
    out.append(",\"total\":");
    JsonText::appendInteger(out, total);
    out.append(",\"voters\":");
    JsonText::appendInteger(out, results.voters < 0 ? total : results.voters);
    out.append('}');
    return out;
}
