#include "polllistmodel.h"
#include "uitext.h"

#include <QSet>

PollListModel::PollListModel(QObject *parent) : QAbstractTableModel(parent) {}

int PollListModel::rowCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : int(m_polls.size());
}

int PollListModel::columnCount(const QModelIndex &parent) const
{
    return parent.isValid() ? 0 : ColumnCount;
}

QVariant PollListModel::data(const QModelIndex &index, int role) const
{
    if (!index.isValid() || index.row() >= m_polls.size())
        return {};
    const PollInfo &poll = m_polls.at(index.row());
    const qint64 total = m_totals.value(poll.id, -1);
    switch (role) {
    case PollIdRole:
        return poll.id;
    case ThemeRole:
        return poll.theme;
    case StatusRole:
        return poll.status;
    case Qt::DisplayRole:
    case SortRole:
        switch (index.column()) {
        case QuestionColumn:
            return poll.question;
        case ThemeColumn:
            return poll.theme;
        case StatusColumn:
            return role == SortRole ? QVariant(poll.status)
                                    : QVariant(poll.isOpen() ? tr("open") : tr("closed"));
        case VotesColumn:
            if (role == SortRole)
                return total;
            return total < 0 ? QStringLiteral("–") : UiText::number(total);
        case ShardColumn:
            return poll.shard;
        case IdColumn:
            return poll.id;
        }
        break;
    case Qt::ToolTipRole:
        if (index.column() == QuestionColumn)
            return UiText::forToolTip(poll.question);
        break;
    case Qt::TextAlignmentRole:
        if (index.column() == VotesColumn)
            return QVariant(Qt::AlignRight | Qt::AlignVCenter);
        break;
    default:
        break;
    }
    return {};
}

QVariant PollListModel::headerData(int section, Qt::Orientation orientation, int role) const
{
    if (orientation != Qt::Horizontal)
        return {};
    if (role == Qt::DisplayRole) {
        switch (section) {
        case QuestionColumn:
            return tr("Question");
        case ThemeColumn:
            return tr("Theme");
        case StatusColumn:
            return tr("Status");
        case VotesColumn:
            return tr("Votes");
        case ShardColumn:
            return tr("Shard");
        case IdColumn:
            return tr("ID");
        }
    } else if (role == Qt::ToolTipRole && section == VotesColumn) {
        return tr("Total votes, updated live");
    }
    return {};
}

int PollListModel::rowOf(const QString &pollId) const
{
    for (int row = 0; row < m_polls.size(); ++row) {
        if (m_polls.at(row).id == pollId)
            return row;
    }
    return -1;
}

const PollInfo *PollListModel::poll(const QString &pollId) const
{
    const int row = rowOf(pollId);
    return row < 0 ? nullptr : &m_polls.at(row);
}

QStringList PollListModel::ids() const
{
    QStringList ids;
    ids.reserve(m_polls.size());
    for (const PollInfo &poll : m_polls)
        ids.append(poll.id);
    return ids;
}

QStringList PollListModel::themes() const
{
    QSet<QString> seen;
    for (const PollInfo &poll : m_polls)
        seen.insert(poll.theme);
    QStringList themes(seen.cbegin(), seen.cend());
    themes.sort(Qt::CaseInsensitive);
    return themes;
}

void PollListModel::replaceRow(int row, const PollInfo &poll)
{
    const PollInfo &old = m_polls.at(row);
    const bool changed =
        old.question != poll.question || old.theme != poll.theme || old.status != poll.status ||
        old.shard != poll.shard || old.oneVotePerVoter != poll.oneVotePerVoter ||
        old.options.size() != poll.options.size() || old.maxChoices != poll.maxChoices ||
        old.resultsVisibility != poll.resultsVisibility || old.closesAt != poll.closesAt ||
        old.resetAt != poll.resetAt;
    if (!changed)
        return;
    m_polls[row] = poll;
    Q_EMIT dataChanged(index(row, 0), index(row, ColumnCount - 1));
    Q_EMIT pollChanged(poll.id);
}

void PollListModel::setPolls(const QJsonArray &polls)
{
    const QStringList themesBefore = themes();
    QList<PollInfo> incoming;
    QSet<QString> incomingIds;
    for (const QJsonValue &value : polls) {
        incoming.append(PollInfo::fromJson(value.toObject()));
        incomingIds.insert(incoming.constLast().id);
    }
    for (int row = int(m_polls.size()) - 1; row >= 0; --row) {
        if (!incomingIds.contains(m_polls.at(row).id)) {
            beginRemoveRows({}, row, row);
            m_totals.remove(m_polls.at(row).id);
            m_polls.removeAt(row);
            endRemoveRows();
        }
    }
    for (const PollInfo &poll : std::as_const(incoming)) {
        const int row = rowOf(poll.id);
        if (row >= 0) {
            replaceRow(row, poll);
            continue;
        }
        const int at = int(m_polls.size());
        beginInsertRows({}, at, at);
        m_polls.append(poll);
        endInsertRows();
        Q_EMIT pollChanged(poll.id);
    }
    if (themes() != themesBefore)
        Q_EMIT themesChanged();
}

void PollListModel::upsertPoll(const QJsonObject &json)
{
    const PollInfo poll = PollInfo::fromJson(json);
    if (poll.id.isEmpty())
        return;
    const QStringList themesBefore = themes();
    const int row = rowOf(poll.id);
    if (row >= 0) {
        replaceRow(row, poll);
    } else {
        const int at = int(m_polls.size());
        beginInsertRows({}, at, at);
        m_polls.append(poll);
        endInsertRows();
        Q_EMIT pollChanged(poll.id);
    }
    if (themes() != themesBefore)
        Q_EMIT themesChanged();
}

void PollListModel::removePoll(const QString &pollId)
{
    const int row = rowOf(pollId);
    if (row < 0)
        return;
    const QStringList themesBefore = themes();
    beginRemoveRows({}, row, row);
    m_polls.removeAt(row);
    m_totals.remove(pollId);
    endRemoveRows();
    if (themes() != themesBefore)
        Q_EMIT themesChanged();
}

void PollListModel::setTotal(const QString &pollId, qint64 total)
{
    if (m_totals.value(pollId, -1) == total)
        return;
    const int row = rowOf(pollId);
    if (row < 0)
        return;
    m_totals.insert(pollId, total);
    const QModelIndex cell = index(row, VotesColumn);
    Q_EMIT dataChanged(cell, cell, {Qt::DisplayRole, SortRole});
}

void PollListModel::clear()
{
    if (m_polls.isEmpty())
        return;
    beginResetModel();
    m_polls.clear();
    m_totals.clear();
    endResetModel();
    Q_EMIT themesChanged();
}
