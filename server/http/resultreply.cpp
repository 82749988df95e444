#include "resultreply.h"
#include "core/poll.h"
#include "jsontext.h"

QByteArray ResultReply::encode(const QString &pollId, const ResultService::Results &results)
{
    // Keys in QJsonObject's sorted order: poll_id, results, served_via, total, voters;
    // option ids A..J sort as their indices do.
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
