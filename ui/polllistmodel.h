#pragma once

#include "pollinfo.h"

#include <QAbstractTableModel>
#include <QHash>
#include <QJsonArray>

// The server's polls, in the server's order (oldest first), with the latest known
// total of each. Updates are applied row by row (no resets), so a selection and the
// scroll position survive every refresh.
class PollListModel : public QAbstractTableModel {
    Q_OBJECT
public:
    enum Column {
        QuestionColumn,
        ThemeColumn,
        StatusColumn,
        VotesColumn,
        ShardColumn,
        IdColumn,
        ColumnCount
    };
    enum Role { PollIdRole = Qt::UserRole + 1, ThemeRole, StatusRole, SortRole };

    explicit PollListModel(QObject *parent = nullptr);

    int rowCount(const QModelIndex &parent = {}) const override;
    int columnCount(const QModelIndex &parent = {}) const override;
    QVariant data(const QModelIndex &index, int role = Qt::DisplayRole) const override;
    QVariant headerData(int section, Qt::Orientation orientation,
                        int role = Qt::DisplayRole) const override;

    // The full list from GET /polls: rows are updated, removed and added in place.
    void setPolls(const QJsonArray &polls);
    // A poll_created / poll_updated event.
    void upsertPoll(const QJsonObject &poll);
    void removePoll(const QString &pollId);
    void setTotal(const QString &pollId, qint64 total);
    void clear();

    int rowOf(const QString &pollId) const;
    const PollInfo *poll(const QString &pollId) const;
    const PollInfo &pollAt(int row) const { return m_polls.at(row); }
    qint64 totalOf(const QString &pollId) const { return m_totals.value(pollId, -1); }
    QStringList ids() const;
    QStringList themes() const; // sorted, distinct

Q_SIGNALS:
    // A poll's details (not its total) changed; also emitted for new polls.
    void pollChanged(const QString &pollId);
    void themesChanged();

private:
    void replaceRow(int row, const PollInfo &poll);

    QList<PollInfo> m_polls;
    QHash<QString, qint64> m_totals;
};
