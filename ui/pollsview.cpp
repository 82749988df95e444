#include "pollsview.h"
#include "pollfiltermodel.h"
#include "polllistmodel.h"

#include <QAction>
#include <QComboBox>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QItemSelectionModel>
#include <QLabel>
#include <QStackedWidget>
#include <QStyle>
#include <QTableView>
#include <QVBoxLayout>

PollsView::PollsView(PollListModel *model, QWidget *parent)
    : QWidget(parent), m_model(model), m_filter(new PollFilterModel(this)),
      m_themeFilter(new QComboBox(this)), m_statusFilter(new QComboBox(this)),
      m_stack(new QStackedWidget(this)), m_table(new QTableView(this)),
      m_emptyLabel(new QLabel(this))
{
    m_filter->setSourceModel(model);

    m_themeFilter->setObjectName(QStringLiteral("themeFilter"));
    m_themeFilter->setToolTip(tr("Show the polls of one theme"));
    m_themeFilter->setSizeAdjustPolicy(QComboBox::AdjustToContents);
    m_themeFilter->setMinimumContentsLength(8);
    m_themeFilter->addItem(tr("All themes"), QString());
    m_statusFilter->setObjectName(QStringLiteral("statusFilter"));
    m_statusFilter->setToolTip(tr("Show open polls, closed polls or both"));
    m_statusFilter->addItem(tr("Any status"), QString());
    m_statusFilter->addItem(tr("Open"), QStringLiteral("open"));
    m_statusFilter->addItem(tr("Closed"), QStringLiteral("closed"));

    auto *themeLabel = new QLabel(tr("&Theme:"), this);
    themeLabel->setBuddy(m_themeFilter);
    auto *statusLabel = new QLabel(tr("St&atus:"), this);
    statusLabel->setBuddy(m_statusFilter);
    auto *filters = new QHBoxLayout;
    filters->addWidget(themeLabel);
    filters->addWidget(m_themeFilter, 1);
    filters->addSpacing(fontMetrics().averageCharWidth());
    filters->addWidget(statusLabel);
    filters->addWidget(m_statusFilter);

    // Connected before the view's own handler, which would move the selection to the
    // next poll: a deleted poll is not quietly replaced by another one.
    connect(m_filter, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [this](const QModelIndex &, int first, int last) {
                const QModelIndex current = m_table->selectionModel()
                                                ? m_table->selectionModel()->currentIndex()
                                                : QModelIndex();
                if (current.isValid() && current.row() >= first && current.row() <= last)
                    m_table->selectionModel()->clear();
            });
    m_table->setObjectName(QStringLiteral("pollTable"));
    m_table->setAccessibleName(tr("Polls"));
    m_table->setAccessibleDescription(
        tr("One row per poll: question, theme, status and total votes. The selected poll is "
           "shown in the results."));
    m_table->setModel(m_filter);
    m_table->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_table->setSelectionMode(QAbstractItemView::SingleSelection);
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSortingEnabled(true);
    m_table->sortByColumn(-1, Qt::AscendingOrder); // server order until a header is clicked
    m_table->setWordWrap(false);
    m_table->setTextElideMode(Qt::ElideRight);
    m_table->verticalHeader()->hide();
    m_table->setAlternatingRowColors(true);
    m_table->setContextMenuPolicy(Qt::ActionsContextMenu);
    m_table->setTabKeyNavigation(false); // Tab leaves the list; arrows move in it
    QHeaderView *header = m_table->horizontalHeader();
    header->setSectionResizeMode(PollListModel::QuestionColumn, QHeaderView::Stretch);
    for (int column : {PollListModel::ThemeColumn, PollListModel::StatusColumn,
                       PollListModel::VotesColumn, PollListModel::ShardColumn})
        header->setSectionResizeMode(column, QHeaderView::ResizeToContents);
    m_table->setColumnHidden(PollListModel::IdColumn, true);
    m_table->setColumnHidden(PollListModel::ShardColumn, true);

    m_emptyLabel->setObjectName(QStringLiteral("pollsEmptyLabel"));
    m_emptyLabel->setAlignment(Qt::AlignCenter);
    m_emptyLabel->setWordWrap(true);
    m_emptyLabel->setTextFormat(Qt::PlainText);
    m_emptyLabel->setEnabled(false); // the palette's disabled text: a quiet hint
    m_stack->addWidget(m_table);
    m_stack->addWidget(m_emptyLabel);

    auto *layout = new QVBoxLayout(this);
    // Some room at the dock's edges, so the labels' first letters are not cut.
    const int margin = style()->pixelMetric(QStyle::PM_LayoutLeftMargin) / 2;
    layout->setContentsMargins(margin, margin, margin, 0);
    layout->addLayout(filters);
    layout->addWidget(m_stack, 1);

    connect(m_themeFilter, &QComboBox::currentIndexChanged, this, [this] {
        m_filter->setTheme(m_themeFilter->currentData().toString());
        updateEmptyState();
        emitSelection();
    });
    connect(m_statusFilter, &QComboBox::currentIndexChanged, this, [this] {
        m_filter->setStatus(m_statusFilter->currentData().toString());
        updateEmptyState();
        emitSelection();
    });
    connect(m_model, &PollListModel::themesChanged, this, &PollsView::updateThemes);
    connect(m_filter, &QAbstractItemModel::rowsInserted, this, &PollsView::updateEmptyState);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &PollsView::updateEmptyState);
    connect(m_filter, &QAbstractItemModel::modelReset, this, &PollsView::updateEmptyState);
    connect(m_filter, &QAbstractItemModel::rowsRemoved, this, &PollsView::emitSelection);
    connect(m_table->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &PollsView::emitSelection);
    connect(m_table, &QTableView::activated, this, [this](const QModelIndex &index) {
        Q_EMIT activated(index.data(PollListModel::PollIdRole).toString());
    });
    updateEmptyState();
}

QString PollsView::selectedPollId() const
{
    const QModelIndexList rows = m_table->selectionModel()->selectedRows();
    return rows.isEmpty() ? QString()
                          : rows.constFirst().data(PollListModel::PollIdRole).toString();
}

void PollsView::selectPoll(const QString &pollId)
{
    const int sourceRow = m_model->rowOf(pollId);
    if (sourceRow < 0)
        return;
    QModelIndex index = m_filter->mapFromSource(m_model->index(sourceRow, 0));
    if (!index.isValid()) {
        // Hidden by the filters: show everything rather than select nothing.
        m_themeFilter->setCurrentIndex(0);
        m_statusFilter->setCurrentIndex(0);
        index = m_filter->mapFromSource(m_model->index(sourceRow, 0));
    }
    m_table->selectionModel()->select(index, QItemSelectionModel::ClearAndSelect |
                                                 QItemSelectionModel::Rows);
    m_table->setCurrentIndex(index);
    m_table->scrollTo(index);
}

void PollsView::setContextActions(const QList<QAction *> &actions)
{
    m_table->addActions(actions);
}

void PollsView::setLoading(bool loading)
{
    m_loading = loading;
    updateEmptyState();
}

void PollsView::updateThemes()
{
    const QString current = m_themeFilter->currentData().toString();
    const QSignalBlocker blocker(m_themeFilter);
    m_themeFilter->clear();
    m_themeFilter->addItem(tr("All themes"), QString());
    for (const QString &theme : m_model->themes())
        m_themeFilter->addItem(theme, theme);
    const int index = m_themeFilter->findData(current);
    m_themeFilter->setCurrentIndex(index < 0 ? 0 : index);
    if (index < 0 && !current.isEmpty()) {
        m_filter->setTheme(QString()); // the theme's last poll is gone
        updateEmptyState();
    }
}

void PollsView::updateEmptyState()
{
    if (m_filter->rowCount() > 0) {
        m_stack->setCurrentWidget(m_table);
        return;
    }
    if (m_loading)
        m_emptyLabel->setText(tr("Loading polls…"));
    else if (m_model->rowCount() == 0)
        m_emptyLabel->setText(tr("No polls yet — press Ctrl+N to create one."));
    else
        m_emptyLabel->setText(tr("No polls match these filters."));
    m_stack->setCurrentWidget(m_emptyLabel);
}

void PollsView::emitSelection()
{
    const QString id = selectedPollId();
    if (id == m_lastSelected)
        return;
    m_lastSelected = id;
    Q_EMIT selectedPollChanged(id);
}
