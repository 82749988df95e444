#include "shardview.h"
#include "chartstyle.h"
#include "elidedlabel.h"
#include "uitext.h"

#include <QChart>
#include <QChartView>
#include <QComboBox>
#include <QEvent>
#include <QGraphicsLayout>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QLegend>
#include <QLocale>
#include <QPieSeries>
#include <QPieSlice>
#include <QResizeEvent>
#include <QStyle>
#include <QTableWidget>
#include <QVBoxLayout>

ShardView::ShardView(QWidget *parent)
    : QWidget(parent), m_table(new QTableWidget(0, ColumnCount, this)),
      m_owner(new ElidedLabel(2, this)), m_rebalance(new QLabel(this)),
      m_ownerIcon(style()->standardIcon(QStyle::SP_ArrowRight)), m_metricBox(new QComboBox(this)),
      m_pieView(new QChartView(this)), m_pieChart(new QChart), m_pie(new QPieSeries(m_pieChart)),
      m_layout(new QBoxLayout(QBoxLayout::LeftToRight, this))
{
    m_table->setObjectName(QStringLiteral("shardTable"));
    m_table->setHorizontalHeaderLabels({tr("Shard"), tr("Kind"), tr("State"), tr("Ring share"),
                                        tr("Polls"), tr("Votes"), tr("Address")});
    m_table->horizontalHeaderItem(ShareColumn)
        ->setToolTip(tr("Fraction of the hash ring (and so of new polls) owned by the shard"));
    m_table->horizontalHeaderItem(VotesColumn)->setToolTip(tr("Votes stored on the shard"));
    m_table->verticalHeader()->hide();
    m_table->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_table->setSelectionMode(QAbstractItemView::NoSelection);
    m_table->setWordWrap(false);
    m_table->setTabKeyNavigation(false); // Tab leaves the table; arrows move in it
    QHeaderView *header = m_table->horizontalHeader();
    header->setSectionResizeMode(QHeaderView::ResizeToContents);
    header->setSectionResizeMode(AddressColumn, QHeaderView::Stretch);

    m_table->setAccessibleName(tr("Shards"));
    m_table->setAccessibleDescription(
        tr("One row per shard: name, kind, state, ring share, polls, votes and address"));
    m_owner->setObjectName(QStringLiteral("shardOwnerLabel"));
    m_rebalance->setObjectName(QStringLiteral("rebalanceLabel"));
    m_rebalance->setWordWrap(true);
    m_rebalance->hide();

    m_metricBox->setObjectName(QStringLiteral("shardMetric"));
    m_metricBox->setToolTip(tr("What the pie chart shows per shard"));
    m_metricBox->setAccessibleName(tr("Pie chart metric"));
    m_metricBox->addItem(tr("Ring share"));
    m_metricBox->addItem(tr("Polls"));
    m_metricBox->addItem(tr("Votes"));
    connect(m_metricBox, &QComboBox::currentIndexChanged, this,
            [this](int index) { setMetric(Metric(index)); });

    m_pieView->setObjectName(QStringLiteral("shardPie"));
    m_pieView->setChart(m_pieChart);
    m_pieView->setRenderHint(QPainter::Antialiasing);
    m_pieView->setAccessibleName(tr("Shard pie chart"));
    m_pieView->setFocusPolicy(Qt::StrongFocus); // reachable with Tab, so its text is read
    m_pieView->setMinimumSize(fontMetrics().averageCharWidth() * 20, fontMetrics().height() * 8);
    m_pieChart->addSeries(m_pie);
    m_pieChart->setAnimationOptions(QChart::NoAnimation);
    m_pieChart->layout()->setContentsMargins(0, 0, 0, 0);
    m_pieChart->setMargins(QMargins(4, 4, 4, 4));
    m_pieChart->legend()->setAlignment(Qt::AlignBottom);
    m_pie->setPieSize(0.8);

    auto *pieBox = new QVBoxLayout;
    auto *metricRow = new QHBoxLayout;
    auto *metricLabel = new QLabel(tr("Pi&e:"), this);
    metricLabel->setBuddy(m_metricBox);
    metricRow->addWidget(metricLabel);
    metricRow->addWidget(m_metricBox, 1);
    pieBox->addLayout(metricRow);
    pieBox->addWidget(m_pieView, 1);

    auto *tableBox = new QVBoxLayout;
    tableBox->addWidget(m_owner);
    tableBox->addWidget(m_table, 1);
    tableBox->addWidget(m_rebalance);

    const int margin = style()->pixelMetric(QStyle::PM_LayoutLeftMargin) / 2;
    m_layout->setContentsMargins(margin, margin, margin, 0);
    m_layout->addLayout(tableBox, 3);
    m_layout->addLayout(pieBox, 2);
    setSelectedPoll({}, {});
    applyPalette();
}

void ShardView::clear()
{
    m_shards.clear();
    refresh();
}

void ShardView::setRing(const QJsonObject &ring)
{
    QMap<QString, Shard> shards;
    for (const QJsonValue &value : ring.value(QStringLiteral("nodes")).toArray()) {
        const QJsonObject node = value.toObject();
        const QString name = node.value(QStringLiteral("name")).toString();
        Shard shard = m_shards.value(name);
        shard.kind = node.value(QStringLiteral("kind")).toString();
        shard.address = node.value(QStringLiteral("address")).toString();
        shard.state = node.value(QStringLiteral("state")).toString();
        shard.share = node.value(QStringLiteral("share")).toDouble();
        shard.polls = node.value(QStringLiteral("polls")).toInteger();
        shards.insert(name, shard);
    }
    m_shards = shards;
    refresh();
}

void ShardView::setStats(const QJsonObject &stats)
{
    const QJsonValue list = stats.value(QStringLiteral("shards"));
    if (!list.isArray())
        return;
    for (const QJsonValue &value : list.toArray()) {
        const QJsonObject entry = value.toObject();
        const QString name = entry.value(QStringLiteral("name")).toString();
        Shard &shard = m_shards[name];
        shard.kind = entry.value(QStringLiteral("kind")).toString();
        shard.address = entry.value(QStringLiteral("address")).toString();
        shard.state = entry.value(QStringLiteral("state")).toString();
        shard.polls = entry.value(QStringLiteral("polls")).toInteger();
        shard.votes = entry.value(QStringLiteral("votes")).toInteger();
        shard.queuedBatches = entry.value(QStringLiteral("queued_batches")).toInteger();
        shard.monitor = entry.value(QStringLiteral("monitor")).toString();
        shard.failovers = entry.value(QStringLiteral("failovers")).toInt(-1);
        shard.replicaCount = entry.value(QStringLiteral("replica_count")).toInt();
        shard.replicas.clear();
        for (const QJsonValue &replica : entry.value(QStringLiteral("replicas")).toArray())
            shard.replicas.append(replica.toString());
    }
    const QJsonObject rebalance = stats.value(QStringLiteral("rebalance")).toObject();
    const QString state = rebalance.value(QStringLiteral("state")).toString();
    const qint64 moved = rebalance.value(QStringLiteral("polls_moved")).toInteger();
    const qint64 toMove = rebalance.value(QStringLiteral("polls_to_move")).toInteger();
    if (state == u"running")
        m_rebalance->setText(
            tr("Moving polls to their ring shards: %1 of %2 moved").arg(moved).arg(toMove));
    else if (state == u"done")
        m_rebalance->setText(
            tr("Polls moved to their ring shards: %1 of %2").arg(moved).arg(toMove));
    else if (state == u"failed")
        m_rebalance->setText(tr("Moving polls stopped: %1 of %2 moved, %3 failed (%4)")
                                 .arg(moved)
                                 .arg(toMove)
                                 .arg(rebalance.value(QStringLiteral("polls_failed")).toInteger())
                                 .arg(rebalance.value(QStringLiteral("last_error")).toString()));
    m_rebalance->setVisible(state == u"running" || state == u"done" || state == u"failed");
    refresh();
}

void ShardView::setSelectedPoll(const QString &question, const QString &shard)
{
    m_ownerShard = shard;
    if (shard.isEmpty())
        m_owner->setFullText(tr("Select a poll to see which shard stores it."));
    else
        m_owner->setFullText(tr("“%1” is stored on %2.").arg(question, shard));
    refresh();
}

void ShardView::setMetric(Metric metric)
{
    m_metric = metric;
    if (m_metricBox->currentIndex() != int(metric))
        m_metricBox->setCurrentIndex(int(metric));
    updatePie();
}

int ShardView::rowOf(const QString &name) const
{
    for (int row = 0; row < m_table->rowCount(); ++row) {
        if (m_table->item(row, NameColumn) &&
            m_table->item(row, NameColumn)->data(Qt::UserRole) == name)
            return row;
    }
    return -1;
}

void ShardView::setCell(int row, int column, const QString &text, const QString &toolTip)
{
    QTableWidgetItem *item = m_table->item(row, column);
    if (!item) {
        item = new QTableWidgetItem;
        if (column >= ShareColumn)
            item->setTextAlignment(Qt::AlignRight | Qt::AlignVCenter);
        m_table->setItem(row, column, item);
    }
    if (item->text() != text)
        item->setText(text);
    if (item->toolTip() != toolTip)
        item->setToolTip(toolTip);
}

void ShardView::setPaused(bool paused)
{
    m_paused = paused;
    if (rendering() && m_stale)
        refresh();
}

void ShardView::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    if (m_stale)
        refresh();
}

void ShardView::refresh()
{
    // Stats arrive twice a second: a hidden dock or a minimised window draws nothing.
    if (!rendering()) {
        m_stale = true;
        return;
    }
    m_stale = false;
    const QLocale locale;
    if (m_table->rowCount() != m_shards.size())
        m_table->setRowCount(int(m_shards.size()));
    int row = 0;
    for (auto it = m_shards.cbegin(); it != m_shards.cend(); ++it, ++row) {
        const Shard &shard = it.value();
        const bool owner = it.key() == m_ownerShard;
        setCell(row, NameColumn, it.key(), owner ? tr("Stores the selected poll") : QString());
        QTableWidgetItem *nameItem = m_table->item(row, NameColumn);
        nameItem->setData(Qt::UserRole, it.key());
        const QIcon icon = owner ? m_ownerIcon : QIcon();
        if (nameItem->icon().cacheKey() != icon.cacheKey())
            nameItem->setIcon(icon);
        setCell(row, KindColumn, shard.kind);
        QString address = shard.address;
        QString addressTip = shard.address;
        if (shard.failovers >= 0) {
            // A Sentinel-monitored group: its master, then its replicas.
            const QString replicas = shard.replicas.isEmpty()
                                         ? QString::number(shard.replicaCount)
                                         : shard.replicas.join(QStringLiteral(", "));
            address = address.isEmpty() ? tr("replicas: %1").arg(replicas)
                                        : tr("master %1, replicas: %2").arg(address, replicas);
            addressTip = shard.monitor.isEmpty() ? address : shard.monitor + u'\n' + address;
        }
        setCell(row, AddressColumn, address, UiText::forToolTip(addressTip));
        QString state = shard.queuedBatches > 0
                            ? UiText::plural(tr("%1, %Ln batch(es) queued", nullptr,
                                                int(qMin<qint64>(shard.queuedBatches, INT_MAX))),
                                             shard.queuedBatches)
                                  .arg(shard.state)
                            : shard.state;
        if (shard.failovers > 0)
            state =
                UiText::plural(tr("%1, %Ln failover(s)", nullptr, shard.failovers), shard.failovers)
                    .arg(state);
        setCell(row, StateColumn, state);
        setCell(row, ShareColumn,
                shard.share < 0 ? QStringLiteral("–")
                                : locale.toString(shard.share * 100.0, 'f', 1) + u'%');
        setCell(row, PollsColumn, locale.toString(shard.polls));
        setCell(row, VotesColumn,
                shard.votes < 0 ? QStringLiteral("–") : locale.toString(shard.votes));
        for (int column = 0; column < ColumnCount; ++column) {
            QTableWidgetItem *item = m_table->item(row, column);
            QFont font = item->font();
            if (font.bold() != owner) {
                font.setBold(owner);
                item->setFont(font);
            }
        }
    }
    updatePie();
}

void ShardView::updatePie()
{
    const QLocale locale;
    const QList<QColor> colours = ChartStyle::series(palette(), int(m_shards.size()));
    double sum = 0;
    QList<double> values;
    for (const Shard &shard : std::as_const(m_shards)) {
        const double value = m_metric == Metric::RingShare ? qMax(0.0, shard.share)
                             : m_metric == Metric::Polls   ? double(shard.polls)
                                                           : double(qMax<qint64>(0, shard.votes));
        values.append(value);
        sum += value;
    }
    // Slices are reused while the set of shards stays the same: no flicker.
    while (m_pie->count() > m_shards.size())
        m_pie->remove(m_pie->slices().constLast());
    while (m_pie->count() < m_shards.size())
        m_pie->append(QString(), 0);
    int i = 0;
    QStringList parts;
    for (auto it = m_shards.cbegin(); it != m_shards.cend(); ++it, ++i) {
        QPieSlice *slice = m_pie->slices().at(i);
        const double share = sum > 0 ? values.at(i) / sum * 100.0 : 0.0;
        const QString label =
            QStringLiteral("%1 %2%").arg(it.key(), locale.toString(share, 'f', 1));
        parts.append(label);
        // Slice and legend labels are rendered as HTML.
        slice->setLabel(UiText::forChart(label));
        slice->setValue(sum > 0 ? values.at(i) : 1.0);
        slice->setColor(colours.at(i));
        slice->setBorderColor(palette().color(QPalette::Active, QPalette::Base));
        slice->setLabelColor(palette().color(QPalette::Active, QPalette::WindowText));
        slice->setExploded(it.key() == m_ownerShard && m_shards.size() > 1);
    }
    m_pieView->setAccessibleDescription(
        parts.isEmpty() ? tr("No shards known yet.")
                        : tr("%1 per shard: %2")
                              .arg(m_metricBox->currentText(), parts.join(QStringLiteral(", "))));
}

QList<QWidget *> ShardView::tabChain() const
{
    return {m_table, m_metricBox, m_pieView};
}

QString ShardView::pieText() const
{
    return m_pieView->accessibleDescription();
}

void ShardView::applyPalette()
{
    ChartStyle::apply(m_pieChart, palette());
    m_pieView->setBackgroundBrush(palette().brush(QPalette::Active, QPalette::Base));
    updatePie();
}

void ShardView::resizeEvent(QResizeEvent *event)
{
    // Side by side when wide, the pie under the table when narrow (a side dock).
    const auto direction =
        width() >= wideLayoutWidth() ? QBoxLayout::LeftToRight : QBoxLayout::TopToBottom;
    if (m_layout->direction() != direction)
        m_layout->setDirection(direction);
    QWidget::resizeEvent(event);
}

int ShardView::wideLayoutWidth() const
{
    return fontMetrics().averageCharWidth() * 130;
}

void ShardView::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
    QWidget::changeEvent(event);
}
