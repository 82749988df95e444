#include "resultreply.h"
#include "core/poll.h"
#include "jsontext.h"

#include <QVarLengthArray>
#include <algorithm>
#include <cstring>

namespace {

// A JSON string ready to be measured and copied: plain text goes in as it is, anything
// else is escaped by JsonText first (so escapes and UTF-8 stay exactly Qt's).
class QuotedText {
public:
    explicit QuotedText(QStringView text) : m_text(text)
    {
        if (!JsonText::isPlain(text))
            JsonText::appendString(m_escaped, text);
    }
    qsizetype size() const { return m_escaped.isEmpty() ? m_text.size() + 2 : m_escaped.size(); }
    char *copyTo(char *to) const
    {
        if (!m_escaped.isEmpty())
            return std::copy(m_escaped.cbegin(), m_escaped.cend(), to);
        *to++ = '"';
        for (QChar c : m_text) // plain: one byte per character
            *to++ = char(c.unicode());
        *to++ = '"';
        return to;
    }

private:
    QStringView m_text;
    QByteArray m_escaped;
};

} // namespace

QByteArray ResultReply::encode(const QString &pollId, const ResultService::Results &results)
{
    // Keys in QJsonObject's sorted order: poll_id, results, served_via, total, voters;
    // option ids A..J sort as their indices do. Every piece is measured first, then copied
    // into an array of exactly that size: one allocation, no appends.
    const QuotedText id(pollId);
    const QuotedText source(results.servedVia);
    QVarLengthArray<JsonText::Decimal, Poll::MaxOptions> counts;
    qint64 total = 0;
    qsizetype size = 0;
    for (int i = 0; i < results.optionCount; ++i) {
        const qint64 votes = i < results.counts.size() ? results.counts[i] : 0;
        counts.append(JsonText::Decimal(votes));
        total += votes;
        size += (i > 0 ? 1 : 0) + 4 + counts.last().view().size(); // ,"A":n
    }
    const JsonText::Decimal totalText(total);
    const JsonText::Decimal votersText(results.voters < 0 ? total : results.voters);
    static constexpr QByteArrayView open = "{\"poll_id\":";
    static constexpr QByteArrayView toResults = ",\"results\":{";
    static constexpr QByteArrayView toSource = "},\"served_via\":";
    static constexpr QByteArrayView toTotal = ",\"total\":";
    static constexpr QByteArrayView toVoters = ",\"voters\":";
    size += open.size() + id.size() + toResults.size() + toSource.size() + source.size() +
            toTotal.size() + totalText.view().size() + toVoters.size() + votersText.view().size() +
            1;
    QByteArray out(size, Qt::Uninitialized);
    char *to = out.data();
    const auto put = [&to](QByteArrayView piece) {
        std::memcpy(to, piece.data(), size_t(piece.size()));
        to += piece.size();
    };
    put(open);
    to = id.copyTo(to);
    put(toResults);
    for (int i = 0; i < results.optionCount; ++i) {
        if (i > 0)
            *to++ = ',';
        *to++ = '"';
        *to++ = char(Poll::optionLetter(i));
        *to++ = '"';
        *to++ = ':';
        put(counts[i].view());
    }
    put(toSource);
    to = source.copyTo(to);
    put(toTotal);
    put(totalText.view());
    put(toVoters);
    put(votersText.view());
    *to++ = '}';
    Q_ASSERT(to == out.constData() + out.size());
    return out;
}
