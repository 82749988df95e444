#pragma once

#include "pollplacement.h"
#include "protocol/protocol.h"

#include <QDateTime>
#include <QJsonObject>
#include <QString>
#include <QStringList>
#include <optional>

// A poll as the API and the shards know it. Options are addressed by letter ids
// (A, B, ...) in the order they were given.
struct Poll {
    enum class Visibility { Always, AfterClose, Hidden };

    QString id;
    QString question;
    QString theme;
    QStringList options;
    bool open = true;
    bool oneVotePerVoter = false;
    QDateTime createdAt;
    QString shard;
    // Options one vote may select (1: single choice).
    int maxChoices = 1;
    Visibility visibility = Visibility::Always;
    // When the poll closes itself (invalid: never).
    QDateTime closesAt;
    // How often the poll was reset; votes are counted per reset generation, so a vote
    // taken before a reset can never land in the counts after it.
    quint32 resets = 0;
    QDateTime resetAt;
    // In memory only: non-zero while a reset (this number identifies it) is under way;
    // votes are refused meanwhile (see StorageEngine::resetPoll).
    quint64 resetting = 0;
    // Set when the poll was moved between shards or is being moved (not in toJson()).
    PollPlacement placement;

    static constexpr int MinOptions = 2;
    static constexpr int MaxOptions = 10;
    static constexpr int MaxQuestionLength = 500;
    static constexpr int MaxOptionLength = 200;
    static constexpr int MaxThemeLength = 64;
    static constexpr int MaxIdLength = Protocol::MaxPollIdLength;
    // Count slot holding the number of votes cast in a multiple-choice poll (a vote
    // adds one to each option it selects and one here).
    static constexpr int VotersSlot = MaxOptions;
    // Separates a poll id from its reset generation in count keys; never part of an id.
    static constexpr char16_t GenerationSeparator = u'~';

    static QString optionId(int index) { return QString(QChar(optionLetter(index))); }
    // The one character of an option's id.
    static char16_t optionLetter(int index) { return char16_t(u'A' + index); }
    // Index of an option id ("A" -> 0), or -1 when it names no option of this poll.
    int optionIndex(QStringView optionId) const;
    bool multipleChoice() const { return maxChoices > 1; }
    // Open for votes at `now`: not closed, and its close time (if any) not reached.
    bool isOpenAt(const QDateTime &now) const;
    bool isOpen() const;
    // Whether anyone (not only administrators) may see the counts now.
    bool resultsVisible() const;
    QString status() const { return isOpen() ? QStringLiteral("open") : QStringLiteral("closed"); }
    static QString visibilityName(Visibility visibility);
    static std::optional<Visibility> visibilityFromName(QStringView name);

    // Where the counts of this poll's current generation are kept in buffers, batches,
    // the journal and the cache: the id, with the generation appended after a reset.
    QString countKey() const;
    static QString countKey(const QString &pollId, quint32 generation);
    static QString pollIdOfKey(const QString &countKey);
    static quint32 generationOfKey(const QString &countKey);
    // Number of votes cast (not selections) in `counts` of a poll with `optionCount` options.
    qint64 voters(const QList<qint64> &counts) const;

    QJsonObject toJson() const;
    static std::optional<Poll> fromJson(const QJsonObject &json);

    static bool isValidId(QStringView id);
    static QString generateId();
};
