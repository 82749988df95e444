#pragma once

#include "pollinfo.h"

#include <QChartView>
#include <QJsonObject>
#include <QMap>

class QBarCategoryAxis;
class QBarSet;
class QGraphicsSimpleTextItem;
class QHorizontalBarSeries;
class QValueAxis;

// The live bar chart of one poll: a horizontal bar per option, top to bottom in the
// poll's order, each labelled with its count and share of the total (of the voters
// on a multiple-choice poll, as the audience page and the export count). New results
// change the bar values in place; the chart is rebuilt only when another poll (or
// a poll with other options) is shown, so it does not flicker.
class ResultsChart : public QChartView {
    Q_OBJECT
public:
    explicit ResultsChart(QWidget *parent = nullptr);

    void setPoll(const PollInfo &poll);
    void clearPoll();
    void setResults(const QJsonObject &results, qint64 total);
    // Votes cast: the base of the shares on a multiple-choice poll.
    void setVoters(qint64 voters);
    // Text and bars `zoom` times the console's size, e.g. for a projector.
    void setZoom(double zoom);

    QString pollId() const { return m_pollId; }
    // The values the bars show, by option id.
    QMap<QString, qint64> values() const;
    qint64 total() const { return m_total; }
    // The axis categories as given to Qt Charts (HTML-escaped option texts), top first.
    QStringList categories() const;
    // The value label of an option's bar, e.g. "12 · 40.0%".
    QString labelText(const QString &optionId) const;
    // How many times the bar set was rebuilt (once per poll shown).
    int rebuilds() const { return m_rebuilds; }
    // The chart's values as text (for screen readers), e.g. "Pizza: 12 votes, 40.0%; …".
    QString valuesText() const;
    // The value labels' boxes in view coordinates, poll order.
    QList<QRectF> labelRects() const;

protected:
    void changeEvent(QEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    int barIndex(int option) const { return int(m_optionIds.size()) - 1 - option; }
    void updateRange();
    void setScale(double atLeast);
    void updateLabels();
    qint64 shareBase() const;
    void applyPalette();
    void applyFonts();
    void updateCategories();
    void updateDescription();

    QChart *m_chart;
    QHorizontalBarSeries *m_series;
    QBarSet *m_set;
    QBarCategoryAxis *m_categoryAxis;
    QValueAxis *m_valueAxis;
    QList<QGraphicsSimpleTextItem *> m_labels; // one per option, poll order
    QString m_pollId;
    QStringList m_optionIds;
    QStringList m_optionTexts;
    QList<qint64> m_values; // poll order
    qint64 m_total = 0;
    qint64 m_voters = -1;
    bool m_multipleChoice = false;
    int m_rebuilds = 0;
    double m_zoom = 1.0;
    bool m_zoomed = false;
};
