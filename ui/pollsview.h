#pragma once

#include <QWidget>

class PollFilterModel;
class PollListModel;
class QAction;
class QComboBox;
class QLabel;
class QStackedWidget;
class QTableView;

// The poll list: filters by theme and status, one row per poll with its live total,
// and an empty state that says what to do.
class PollsView : public QWidget {
    Q_OBJECT
public:
    explicit PollsView(PollListModel *model, QWidget *parent = nullptr);

    QString selectedPollId() const;
    void selectPoll(const QString &pollId);
    // Shown in the list's context menu.
    void setContextActions(const QList<QAction *> &actions);
    // Before the first list arrives the empty state says so.
    void setLoading(bool loading);

    QTableView *table() const { return m_table; }
    QComboBox *themeFilter() const { return m_themeFilter; }
    QComboBox *statusFilter() const { return m_statusFilter; }
    QLabel *emptyLabel() const { return m_emptyLabel; }

Q_SIGNALS:
    void selectedPollChanged(const QString &pollId);
    void activated(const QString &pollId);

private:
    void updateThemes();
    void updateEmptyState();
    void emitSelection();

    PollListModel *m_model;
    PollFilterModel *m_filter;
    QComboBox *m_themeFilter;
    QComboBox *m_statusFilter;
    QStackedWidget *m_stack;
    QTableView *m_table;
    QLabel *m_emptyLabel;
    QString m_lastSelected;
    bool m_loading = true;
};
