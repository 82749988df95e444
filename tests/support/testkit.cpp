#include "testkit.h"

#include <QDeadlineTimer>
#include <QHostAddress>
#include <QJsonArray>
#include <QJsonDocument>
#include <QTcpServer>

namespace TestKit {

QByteArray compact(const QJsonObject &object)
{
    return QJsonDocument(object).toJson(QJsonDocument::Compact);
}

QJsonObject pollBody(const QString &id, const QStringList &options, const QString &question,
                     const QString &theme)
{
    QJsonObject body{{QStringLiteral("question"),
                      question.isEmpty() ? QStringLiteral("Question %1?").arg(id) : question},
                     {QStringLiteral("options"), QJsonArray::fromStringList(options)}};
    if (!id.isEmpty())
        body.insert(QStringLiteral("id"), id);
    if (!theme.isEmpty())
        body.insert(QStringLiteral("theme"), theme);
    return body;
}

QJsonObject pollBody(const QString &id, int optionCount)
{
    QStringList options;
    for (int i = 0; i < optionCount; ++i)
        options.append(QStringLiteral("Option %1").arg(i + 1));
    return pollBody(id, options);
}

QJsonObject oneVotePerVoter(QJsonObject poll)
{
    poll.insert(QStringLiteral("one_vote_per_voter"), true);
    return poll;
}

QByteArray voteBody(const QString &option, const QString &voter)
{
    QJsonObject body{{QStringLiteral("option_id"), option}};
    if (!voter.isEmpty())
        body.insert(QStringLiteral("voter_id"), voter);
    return compact(body);
}

QByteArray voteBody(int index)
{
    return voteBody(QString(QChar(u'A' + index)));
}

QJsonObject countsJson(const QList<int> &counts)
{
    QJsonObject object;
    for (int i = 0; i < counts.size(); ++i)
        object.insert(QString(QChar(u'A' + i)), counts[i]);
    return object;
}

HttpHeaders bearer(const QByteArray &token)
{
    return {{"Authorization", "Bearer " + token}};
}

qint64 statValue(const QJsonObject &stats, const QString &group, const QString &field)
{
    return stats.value(group).toObject().value(field).toInteger(-1);
}

qint64 statValue(const HttpResponse &stats, const QString &group, const QString &field)
{
    return statValue(stats.json, group, field);
}

bool waitFor(const std::function<bool()> &condition, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (!condition()) {
        if (deadline.hasExpired())
            return false;
        QTest::qWait(20);
    }
    return true;
}

quint16 freeLoopbackPort()
{
    QTcpServer probe;
    return probe.listen(QHostAddress::LocalHost, 0) ? probe.serverPort() : 0;
}

} // namespace TestKit
