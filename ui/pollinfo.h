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

    bool isOpen() const { return status == u"open"; }
    // The option's text, or its id when the poll has no such option.
    QString optionText(const QString &optionId) const;

    static PollInfo fromJson(const QJsonObject &json);
};
