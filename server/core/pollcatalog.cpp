#include "pollcatalog.h"

#include <QMap>
#include <algorithm>

std::optional<Poll> PollCatalog::find(const QString &id) const
{
    const Snapshot poll = snapshot(id);
    if (!poll)
        return std::nullopt;
    return *poll;
}

PollCatalog::Snapshot PollCatalog::snapshot(const QString &id) const
{
    QReadLocker locker(&m_lock);
    return m_polls.value(id);
}

bool PollCatalog::contains(const QString &id) const
{
    QReadLocker locker(&m_lock);
    return m_polls.contains(id);
}

Outcome<int> PollCatalog::validateVote(const Snapshot &poll, const QString &pollId,
                                       QStringView optionId)
{
    if (!poll)
        return TallyError::pollNotFound(pollId.left(Poll::MaxIdLength));
    if (!poll->isOpen())
        return TallyError::conflict(QStringLiteral("poll_closed"),
                                    QStringLiteral("Poll '%1' is closed for voting.").arg(pollId));
    const int index = poll->optionIndex(optionId);
    if (index < 0)
        return TallyError::invalid(
            QStringLiteral("unknown_option"),
            QStringLiteral("Poll '%1' has no option '%2'; valid options are A to %3.")
                .arg(pollId, optionId.toString(), Poll::optionId(int(poll->options.size()) - 1)));
    return index;
}

QString PollCatalog::shardOf(const QString &id) const
{
    QReadLocker locker(&m_lock);
    const auto it = m_polls.constFind(id);
    return it == m_polls.cend() ? QString() : (*it)->shard;
}

QList<Poll> PollCatalog::list(const QString &theme, const QString &status) const
{
    QList<Poll> result;
    {
        QReadLocker locker(&m_lock);
        for (const Snapshot &poll : m_polls) {
            if (!theme.isEmpty() && poll->theme != theme)
                continue;
            if (!status.isEmpty() && poll->status() != status)
                continue;
            result.append(*poll);
        }
    }
    std::sort(result.begin(), result.end(), [](const Poll &a, const Poll &b) {
        return a.createdAt != b.createdAt ? a.createdAt < b.createdAt : a.id < b.id;
    });
    return result;
}

QList<PollCatalog::Snapshot> PollCatalog::snapshots() const
{
    QReadLocker locker(&m_lock);
    return m_polls.values();
}

QList<PollCatalog::Theme> PollCatalog::themes() const
{
    QMap<QString, int> counts;
    {
        QReadLocker locker(&m_lock);
        for (const Snapshot &poll : m_polls)
            ++counts[poll->theme];
    }
    QList<Theme> result;
    for (auto it = counts.cbegin(); it != counts.cend(); ++it)
        result.append({it.key(), it.value()});
    return result;
}

int PollCatalog::size() const
{
    QReadLocker locker(&m_lock);
    return int(m_polls.size());
}

QHash<QString, int> PollCatalog::pollsPerShard() const
{
    QHash<QString, int> counts;
    QReadLocker locker(&m_lock);
    for (const Snapshot &poll : m_polls)
        ++counts[poll->shard];
    return counts;
}

void PollCatalog::upsert(const Poll &poll)
{
    auto replacement = std::make_shared<const Poll>(poll);
    QWriteLocker locker(&m_lock);
    m_polls.insert(poll.id, std::move(replacement));
}

bool PollCatalog::remove(const QString &id)
{
    QWriteLocker locker(&m_lock);
    return m_polls.remove(id) > 0;
}

void PollCatalog::clear()
{
    QWriteLocker locker(&m_lock);
    m_polls.clear();
}
