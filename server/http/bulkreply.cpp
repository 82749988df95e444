#include "bulkreply.h"
#include "jsontext.h"

QByteArray BulkReply::encode(const VoteService::BulkResult &result)
{
    QByteArray out;
    out.reserve(64 + result.outcomes.size() * 56);
    out.append("{\"accepted\":");
    JsonText::appendInteger(out, result.accepted);
    out.append(",\"rejected\":");
    JsonText::appendInteger(out, result.outcomes.size() - result.accepted);
    out.append(",\"results\":[");
    for (qsizetype i = 0; i < result.outcomes.size(); ++i) {
        if (i > 0)
            out.append(',');
        const Outcome<int> &outcome = result.outcomes.at(i);
        if (outcome) {
            const VoteRequest &vote = result.items.at(i).value();
            out.append("{\"option_id\":");
            JsonText::appendString(out, vote.optionId);
            if (!vote.optionIds.isEmpty())
                JsonText::appendStringArray(out, ",\"option_ids\":", vote.optionIds);
            out.append(",\"poll_id\":");
            JsonText::appendString(out, vote.pollId);
            out.append(",\"status\":\"accepted\"}");
            continue;
        }
        const TallyError &error = outcome.error();
        out.append("{\"error\":{\"code\":");
        JsonText::appendString(out, error.code);
        out.append(",\"message\":");
        JsonText::appendString(out, error.message);
        out.append("},\"status\":\"rejected\"}");
    }
    out.append("]}");
    return out;
}
