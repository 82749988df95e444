#include "redispollmeta.h"
#include "redisreply.h"

#include <QHash>
#include <QJsonArray>
#include <QJsonDocument>
#include <algorithm>

namespace {

QByteArray timestamp(const QDateTime &time)
{
    return time.isValid() ? time.toUTC().toString(Qt::ISODateWithMs).toUtf8() : QByteArray();
}

} // namespace

QList<QByteArray> RedisPollMeta::fields(const Poll &poll)
{
    QJsonArray options;
    for (const QString &option : poll.options)
        options.append(option);
    return {"id",
            poll.id.toUtf8(),
            "question",
            poll.question.toUtf8(),
            "theme",
            poll.theme.toUtf8(),
            "options",
            QJsonDocument(options).toJson(QJsonDocument::Compact),
            "status",
            poll.status().toUtf8(),
            "created_at",
            poll.createdAt.toUTC().toString(Qt::ISODateWithMs).toUtf8(),
            "one_vote_per_voter",
            poll.oneVotePerVoter ? "1" : "0",
            "max_choices",
            QByteArray::number(poll.maxChoices),
            "results_visibility",
            Poll::visibilityName(poll.visibility).toUtf8(),
            "closes_at",
            timestamp(poll.closesAt),
            "resets",
            QByteArray::number(poll.resets),
            "reset_at",
            timestamp(poll.resetAt)};
}

std::optional<Poll> RedisPollMeta::toPoll(const RedisReply &reply)
{
    QHash<QByteArray, QByteArray> fields;
    for (const auto &[field, value] : reply.pairs())
        fields.insert(field, value);
    if (!fields.contains("id"))
        return std::nullopt;
    Poll poll;
    poll.id = QString::fromUtf8(fields.value("id"));
    poll.question = QString::fromUtf8(fields.value("question"));
    poll.theme = QString::fromUtf8(fields.value("theme"));
    const QJsonArray options = QJsonDocument::fromJson(fields.value("options")).array();
    for (const QJsonValue &option : options)
        poll.options.append(option.toString());
    poll.open = fields.value("status") != "closed";
    poll.createdAt =
        QDateTime::fromString(QString::fromUtf8(fields.value("created_at")), Qt::ISODateWithMs);
    poll.oneVotePerVoter = fields.value("one_vote_per_voter") == "1";
    // Polls stored before these fields existed are single-choice, always visible, untimed.
    poll.maxChoices = std::clamp(fields.value("max_choices", "1").toInt(), 1,
                                 std::max(1, int(poll.options.size())));
    poll.visibility =
        Poll::visibilityFromName(QString::fromUtf8(fields.value("results_visibility")))
            .value_or(Poll::Visibility::Always);
    poll.closesAt =
        QDateTime::fromString(QString::fromUtf8(fields.value("closes_at")), Qt::ISODateWithMs);
    poll.resets = fields.value("resets").toUInt();
    poll.resetAt =
        QDateTime::fromString(QString::fromUtf8(fields.value("reset_at")), Qt::ISODateWithMs);
    poll.placement = PollPlacement::fromMeta(fields);
    if (!Poll::isValidId(poll.id) || poll.options.size() < Poll::MinOptions)
        return std::nullopt;
    return poll;
}
