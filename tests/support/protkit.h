#pragma once

// Small helpers shared by the protection tests: paths, results and error bodies, and
// a check macro that prints the whole answer on failure.
#include "httpclient.h"
#include "rawsocket.h"
#include "tallyprocess.h"
#include "testkit.h"

#include <QJsonArray>
#include <QJsonDocument>
#include <QTest>

namespace prot {

inline const QString Polls = QStringLiteral("/api/v1/polls");
inline const QString Vote = QStringLiteral("/api/v1/vote/");
inline const QString Results = QStringLiteral("/api/v1/results/");
inline const QString Stats = QStringLiteral("/api/v1/stats");

using TestKit::bearer;
using TestKit::compact;
using TestKit::oneVotePerVoter;
using TestKit::pollBody;
using TestKit::statValue;
using TestKit::voteBody;

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
