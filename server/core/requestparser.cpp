#include "requestparser.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonParseError>
#include <QRegularExpression>
#include <QSet>

namespace {

TallyError wrongType(const QString &field, const QString &expected)
{
    return TallyError::invalid(QStringLiteral("invalid_field"),
                               QStringLiteral("Field '%1' must be %2.").arg(field, expected));
}

TallyError missing(const QString &field)
{
    return TallyError::invalid(QStringLiteral("missing_field"),
                               QStringLiteral("Field '%1' is required.").arg(field));
}

// Optional string field: absent and null are "not given".
Outcome<QString> optionalString(const QJsonObject &json, const QString &field)
{
    const QJsonValue value = json.value(field);
    if (value.isUndefined() || value.isNull())
        return QString();
    if (!value.isString())
        return wrongType(field, QStringLiteral("a string"));
    return value.toString();
}

} // namespace

Outcome<QJsonObject> RequestParser::parseObject(const QByteArray &body)
{
    QJsonParseError error;
    const QJsonDocument document = QJsonDocument::fromJson(body, &error);
    if (error.error != QJsonParseError::NoError)
        return TallyError::malformed(QStringLiteral("malformed_json"),
                                     QStringLiteral("The body is not valid JSON: %1 at offset %2.")
                                         .arg(error.errorString())
                                         .arg(error.offset));
    if (!document.isObject())
        return TallyError::malformed(QStringLiteral("malformed_json"),
                                     QStringLiteral("The body must be a JSON object."));
    return document.object();
}

Outcome<Poll> RequestParser::parseNewPoll(const QJsonObject &json)
{
    Poll poll;
    const QJsonValue question = json.value(QStringLiteral("question"));
    if (question.isUndefined() || question.isNull())
        return missing(QStringLiteral("question"));
    if (!question.isString())
        return wrongType(QStringLiteral("question"), QStringLiteral("a string"));
    poll.question = question.toString().trimmed();
    if (poll.question.isEmpty() || poll.question.size() > Poll::MaxQuestionLength)
        return TallyError::invalid(QStringLiteral("invalid_question"),
                                   QStringLiteral("The question must have 1 to %1 characters.")
                                       .arg(Poll::MaxQuestionLength));

    const Outcome<QString> theme = optionalString(json, QStringLiteral("theme"));
    if (!theme)
        return theme.error();
    poll.theme = theme.value().trimmed();
    if (poll.theme.isEmpty())
        poll.theme = QStringLiteral("general");
    if (poll.theme.size() > Poll::MaxThemeLength)
        return TallyError::invalid(
            QStringLiteral("invalid_theme"),
            QStringLiteral("The theme must have at most %1 characters.").arg(Poll::MaxThemeLength));

    const QJsonValue options = json.value(QStringLiteral("options"));
    if (options.isUndefined() || options.isNull())
        return missing(QStringLiteral("options"));
    if (!options.isArray())
        return wrongType(QStringLiteral("options"), QStringLiteral("an array of strings"));
    const QJsonArray optionArray = options.toArray();
    if (optionArray.size() < Poll::MinOptions || optionArray.size() > Poll::MaxOptions)
        return TallyError::invalid(QStringLiteral("invalid_options"),
                                   QStringLiteral("A poll needs %1 to %2 options, got %3.")
                                       .arg(Poll::MinOptions)
                                       .arg(Poll::MaxOptions)
                                       .arg(optionArray.size()));
    QSet<QString> seen;
    for (const QJsonValue &option : optionArray) {
        if (!option.isString())
            return wrongType(QStringLiteral("options"), QStringLiteral("an array of strings"));
        const QString text = option.toString().trimmed();
        if (text.isEmpty() || text.size() > Poll::MaxOptionLength)
            return TallyError::invalid(QStringLiteral("invalid_options"),
                                       QStringLiteral("Each option must have 1 to %1 characters.")
                                           .arg(Poll::MaxOptionLength));
        if (seen.contains(text.toCaseFolded()))
            return TallyError::invalid(QStringLiteral("invalid_options"),
                                       QStringLiteral("Option '%1' is given twice.").arg(text));
        seen.insert(text.toCaseFolded());
        poll.options.append(text);
    }

    const QJsonValue oneVote = json.value(QStringLiteral("one_vote_per_voter"));
    if (!oneVote.isUndefined() && !oneVote.isNull() && !oneVote.isBool())
        return wrongType(QStringLiteral("one_vote_per_voter"), QStringLiteral("a boolean"));
    poll.oneVotePerVoter = oneVote.toBool(false);

    const QJsonValue maxChoices = json.value(QStringLiteral("max_choices"));
    if (!maxChoices.isUndefined() && !maxChoices.isNull()) {
        if (!maxChoices.isDouble() || maxChoices.toDouble() != double(maxChoices.toInteger()))
            return wrongType(QStringLiteral("max_choices"), QStringLiteral("an integer"));
        const qint64 value = maxChoices.toInteger();
        if (value < 1 || value > poll.options.size())
            return TallyError::invalid(
                QStringLiteral("invalid_max_choices"),
                QStringLiteral("max_choices must be 1 to the number of options (%1), got %2.")
                    .arg(poll.options.size())
                    .arg(value));
        poll.maxChoices = int(value);
    }

    const Outcome<QString> visibility = optionalString(json, QStringLiteral("results_visibility"));
    if (!visibility)
        return visibility.error();
    if (!visibility.value().isEmpty()) {
        const std::optional<Poll::Visibility> parsed = Poll::visibilityFromName(visibility.value());
        if (!parsed)
            return TallyError::invalid(
                QStringLiteral("invalid_results_visibility"),
                QStringLiteral("results_visibility must be 'always', 'after_close' or 'hidden'."));
        poll.visibility = *parsed;
    }

    const Outcome<QString> closesAt = optionalString(json, QStringLiteral("closes_at"));
    if (!closesAt)
        return closesAt.error();
    if (!closesAt.value().isEmpty()) {
        const Outcome<QDateTime> parsed =
            parseTimestamp(closesAt.value(), QStringLiteral("closes_at"));
        if (!parsed)
            return parsed.error();
        if (parsed.value() <= QDateTime::currentDateTimeUtc())
            return TallyError::invalid(QStringLiteral("closes_at_in_past"),
                                       QStringLiteral("closes_at (%1) must be in the future.")
                                           .arg(closesAt.value().left(64)));
        poll.closesAt = parsed.value();
    }

    const QJsonValue id = json.value(QStringLiteral("id"));
    if (id.isUndefined() || id.isNull()) {
        poll.id = Poll::generateId();
    } else if (id.isString() || id.isDouble()) {
        // Integers are accepted for compatibility with numeric poll ids ("id": 7).
        poll.id = id.isString() ? id.toString() : QString::number(id.toInteger());
        if (id.isDouble() && id.toDouble() != double(id.toInteger()))
            poll.id.clear();
        if (!Poll::isValidId(poll.id))
            return TallyError::invalid(
                QStringLiteral("invalid_id"),
                QStringLiteral("Poll ids use 1 to 64 characters from A-Z, a-z, 0-9, '_' and '-'."));
    } else {
        return wrongType(QStringLiteral("id"), QStringLiteral("a string"));
    }
    return poll;
}

Outcome<QDateTime> RequestParser::parseTimestamp(const QString &text, const QString &field)
{
    // RFC 3339: a date, 'T', a time with optional fraction, and a zone (Z or an offset).
    static const QRegularExpression rfc3339(QStringLiteral(
        "^\\d{4}-\\d{2}-\\d{2}[Tt]\\d{2}:\\d{2}:\\d{2}(\\.\\d{1,9})?([Zz]|[+-]\\d{2}:\\d{2})$"));
    QString normalised = text;
    // Qt reads at most milliseconds; finer fractions are cut, not rounded.
    const QRegularExpressionMatch match = rfc3339.match(text);
    if (match.hasMatch() && match.capturedLength(1) > 4)
        normalised = text.left(match.capturedStart(1) + 4) + text.mid(match.capturedEnd(1));
    const QDateTime parsed = QDateTime::fromString(normalised.toUpper(), Qt::ISODateWithMs);
    if (!match.hasMatch() || !parsed.isValid())
        return TallyError::invalid(
            QStringLiteral("invalid_timestamp"),
            QStringLiteral("%1 must be an RFC 3339 time such as 2026-12-01T18:30:00Z.").arg(field));
    return parsed.toUTC();
}

Outcome<VoteRequest> RequestParser::parseVote(const QString &pollId, const QJsonObject &json)
{
    const QJsonValue option = json.value(QStringLiteral("option_id"));
    const QJsonValue options = json.value(QStringLiteral("option_ids"));
    const bool single = !option.isUndefined() && !option.isNull();
    const bool several = !options.isUndefined() && !options.isNull();
    if (single && several)
        return TallyError::invalid(
            QStringLiteral("invalid_field"),
            QStringLiteral("Send either 'option_id' or 'option_ids', not both."));
    QStringList chosen;
    if (several) {
        if (!options.isArray())
            return wrongType(QStringLiteral("option_ids"),
                             QStringLiteral("an array of option ids"));
        const QJsonArray array = options.toArray();
        if (array.isEmpty())
            return TallyError::invalid(
                QStringLiteral("invalid_field"),
                QStringLiteral("Field 'option_ids' must name at least one option."));
        if (array.size() > Poll::MaxOptions)
            return TallyError::invalid(
                QStringLiteral("too_many_choices"),
                QStringLiteral("A vote selects at most %1 options.").arg(Poll::MaxOptions));
        for (const QJsonValue &item : array) {
            if (!item.isString())
                return wrongType(QStringLiteral("option_ids"),
                                 QStringLiteral("an array of option ids"));
            if (chosen.contains(item.toString()))
                return TallyError::invalid(
                    QStringLiteral("duplicate_option"),
                    QStringLiteral("Option '%1' is chosen twice.").arg(item.toString().left(16)));
            chosen.append(item.toString());
        }
    } else if (!single) {
        return missing(QStringLiteral("option_id"));
    } else if (!option.isString()) {
        return wrongType(QStringLiteral("option_id"), QStringLiteral("a string such as \"A\""));
    }
    const Outcome<QString> voter = optionalString(json, QStringLiteral("voter_id"));
    if (!voter)
        return voter.error();
    if (const std::optional<TallyError> invalid =
            checkVoterId(voter.value(), Protocol::VoterIdField.toString()))
        return *invalid;
    if (several)
        return VoteRequest{pollId, chosen.constFirst(), voter.value(), chosen};
    return VoteRequest{pollId, option.toString(), voter.value(), {}};
}

std::optional<TallyError> RequestParser::checkVoterId(const QString &voterId, const QString &source)
{
    if (voterId.size() <= VoteRequest::MaxVoterIdLength)
        return std::nullopt;
    return TallyError::invalid(QStringLiteral("invalid_voter_id"),
                               QStringLiteral("%1 must have at most %2 characters.")
                                   .arg(source)
                                   .arg(VoteRequest::MaxVoterIdLength));
}

Outcome<VoteRequest> RequestParser::parseBulkItem(const QJsonValue &item)
{
    if (!item.isObject())
        return wrongType(QStringLiteral("votes[]"), QStringLiteral("an object"));
    const QJsonObject json = item.toObject();
    const QJsonValue pollId = json.value(Protocol::PollIdField);
    if (pollId.isUndefined() || pollId.isNull())
        return missing(Protocol::PollIdField.toString());
    QString id;
    if (pollId.isString())
        id = pollId.toString();
    else if (pollId.isDouble() && pollId.toDouble() == double(pollId.toInteger()))
        id = QString::number(pollId.toInteger());
    else
        return wrongType(Protocol::PollIdField.toString(), QStringLiteral("a string"));
    return parseVote(id, json);
}
