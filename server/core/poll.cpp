#include "poll.h"

#include <QJsonArray>
#include <QRandomGenerator>
#include <algorithm>

int Poll::optionIndex(QStringView optionId) const
{
    if (optionId.size() != 1)
        return -1;
    const int index = optionId.front().unicode() - u'A';
    return index >= 0 && index < options.size() ? index : -1;
}

bool Poll::isOpenAt(const QDateTime &now) const
{
    return open && (!closesAt.isValid() || now < closesAt);
}

bool Poll::isOpen() const
{
    // The clock is read only for a poll that has a close time (every vote asks).
    return open && (!closesAt.isValid() || QDateTime::currentDateTimeUtc() < closesAt);
}

bool Poll::resultsVisible() const
{
    return visibility == Visibility::Always || (visibility == Visibility::AfterClose && !isOpen());
}

QString Poll::visibilityName(Visibility visibility)
{
    switch (visibility) {
    case Visibility::AfterClose:
        return QStringLiteral("after_close");
    case Visibility::Hidden:
        return QStringLiteral("hidden");
    case Visibility::Always:
        break;
    }
    return QStringLiteral("always");
}

std::optional<Poll::Visibility> Poll::visibilityFromName(QStringView name)
{
    if (name == u"always")
        return Visibility::Always;
    if (name == u"after_close")
        return Visibility::AfterClose;
    if (name == u"hidden")
        return Visibility::Hidden;
    return std::nullopt;
}

QString Poll::countKey() const
{
    return countKey(id, resets);
}

QString Poll::countKey(const QString &pollId, quint32 generation)
{
    if (generation == 0)
        return pollId; // what every key was before resets existed
    return pollId + GenerationSeparator + QString::number(generation);
}

QString Poll::pollIdOfKey(const QString &countKey)
{
    const qsizetype separator = countKey.indexOf(GenerationSeparator);
    return separator < 0 ? countKey : countKey.left(separator);
}

quint32 Poll::generationOfKey(const QString &countKey)
{
    const qsizetype separator = countKey.indexOf(GenerationSeparator);
    return separator < 0 ? 0 : countKey.mid(separator + 1).toUInt();
}

qint64 Poll::voters(const QList<qint64> &counts) const
{
    if (multipleChoice())
        return VotersSlot < counts.size() ? counts[VotersSlot] : 0;
    qint64 total = 0;
    for (int i = 0; i < options.size() && i < counts.size(); ++i)
        total += counts[i];
    return total;
}

QJsonObject Poll::toJson() const
{
    QJsonArray optionArray;
    for (int i = 0; i < options.size(); ++i)
        optionArray.append(
            QJsonObject{{QStringLiteral("id"), optionId(i)}, {QStringLiteral("text"), options[i]}});
    return {{QStringLiteral("id"), id},
            {QStringLiteral("question"), question},
            {QStringLiteral("theme"), theme},
            {QStringLiteral("options"), optionArray},
            {QStringLiteral("status"), status()},
            {QStringLiteral("created_at"), createdAt.toUTC().toString(Qt::ISODateWithMs)},
            {QStringLiteral("one_vote_per_voter"), oneVotePerVoter},
            {QStringLiteral("shard"), shard},
            {QStringLiteral("max_choices"), maxChoices},
            {QStringLiteral("results_visibility"), visibilityName(visibility)},
            {QStringLiteral("results_visible"), resultsVisible()},
            {QStringLiteral("closes_at"),
             closesAt.isValid() ? QJsonValue(closesAt.toUTC().toString(Qt::ISODateWithMs))
                                : QJsonValue()},
            {QStringLiteral("resets"), qint64(resets)},
            {QStringLiteral("reset_at"),
             resetAt.isValid() ? QJsonValue(resetAt.toUTC().toString(Qt::ISODateWithMs))
                               : QJsonValue()}};
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
    // Polls stored before these fields existed are single-choice, always visible, untimed.
    poll.maxChoices = std::clamp(json.value(QStringLiteral("max_choices")).toInt(1), 1,
                                 std::max(1, int(poll.options.size())));
    poll.visibility =
        visibilityFromName(json.value(QStringLiteral("results_visibility")).toString())
            .value_or(Visibility::Always);
    poll.closesAt = QDateTime::fromString(json.value(QStringLiteral("closes_at")).toString(),
                                          Qt::ISODateWithMs);
    poll.resets = quint32(json.value(QStringLiteral("resets")).toInteger(0));
    poll.resetAt =
        QDateTime::fromString(json.value(QStringLiteral("reset_at")).toString(), Qt::ISODateWithMs);
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
