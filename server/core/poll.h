#pragma once

#include "pollplacement.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <optional>

// A poll as the API and the shards know it. Options are addressed by letter ids
// (A, B, ...) in the order they were given.
struct Poll {
    QString id;
    QString question;
    QString theme;
    QStringList options;
    bool open = true;
    bool oneVotePerVoter = false;
    QDateTime createdAt;
    QString shard;
    // Set when the poll was moved between shards or is being moved (not in toJson()).
    PollPlacement placement;

    static constexpr int MinOptions = 2;
    static constexpr int MaxOptions = 10;
    static constexpr int MaxQuestionLength = 500;
    static constexpr int MaxOptionLength = 200;
    static constexpr int MaxThemeLength = 64;
    static constexpr int MaxIdLength = 64;

    static QString optionId(int index) { return QString(QChar(u'A' + index)); }
    // Index of an option id ("A" -> 0), or -1 when it names no option of this poll.
    int optionIndex(QStringView optionId) const;
    QString status() const { return open ? QStringLiteral("open") : QStringLiteral("closed"); }

    QJsonObject toJson() const;
    static std::optional<Poll> fromJson(const QJsonObject &json);

    static bool isValidId(QStringView id);
    static QString generateId();
};
