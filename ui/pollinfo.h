#pragma once

#include <QDateTime>
#include <QJsonObject>
#include <QList>
#include <QString>

// A poll as the REST API describes it (docs/api.md), plus its latest known total.
struct PollInfo {
    struct Option {
        QString id;
        QString text;
    };

    QString id;
    QString question;
    QString theme;
    QString status; // "open" or "closed"
    QDateTime createdAt;
    bool oneVotePerVoter = false;
    QString shard;
    QList<Option> options;
    int maxChoices = 1;
    QString resultsVisibility = QStringLiteral("always"); // "always", "after_close" or "hidden"
    QDateTime closesAt;                                   // invalid: no timed close
    QDateTime resetAt;                                    // invalid: never reset

    bool isOpen() const { return status == u"open"; }
    bool isMultipleChoice() const { return maxChoices > 1; }
    // The audience does not see the counts now (the console, with the admin token, does).
    bool resultsHidden() const
    {
        return resultsVisibility == u"hidden" || (resultsVisibility == u"after_close" && isOpen());
    }
    // The option's text, or its id when the poll has no such option.
    QString optionText(const QString &optionId) const;

    static PollInfo fromJson(const QJsonObject &json);
};
