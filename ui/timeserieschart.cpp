#include "timeserieschart.h"
#include "chartstyle.h"
#include "uitext.h"

#include <QEvent>
#include <QGraphicsLayout>
#include <QLineSeries>
#include <QLocale>
#include <QValueAxis>

TimeSeriesChart::TimeSeriesChart(const QString &name, const QString &format, int decimals,
                                 QWidget *parent)
    : QChartView(parent), m_name(name), m_format(format), m_decimals(decimals), m_chart(new QChart),
      m_series(new QLineSeries(m_chart)), m_timeAxis(new QValueAxis(m_chart)),
      m_valueAxis(new QValueAxis(m_chart))
{
    setRenderHint(QPainter::Antialiasing);
    setChart(m_chart); // the view owns the chart from here on
    setMinimumSize(120, 100);
    m_chart->setAnimationOptions(QChart::NoAnimation);
    m_chart->legend()->hide();
    m_chart->layout()->setContentsMargins(0, 0, 0, 0);
    m_chart->setMargins(QMargins(4, 2, 8, 2));
    QFont titleFont = font();
    titleFont.setBold(true);
    m_chart->setTitleFont(titleFont);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    m_chart->addSeries(m_series);
    m_chart->addAxis(m_timeAxis, Qt::AlignBottom);
    m_chart->addAxis(m_valueAxis, Qt::AlignLeft);
    m_series->attachAxis(m_timeAxis);
    m_series->attachAxis(m_valueAxis);
    m_timeAxis->setLabelFormat(QStringLiteral("%ds"));
    m_timeAxis->setTickCount(3);
    m_timeAxis->setRange(-double(MinSpanMs) / 1000.0, 0);
    m_timeAxis->setLabelsFont(small);
    m_valueAxis->setLabelsFont(small);
    m_valueAxis->setTickCount(3);
    // Ranges are at least 0-4 and "nice", so the ticks are whole numbers.
    m_valueAxis->setLabelFormat(QStringLiteral("%d"));
    m_valueAxis->setRange(0, 4);
    m_valueAxis->applyNiceNumbers();
    applyPalette();
    updateTitle();
}

void TimeSeriesChart::setFixedRange(double min, double max)
{
    m_fixedRange = true;
    m_valueAxis->setRange(min, max);
    m_valueAxis->applyNiceNumbers();
}

QString TimeSeriesChart::titleText() const
{
    if (!m_hasValue)
        return m_name;
    return tr("%1: %2").arg(m_name, m_format.arg(QLocale().toString(m_last, 'f', m_decimals)));
}

void TimeSeriesChart::clear()
{
    m_samples.clear();
    m_series->clear();
    m_hasValue = false;
    updateTitle();
}

void TimeSeriesChart::append(qint64 msecsSinceEpoch, double value)
{
    m_samples.append(QPointF(double(msecsSinceEpoch), value));
    m_last = value;
    m_hasValue = true;
    // Drop what left the window, keeping one older point so the line starts at the edge.
    const double oldest = double(msecsSinceEpoch - m_windowMs);
    qsizetype stale = 0;
    while (stale < m_samples.size() - 1 && m_samples.at(stale + 1).x() < oldest)
        ++stale;
    m_samples.remove(0, stale);

    // Seconds before the latest sample; the whole series is replaced at once.
    QList<QPointF> points;
    points.reserve(m_samples.size());
    double highest = 0;
    for (const QPointF &sample : std::as_const(m_samples)) {
        points.append(QPointF((sample.x() - double(msecsSinceEpoch)) / 1000.0, sample.y()));
        highest = qMax(highest, sample.y());
    }
    m_series->replace(points);
    const qint64 spanMs =
        qBound<qint64>(MinSpanMs, msecsSinceEpoch - qint64(m_samples.constFirst().x()), m_windowMs);
    const double spanSeconds = double((spanMs + 59999) / 60000 * 60); // whole minutes
    if (m_timeAxis->min() != -spanSeconds)
        m_timeAxis->setRange(-spanSeconds, 0);
    if (!m_fixedRange) {
        const double wanted = qMax(4.0, highest * 1.15);
        if (wanted > m_valueAxis->max() || wanted < m_valueAxis->max() / 3) {
            m_valueAxis->setRange(0, wanted);
            m_valueAxis->applyNiceNumbers();
        }
    }
    updateTitle();
}

void TimeSeriesChart::updateTitle()
{
    m_chart->setTitle(UiText::forChart(titleText())); // chart titles are rendered as HTML
}

void TimeSeriesChart::applyPalette()
{
    const QPalette pal = palette();
    ChartStyle::apply(m_chart, pal);
    QPen pen(ChartStyle::accent(pal));
    pen.setWidthF(2.0);
    m_series->setPen(pen);
    setBackgroundBrush(pal.brush(QPalette::Active, QPalette::Base));
}

void TimeSeriesChart::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
    QChartView::changeEvent(event);
}
