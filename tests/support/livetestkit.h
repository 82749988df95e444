#pragma once

// Small helpers shared by the live-update tests.
#include "httpclient.h"
#include "testkit.h"
#include "wsclient.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QTest>

namespace LiveKit {

inline QString str(const char *text)
{
    return QString::fromUtf8(text);
}

using TestKit::countsJson;
using TestKit::pollBody;
using TestKit::voteBody;

inline QJsonObject subscribePoll(const QString &pollId, const QJsonValue &ref = QJsonValue())
{
    QJsonObject message{{str("type"), str("subscribe")}, {str("poll_id"), pollId}};
    if (!ref.isNull())
        message.insert(str("ref"), ref);
    return message;
}

inline QJsonObject channel(const QString &type, const QString &name)
{
    return {{str("type"), type}, {str("channel"), name}};
}

inline QJsonObject vote(const QJsonValue &pollId, const QJsonValue &option, const QJsonValue &ref)
{
    QJsonObject message{{str("type"), str("vote")}, {str("ref"), ref}};
    if (!pollId.isUndefined())
        message.insert(str("poll_id"), pollId);
    if (!option.isUndefined())
        message.insert(str("option_id"), option);
    return message;
}

inline auto isType(const QString &type)
{
    return [type](const QJsonObject &m) { return m.value(str("type")).toString() == type; };
}

inline auto resultsFor(const QString &pollId)
{
    return [pollId](const QJsonObject &m) {
        return m.value(str("type")).toString() == u"results" &&
               m.value(str("poll_id")).toString() == pollId;
    };
}

inline auto resultsWithTotal(const QString &pollId, qint64 total)
{
    return [pollId, total](const QJsonObject &m) {
        return m.value(str("type")).toString() == u"results" &&
               m.value(str("poll_id")).toString() == pollId &&
               m.value(str("total")).toInteger(-1) == total;
    };
}

inline QString describe(const QJsonObject &message)
{
    return QString::fromUtf8(QJsonDocument(message).toJson(QJsonDocument::Compact));
}

inline QString describe(const std::optional<QJsonObject> &message)
{
    return message ? describe(*message) : str("(nothing)");
}

// One POST /api/v1/vote/{poll} per option letter in `options` (e.g. "AABC").
inline QList<HttpRequest> voteRequests(const QString &pollId, const QString &options)
{
    QList<HttpRequest> requests;
    for (const QChar option : options)
        requests.append(
            HttpRequest{"POST", str("/api/v1/vote/") + pollId, voteBody(QString(option))});
    return requests;
}

} // namespace LiveKit
