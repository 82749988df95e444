#include "pollfiltermodel.h"
#include "polllistmodel.h"

PollFilterModel::PollFilterModel(QObject *parent) : QSortFilterProxyModel(parent)
{
    setSortRole(PollListModel::SortRole);
    setSortCaseSensitivity(Qt::CaseInsensitive);
}

void PollFilterModel::setTheme(const QString &theme)
{
    if (theme == m_theme)
        return;
    m_theme = theme;
    invalidateRowsFilter();
}

void PollFilterModel::setStatus(const QString &status)
{
    if (status == m_status)
        return;
    m_status = status;
    invalidateRowsFilter();
}

bool PollFilterModel::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!m_theme.isEmpty() && index.data(PollListModel::ThemeRole).toString() != m_theme)
        return false;
    return m_status.isEmpty() || index.data(PollListModel::StatusRole).toString() == m_status;
}
