#include "pollinfo.h"

#include <QJsonArray>

QString PollInfo::optionText(const QString &optionId) const
{
    for (const Option &option : options) {
        if (option.id == optionId)
            return option.text;
    }
    return optionId;
}

PollInfo PollInfo::fromJson(const QJsonObject &json)
{
    PollInfo poll;
    poll.id = json.value(QStringLiteral("id")).toString();
    poll.question = json.value(QStringLiteral("question")).toString();
    poll.theme = json.value(QStringLiteral("theme")).toString();
    poll.status = json.value(QStringLiteral("status")).toString();
    poll.createdAt = QDateTime::fromString(json.value(QStringLiteral("created_at")).toString(),
                                           Qt::ISODateWithMs);
    poll.oneVotePerVoter = json.value(QStringLiteral("one_vote_per_voter")).toBool();
    poll.shard = json.value(QStringLiteral("shard")).toString();
    poll.maxChoices = qMax(1, json.value(QStringLiteral("max_choices")).toInt(1));
    const QString visibility = json.value(QStringLiteral("results_visibility")).toString();
    if (!visibility.isEmpty())
        poll.resultsVisibility = visibility;
    const auto timestamp = [&json](const char *key) {
        return QDateTime::fromString(json.value(QLatin1String(key)).toString(), Qt::ISODateWithMs);
    };
    poll.closesAt = timestamp("closes_at");
    poll.resetAt = timestamp("reset_at");
    for (const QJsonValue &value : json.value(QStringLiteral("options")).toArray()) {
        const QJsonObject option = value.toObject();
        poll.options.append({option.value(QStringLiteral("id")).toString(),
                             option.value(QStringLiteral("text")).toString()});
    }
    return poll;
}
