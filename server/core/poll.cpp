#include "poll.h"

#include <QJsonArray>
#include <QRandomGenerator>

int Poll::optionIndex(QStringView optionId) const
{
    if (optionId.size() != 1)
        return -1;
    const int index = optionId.front().unicode() - u'A';
    return index >= 0 && index < options.size() ? index : -1;
}

QJsonObject Poll::toJson() const
{
    QJsonArray optionArray;
    for (int i = 0; i < options.size(); ++i)
        optionArray.append(QJsonObject{{QStringLiteral("id"), optionId(i)},
                                       {QStringLiteral("text"), options[i]}});
    return {{QStringLiteral("id"), id},
            {QStringLiteral("question"), question},
            {QStringLiteral("theme"), theme},
            {QStringLiteral("options"), optionArray},
            {QStringLiteral("status"), status()},
            {QStringLiteral("created_at"), createdAt.toUTC().toString(Qt::ISODateWithMs)},
            {QStringLiteral("one_vote_per_voter"), oneVotePerVoter},
            {QStringLiteral("shard"), shard}};
}

std::optional<Poll> Poll::fromJson(const QJsonObject &json)
{
    Poll poll;
    poll.id = json.value(QStringLiteral("id")).toString();
    poll.question = json.value(QStringLiteral("question")).toString();
    poll.theme = json.value(QStringLiteral("theme")).toString();
    const QJsonArray optionArray = json.value(QStringLiteral("options")).toArray();
    for (const QJsonValue &option : optionArray)
        poll.options.append(option.toObject().value(QStringLiteral("text")).toString());
    poll.open = json.value(QStringLiteral("status")).toString() != QStringLiteral("closed");
    poll.oneVotePerVoter = json.value(QStringLiteral("one_vote_per_voter")).toBool();
    poll.createdAt = QDateTime::fromString(json.value(QStringLiteral("created_at")).toString(),
                                           Qt::ISODateWithMs);
    poll.shard = json.value(QStringLiteral("shard")).toString();
    if (!isValidId(poll.id) || poll.options.size() < MinOptions)
        return std::nullopt;
    return poll;
}

bool Poll::isValidId(QStringView id)
{
    if (id.isEmpty() || id.size() > MaxIdLength)
        return false;
    for (QChar c : id) {
        const char16_t u = c.unicode();
        const bool ok = (u >= u'a' && u <= u'z') || (u >= u'A' && u <= u'Z') ||
                        (u >= u'0' && u <= u'9') || u == u'_' || u == u'-';
        if (!ok)
            return false;
    }
    return true;
}

QString Poll::generateId()
{
    // 12 characters of base-36 from a 64-bit random number: short enough for URLs,
    // ~2^62 values so collisions are negligible (and still rejected with 409).
    static constexpr char alphabet[] = "0123456789abcdefghijklmnopqrstuvwxyz";
    quint64 value = QRandomGenerator::global()->generate64();
    QString id;
    for (int i = 0; i < 12; ++i) {
        id.append(QLatin1Char(alphabet[value % 36]));
        value /= 36;
    }
    return id;
}
