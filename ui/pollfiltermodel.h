#pragma once

#include <QSortFilterProxyModel>

// The poll list as the filters show it: one theme (or all), open, closed or all.
class PollFilterModel : public QSortFilterProxyModel {
    Q_OBJECT
public:
    explicit PollFilterModel(QObject *parent = nullptr);

    // Empty: every theme / every status.
    void setTheme(const QString &theme);
    void setStatus(const QString &status);
    QString theme() const { return m_theme; }
    QString status() const { return m_status; }

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    QString m_theme;
    QString m_status;
};
