#pragma once

#include <QChartView>
#include <QList>
#include <functional>

class QAreaSeries;
class QDateTimeAxis;
class QLineSeries;
class QValueAxis;

// A small line chart of one health metric over the last few minutes, on a clock-time
// axis that spans the data (from one minute up to the whole window). The title shows
// the metric's name and latest value. New samples are appended and old ones trimmed
// (the series are never rebuilt while shown). An outage (no stats from the server)
// is marked with a hatched band, the title says there is no data, and the line
// leaves a gap: the samples after it start a new line.
class TimeSeriesChart : public QChartView {
    Q_OBJECT
public:
    static constexpr qint64 DefaultWindowMs = 5 * 60 * 1000;
    static constexpr qint64 MinSpanMs = 60 * 1000;

    // Turns a value into text for the title, e.g. "12,345 votes" (translated, with the
    // value's plural form).
    using Format = std::function<QString(double)>;
    TimeSeriesChart(const QString &name, Format format, QWidget *parent = nullptr);

    // A fixed value range (e.g. 0-100 for a percentage) instead of following the data.
    void setFixedRange(double min, double max);
    void append(qint64 msecsSinceEpoch, double value);
    void clear();
    // The server stopped answering at `msecsSinceEpoch` / answers again.
    void beginOutage(qint64 msecsSinceEpoch);
    void endOutage(qint64 msecsSinceEpoch);
    bool inOutage() const { return m_outageSince >= 0; }
    // Moves the time axis to `msecsSinceEpoch` without a sample (during an outage).
    void advanceTo(qint64 msecsSinceEpoch);
    // While false (a hidden dock, a minimised window) samples are only recorded; the
    // series catch up once when it becomes true again.
    void setRendering(bool rendering);
    bool isRendering() const { return m_rendering; }

    QString name() const { return m_name; }
    // The first line of the chart (use lines() for all of them).
    QLineSeries *series() const { return m_lines.isEmpty() ? nullptr : m_lines.constFirst(); }
    QList<QLineSeries *> lines() const { return m_lines; }
    QList<QAreaSeries *> outageBands() const { return m_bands; }
    QDateTimeAxis *timeAxis() const { return m_timeAxis; }
    int pointCount() const { return int(m_samples.size()); }
    double lastValue() const { return m_last; }
    QString titleText() const;
    // The chart as a sentence for screen readers: latest value, lowest and highest.
    QString summaryText() const;

protected:
    void changeEvent(QEvent *event) override;

private:
    struct Sample {
        qint64 atMs;
        double value;
        bool startsLine; // the first sample after an outage
    };
    struct Outage {
        qint64 fromMs;
        qint64 toMs; // -1 while it lasts
    };
    void updateTitle();
    void applyPalette();
    void trim(qint64 nowMs);
    void updateAxes(qint64 nowMs);
    void updateBands();
    void rebuild();
    QLineSeries *addLine();
    QString valueText(double value) const;

    QString m_name;
    Format m_format;
    qint64 m_windowMs = DefaultWindowMs;
    bool m_fixedRange = false;
    bool m_hasValue = false;
    bool m_rendering = true;
    bool m_breakNext = false;
    double m_last = 0;
    double m_highest = 0;
    qint64 m_nowMs = 0;
    qint64 m_outageSince = -1;
    QList<Sample> m_samples;
    QList<Outage> m_outages;
    QChart *m_chart;
    QList<QLineSeries *> m_lines; // one per stretch without an outage
    QList<QAreaSeries *> m_bands; // one per outage in the window
    QDateTimeAxis *m_timeAxis;
    QValueAxis *m_valueAxis;
};
