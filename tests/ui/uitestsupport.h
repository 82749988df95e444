#pragma once

// Helpers shared by the console tests: a private settings location, a console
// connected to a server, polls made over HTTP and exact comparisons with the API.
#include "httpclient.h"
#include "liveclient.h"
#include "mainwindow.h"
#include "polllistmodel.h"
#include "pollsview.h"

#include <QCoreApplication>
#include <QJsonArray>
#include <QJsonDocument>
#include <QMap>
#include <QStandardPaths>
#include <QTest>

namespace UiTest {

// A /api/v1/stats answer as the health charts read it: `requests` so far, a buffer
// `depth`, one vote in the last flush, half the reads from cache.
inline QJsonObject statsReading(qint64 requests, qint64 depth)
{
    return {{QStringLiteral("requests"), requests},
            {QStringLiteral("buffer"), QJsonObject{{QStringLiteral("depth"), depth}}},
            {QStringLiteral("flush"), QJsonObject{{QStringLiteral("last_votes"), 1}}},
            {QStringLiteral("cache"), QJsonObject{{QStringLiteral("hit_ratio"), 0.5}}}};
}

// Keeps the tests' QSettings away from the user's and from each other's.
inline void isolateSettings()
{
    QStandardPaths::setTestModeEnabled(true);
    QCoreApplication::setOrganizationName(QStringLiteral("TallyTests"));
    QCoreApplication::setApplicationName(QString::fromLatin1(QTest::currentAppName()));
}

inline QJsonObject createPoll(HttpClient &http, const QString &id, const QString &question,
                              const QStringList &options, const QString &theme = {})
{
    QJsonObject body{{QStringLiteral("id"), id},
                     {QStringLiteral("question"), question},
                     {QStringLiteral("options"), QJsonArray::fromStringList(options)}};
    if (!theme.isEmpty())
        body.insert(QStringLiteral("theme"), theme);
    const HttpResponse response = http.postJson(QStringLiteral("/api/v1/polls"), body);
    if (response.status != 201)
        qWarning("creating poll %s failed: %s", qPrintable(id), qPrintable(response.describe()));
    return response.json;
}

// GET /api/v1/results/{id} as option -> count (plus "total" under the key "").
inline QMap<QString, qint64> serverResults(HttpClient &http, const QString &pollId)
{
    QMap<QString, qint64> counts;
    const HttpResponse response = http.get(QStringLiteral("/api/v1/results/") + pollId);
    const QJsonObject results = response.json.value(QStringLiteral("results")).toObject();
    for (auto it = results.begin(); it != results.end(); ++it)
        counts.insert(it.key(), it.value().toInteger());
    return counts;
}

inline qint64 serverTotal(HttpClient &http, const QString &pollId)
{
    return http.get(QStringLiteral("/api/v1/results/") + pollId)
        .json.value(QStringLiteral("total"))
        .toInteger(-1);
}

inline QString describe(const QMap<QString, qint64> &counts)
{
    QStringList parts;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        parts.append(QStringLiteral("%1=%2").arg(it.key()).arg(it.value()));
    return parts.join(u' ');
}

// Waits until the console lists the poll, then selects it.
inline bool selectPoll(MainWindow &window, const QString &pollId, int timeoutMs = 15000)
{
    QDeadlineTimer deadline(timeoutMs);
    while (window.pollModel()->rowOf(pollId) < 0 && !deadline.hasExpired())
        QTest::qWait(20);
    if (window.pollModel()->rowOf(pollId) < 0)
        return false;
    window.pollsView()->selectPoll(pollId);
    return window.pollsView()->selectedPollId() == pollId;
}

} // namespace UiTest
