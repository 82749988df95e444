#pragma once

// Request bodies and readers of answers that tests of every folder share.
#include "httpclient.h"

#include <QByteArray>
#include <QJsonObject>
#include <QList>
#include <QString>
#include <QStringList>
#include <QTest>

#include <functional>

// Runs a helper that may fail a check, and stops the test function if it did.
#define CHECKED(call)                                                                              \
    do {                                                                                           \
        call;                                                                                      \
        if (QTest::currentTestFailed())                                                            \
            return;                                                                                \
    } while (false)

// Checks a results answer: exact counts, total and (when given) how it was served.
#define VERIFY_RESULTS(response, pollId, counts, servedVia)                                        \
    do {                                                                                           \
        const HttpResponse &r_ = (response);                                                       \
        VERIFY_STATUS(r_, 200);                                                                    \
        QCOMPARE(r_.json.value("poll_id").toString(), QString(pollId));                            \
        QCOMPARE(r_.json.value("results").toObject(), TestKit::countsJson(counts));                \
        qint64 total_ = 0;                                                                         \
        for (int c_ : counts)                                                                      \
            total_ += c_;                                                                          \
        QCOMPARE(r_.json.value("total").toInteger(), total_);                                      \
        if (!QString(servedVia).isEmpty())                                                         \
            QCOMPARE(r_.json.value("served_via").toString(), QString(servedVia));                  \
    } while (false)

namespace TestKit {

inline const QString Api = QStringLiteral("/api/v1");

QByteArray compact(const QJsonObject &object);

// The body of POST /api/v1/polls. The question is "Question <id>?" unless given; an
// empty id or theme is left out (the server then generates the id).
QJsonObject pollBody(const QString &id,
                     const QStringList &options = {QStringLiteral("Red"), QStringLiteral("Blue")},
                     const QString &question = {}, const QString &theme = {});
// With `optionCount` options "Option 1", "Option 2", ...
QJsonObject pollBody(const QString &id, int optionCount);
// `poll` with "one_vote_per_voter" set to true.
QJsonObject oneVotePerVoter(QJsonObject poll);

// The body of POST /api/v1/vote/{poll}, with a voter id when one is given.
QByteArray voteBody(const QString &option, const QString &voter = {});
// The same for the option at `index` (0 is "A").
QByteArray voteBody(int index);
// {"A": counts[0], "B": counts[1], ...}, as a results object.
QJsonObject countsJson(const QList<int> &counts);

// "Authorization: Bearer <token>".
HttpHeaders bearer(const QByteArray &token);

// One figure of a /api/v1/stats body, e.g. ("votes", "accepted"); -1 when absent.
qint64 statValue(const QJsonObject &stats, const QString &group, const QString &field);
qint64 statValue(const HttpResponse &stats, const QString &group, const QString &field);

// Runs the event loop until `condition` holds, checking every 20 ms; false when it still
// does not at the deadline.
bool waitFor(const std::function<bool()> &condition, int timeoutMs = 20000);

// A TCP port nothing listens on at 127.0.0.1 right now (0 when none could be found).
quint16 freeLoopbackPort();

} // namespace TestKit
