#pragma once

#include <QChartView>
#include <QList>
#include <QPointF>

class QLineSeries;
class QValueAxis;

// A small line chart of one health metric over the last few minutes. The title
// shows the metric's name and latest value; the time axis counts seconds back from
// the latest sample ("-60s" ... "0s") and spans the data, from one minute up to
// the whole window.
class TimeSeriesChart : public QChartView {
    Q_OBJECT
public:
    static constexpr qint64 DefaultWindowMs = 5 * 60 * 1000;
    static constexpr qint64 MinSpanMs = 60 * 1000;

    // `format` turns a value into text for the title, e.g. "%1 votes".
    TimeSeriesChart(const QString &name, const QString &format, int decimals,
                    QWidget *parent = nullptr);

    // A fixed value range (e.g. 0-100 for a percentage) instead of following the data.
    void setFixedRange(double min, double max);
    void append(qint64 msecsSinceEpoch, double value);
    void clear();

    QString name() const { return m_name; }
    QLineSeries *series() const { return m_series; }
    int pointCount() const { return int(m_samples.size()); }
    double lastValue() const { return m_last; }
    QString titleText() const;

protected:
    void changeEvent(QEvent *event) override;

private:
    void updateTitle();
    void applyPalette();

    QString m_name;
    QString m_format;
    int m_decimals;
    qint64 m_windowMs = DefaultWindowMs;
    bool m_fixedRange = false;
    bool m_hasValue = false;
    double m_last = 0;
    QList<QPointF> m_samples; // x: ms since the epoch
    QChart *m_chart;
    QLineSeries *m_series;
    QValueAxis *m_timeAxis;
    QValueAxis *m_valueAxis;
};
