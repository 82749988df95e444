#pragma once

#include <QIcon>
#include <QJsonObject>
#include <QMap>
#include <QWidget>

class ElidedLabel;
class QBoxLayout;
class QChart;
class QChartView;
class QComboBox;
class QLabel;
class QPieSeries;
class QTableWidget;

// The shards behind the server: a table merged from GET /api/v1/ring (ring share)
// and the stats' `shards[]` (state, polls, votes), the shard that owns the selected
// poll, the progress of a rebalance, and a pie chart of ring share, polls or votes per
// shard.
class ShardView : public QWidget {
    Q_OBJECT
public:
    enum Column {
        NameColumn,
        KindColumn,
        StateColumn,
        ShareColumn,
        PollsColumn,
        VotesColumn,
        AddressColumn, // last: it takes the room left, and paths or addresses are long
        ColumnCount
    };
    enum class Metric { RingShare, Polls, Votes };

    explicit ShardView(QWidget *parent = nullptr);

    void setRing(const QJsonObject &ring);
    void setStats(const QJsonObject &stats);
    // The selected poll and the shard that stores it (both empty: none).
    void setSelectedPoll(const QString &question, const QString &shard);
    void setMetric(Metric metric);
    void clear();

    QTableWidget *table() const { return m_table; }
    QPieSeries *pie() const { return m_pie; }
    ElidedLabel *ownerLabel() const { return m_owner; }
    // Progress of moving polls between shards (stats' `rebalance`); hidden when none ran.
    QLabel *rebalanceLabel() const { return m_rebalance; }
    QChartView *pieView() const { return m_pieView; }
    QList<QWidget *> tabChain() const;
    // A minimised window: nothing is redrawn until it is shown again.
    void setPaused(bool paused);
    // The pie as text, e.g. "shard-0 50.0%, shard-1 50.0%".
    QString pieText() const;
    // The row of a shard, -1 if unknown.
    int rowOf(const QString &name) const;

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;
    void showEvent(QShowEvent *event) override;

private:
    struct Shard {
        QString kind;
        QString address;
        QString state;
        double share = -1; // unknown until the ring arrives
        qint64 polls = 0;
        qint64 votes = -1; // unknown until stats arrive
        qint64 queuedBatches = 0;
        // A Sentinel-monitored shard (empty monitor otherwise); addresses for admins only.
        QString monitor;
        QStringList replicas;
        int replicaCount = 0;
        int failovers = 0;
    };
    void refresh();
    bool rendering() const { return isVisible() && !m_paused; }
    int wideLayoutWidth() const;
    void updatePie();
    void applyPalette();
    void setCell(int row, int column, const QString &text, const QString &toolTip = {});

    QMap<QString, Shard> m_shards;
    QString m_ownerShard;
    Metric m_metric = Metric::RingShare;
    QTableWidget *m_table;
    ElidedLabel *m_owner;
    QLabel *m_rebalance;
    QIcon m_ownerIcon; // made once: a new standard icon per refresh fills the pixmap cache
    bool m_paused = false;
    bool m_stale = false; // changed while not drawn
    QComboBox *m_metricBox;
    QChartView *m_pieView;
    QChart *m_pieChart;
    QPieSeries *m_pie;
    QBoxLayout *m_layout;
};
