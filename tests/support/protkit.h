#pragma once

// Small helpers shared by the protection tests: poll and vote bodies, stats fields,
// and a check macro that prints the whole answer on failure.
#include "httpclient.h"
#include "rawsocket.h"
#include "tallyprocess.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

namespace prot {

inline const QString Polls = QStringLiteral("/api/v1/polls");
inline const QString Vote = QStringLiteral("/api/v1/vote/");
inline const QString Results = QStringLiteral("/api/v1/results/");
inline const QString Stats = QStringLiteral("/api/v1/stats");

inline QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

inline QByteArray voteBody(const QString &option, const QString &voter = {})
{
    QJsonObject body{{QStringLiteral("option_id"), option}};
    if (!voter.isEmpty())
        body.insert(QStringLiteral("voter_id"), voter);
    return compact(body);
}

inline QJsonObject pollBody(const QString &id, bool oneVotePerVoter = false)
{
    return {{QStringLiteral("id"), id},
            {QStringLiteral("question"), QStringLiteral("Which one?")},
            {QStringLiteral("options"), QJsonArray{QStringLiteral("Red"), QStringLiteral("Blue")}},
            {QStringLiteral("one_vote_per_voter"), oneVotePerVoter}};
}

inline qint64 statValue(const QJsonObject &stats, const QString &group, const QString &name)
{
    return stats.value(group).toObject().value(name).toInteger(-1);
}

inline qint64 total(const QJsonObject &results)
{
    return results.value(QStringLiteral("total")).toInteger(-1);
}

// The error body every refusal has.
inline QJsonObject errorJson(const QString &code, const QString &message)
{
    return {{QStringLiteral("error"),
             QJsonObject{{QStringLiteral("code"), code}, {QStringLiteral("message"), message}}}};
}

} // namespace prot

// Evaluates `response` once; on failure prints the whole answer.
#define PROT_STATUS(response, expected)                                                            \
    do {                                                                                           \
        const auto &status_ = (response);                                                          \
        QVERIFY2(status_.status == (expected), qPrintable(status_.describe()));                    \
    } while (false)

#define PROT_START(process) QVERIFY2((process).start(), qPrintable((process).diagnostics()))
