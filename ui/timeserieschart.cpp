#include "timeserieschart.h"
#include "chartstyle.h"
#include "uitext.h"

#include <QAreaSeries>
#include <QDateTime>
#include <QDateTimeAxis>
#include <QEvent>
#include <QGraphicsLayout>
#include <QLineSeries>
#include <QLocale>
#include <QValueAxis>

TimeSeriesChart::TimeSeriesChart(const QString &name, Format format, QWidget *parent)
    : QChartView(parent), m_name(name), m_format(std::move(format)), m_chart(new QChart),
      m_timeAxis(new QDateTimeAxis(m_chart)), m_valueAxis(new QValueAxis(m_chart))
{
    setRenderHint(QPainter::Antialiasing);
    setChart(m_chart);               // the view owns the chart from here on
    setFocusPolicy(Qt::StrongFocus); // reachable with Tab, so a screen reader reads it
    setAccessibleName(name);
    const QFontMetrics metrics = fontMetrics();
    setMinimumSize(metrics.averageCharWidth() * 16, metrics.height() * 6);
    m_chart->setAnimationOptions(QChart::NoAnimation);
    m_chart->legend()->hide();
    m_chart->layout()->setContentsMargins(0, 0, 0, 0);
    m_chart->setMargins(QMargins(4, 2, 8, 2));
    QFont titleFont = font();
    titleFont.setBold(true);
    m_chart->setTitleFont(titleFont);
    QFont small = font();
    small.setPointSizeF(small.pointSizeF() * 0.85);
    m_chart->addAxis(m_timeAxis, Qt::AlignBottom);
    m_chart->addAxis(m_valueAxis, Qt::AlignLeft);
    m_timeAxis->setFormat(QLocale().timeFormat(QLocale::ShortFormat));
    m_timeAxis->setTickCount(3);
    m_timeAxis->setLabelsFont(small);
    m_valueAxis->setLabelsFont(small);
    m_valueAxis->setTickCount(3);
    // Ranges are at least 0-4 and "nice", so the ticks are whole numbers.
    m_valueAxis->setLabelFormat(QStringLiteral("%d"));
    m_valueAxis->setRange(0, 4);
    m_valueAxis->applyNiceNumbers();
    addLine();
    updateAxes(QDateTime::currentMSecsSinceEpoch());
    applyPalette();
    updateTitle();
}

QLineSeries *TimeSeriesChart::addLine()
{
    auto *line = new QLineSeries(m_chart);
    m_chart->addSeries(line);
    line->attachAxis(m_timeAxis);
    line->attachAxis(m_valueAxis);
    QPen pen(ChartStyle::accent(palette()));
    pen.setWidthF(2.0);
    line->setPen(pen);
    m_lines.append(line);
    return line;
}

void TimeSeriesChart::setFixedRange(double min, double max)
{
    m_fixedRange = true;
    m_valueAxis->setRange(min, max);
    m_valueAxis->applyNiceNumbers();
    updateBands();
}

QString TimeSeriesChart::valueText(double value) const
{
    return m_format(value);
}

QString TimeSeriesChart::titleText() const
{
    if (inOutage())
        return tr("%1: no data").arg(m_name);
    if (!m_hasValue)
        return m_name;
    return tr("%1: %2").arg(m_name, valueText(m_last));
}

QString TimeSeriesChart::summaryText() const
{
    if (inOutage())
        return tr("%1. The server has not answered since %2.")
            .arg(titleText(),
                 QLocale().toString(QDateTime::fromMSecsSinceEpoch(m_outageSince).time(),
                                    QLocale::ShortFormat));
    if (m_samples.isEmpty())
        return tr("%1: no data yet.").arg(m_name);
    double lowest = m_samples.constFirst().value;
    for (const Sample &sample : m_samples)
        lowest = qMin(lowest, sample.value);
    const qint64 seconds = (m_nowMs - m_samples.constFirst().atMs) / 1000;
    return UiText::plural(
               tr("%1. Lowest %2, highest %3 in the last %Ln second(s).", nullptr, int(seconds)),
               seconds)
        .arg(titleText(), valueText(lowest), valueText(m_highest));
}

void TimeSeriesChart::clear()
{
    m_samples.clear();
    m_outages.clear();
    m_outageSince = -1;
    m_breakNext = false;
    m_hasValue = false;
    m_highest = 0;
    rebuild();
    updateTitle();
}

void TimeSeriesChart::append(qint64 msecsSinceEpoch, double value)
{
    const bool startsLine = std::exchange(m_breakNext, false) && !m_samples.isEmpty();
    m_samples.append({msecsSinceEpoch, value, startsLine});
    m_last = value;
    m_hasValue = true;
    m_highest = qMax(m_highest, value);
    if (m_rendering) {
        if (startsLine)
            addLine();
        m_lines.constLast()->append(double(msecsSinceEpoch), value);
    }
    trim(msecsSinceEpoch);
    updateAxes(msecsSinceEpoch);
    updateTitle();
}

void TimeSeriesChart::trim(qint64 nowMs)
{
    const qint64 oldest = nowMs - m_windowMs;
    qsizetype stale = 0;
    bool highestLeft = false;
    // Drop what left the window, keeping one older point so the line starts at the edge.
    while (stale < m_samples.size() - 1 && m_samples.at(stale + 1).atMs < oldest) {
        highestLeft = highestLeft || m_samples.at(stale).value >= m_highest;
        ++stale;
    }
    if (stale > 0) {
        m_samples.remove(0, stale);
        if (highestLeft) {
            m_highest = 0;
            for (const Sample &sample : std::as_const(m_samples))
                m_highest = qMax(m_highest, sample.value);
        }
        // The same points leave the lines, oldest line first.
        qsizetype left = stale;
        while (m_rendering && left > 0 && !m_lines.isEmpty()) {
            QLineSeries *first = m_lines.constFirst();
            const int count = int(qMin<qsizetype>(left, first->count()));
            first->removePoints(0, count);
            left -= count;
            if (first->count() == 0 && m_lines.size() > 1) {
                m_chart->removeSeries(first);
                delete m_lines.takeFirst();
            } else if (count == 0) {
                break;
            }
        }
    }
    while (!m_outages.isEmpty() && m_outages.constFirst().toMs >= 0 &&
           m_outages.constFirst().toMs < oldest) {
        m_outages.removeFirst();
        if (m_rendering && !m_bands.isEmpty()) {
            m_chart->removeSeries(m_bands.constFirst());
            delete m_bands.takeFirst();
        }
    }
}

void TimeSeriesChart::updateAxes(qint64 nowMs)
{
    m_nowMs = nowMs;
    if (!m_rendering)
        return;
    const qint64 first = m_samples.isEmpty() ? nowMs : m_samples.constFirst().atMs;
    const qint64 spanMs = qBound<qint64>(MinSpanMs, nowMs - first, m_windowMs);
    const qint64 wholeMinutes = (spanMs + 59999) / 60000 * 60000;
    m_timeAxis->setRange(QDateTime::fromMSecsSinceEpoch(nowMs - wholeMinutes),
                         QDateTime::fromMSecsSinceEpoch(nowMs));
    if (!m_fixedRange) {
        const double wanted = qMax(4.0, m_highest * 1.15);
        if (wanted > m_valueAxis->max() || wanted < m_valueAxis->max() / 3) {
            m_valueAxis->setRange(0, wanted);
            m_valueAxis->applyNiceNumbers();
        }
    }
    updateBands();
}

void TimeSeriesChart::beginOutage(qint64 msecsSinceEpoch)
{
    if (inOutage())
        return;
    m_outageSince = msecsSinceEpoch;
    m_breakNext = true;
    m_outages.append({msecsSinceEpoch, -1});
    if (m_rendering) {
        auto *band = new QAreaSeries(new QLineSeries(m_chart), new QLineSeries(m_chart));
        m_chart->addSeries(band);
        band->attachAxis(m_timeAxis);
        band->attachAxis(m_valueAxis);
        m_bands.append(band);
        applyPalette();
    }
    updateAxes(msecsSinceEpoch);
    updateTitle();
}

void TimeSeriesChart::endOutage(qint64 msecsSinceEpoch)
{
    if (!inOutage())
        return;
    m_outageSince = -1;
    m_outages.last().toMs = msecsSinceEpoch;
    updateAxes(msecsSinceEpoch);
    updateTitle();
}

void TimeSeriesChart::advanceTo(qint64 msecsSinceEpoch)
{
    trim(msecsSinceEpoch);
    updateAxes(msecsSinceEpoch);
}

void TimeSeriesChart::updateBands()
{
    if (!m_rendering)
        return;
    const double top = m_valueAxis->max();
    for (qsizetype i = 0; i < m_bands.size() && i < m_outages.size(); ++i) {
        const Outage &outage = m_outages.at(i);
        const double from = double(outage.fromMs);
        const double to = double(outage.toMs < 0 ? m_nowMs : outage.toMs);
        QAreaSeries *band = m_bands.at(i);
        const QList<QPointF> upper{{from, top}, {to, top}};
        if (band->upperSeries()->points() != upper) {
            band->upperSeries()->replace(upper);
            band->lowerSeries()->replace({{from, 0}, {to, 0}});
        }
    }
}

void TimeSeriesChart::setRendering(bool rendering)
{
    if (rendering == m_rendering)
        return;
    m_rendering = rendering;
    if (rendering)
        rebuild();
}

void TimeSeriesChart::rebuild()
{
    for (QLineSeries *line : std::as_const(m_lines)) {
        m_chart->removeSeries(line);
        delete line;
    }
    m_lines.clear();
    for (QAreaSeries *band : std::as_const(m_bands)) {
        m_chart->removeSeries(band);
        delete band;
    }
    m_bands.clear();
    if (!m_rendering)
        return;
    QList<QPointF> points;
    addLine();
    for (const Sample &sample : std::as_const(m_samples)) {
        if (sample.startsLine && !points.isEmpty()) {
            m_lines.constLast()->replace(points);
            points.clear();
            addLine();
        }
        points.append(QPointF(double(sample.atMs), sample.value));
    }
    m_lines.constLast()->replace(points);
    for (qsizetype i = 0; i < m_outages.size(); ++i) {
        auto *band = new QAreaSeries(new QLineSeries(m_chart), new QLineSeries(m_chart));
        m_chart->addSeries(band);
        band->attachAxis(m_timeAxis);
        band->attachAxis(m_valueAxis);
        m_bands.append(band);
    }
    applyPalette();
    updateAxes(m_nowMs ? m_nowMs : QDateTime::currentMSecsSinceEpoch());
    updateTitle();
}

void TimeSeriesChart::updateTitle()
{
    if (!m_rendering)
        return;
    const QString title = UiText::forChart(titleText()); // chart titles are rendered as HTML
    if (m_chart->title() != title)
        m_chart->setTitle(title);
    setAccessibleDescription(summaryText());
}

void TimeSeriesChart::applyPalette()
{
    const QPalette pal = palette();
    ChartStyle::apply(m_chart, pal);
    QPen pen(ChartStyle::accent(pal));
    pen.setWidthF(2.0);
    for (QLineSeries *line : std::as_const(m_lines))
        line->setPen(pen);
    // Hatched, so the outage reads as "no data" without relying on colour.
    QColor hatch = pal.color(QPalette::Active, QPalette::WindowText);
    hatch.setAlphaF(0.35f);
    for (QAreaSeries *band : std::as_const(m_bands)) {
        band->setBrush(QBrush(hatch, Qt::BDiagPattern));
        band->setPen(Qt::NoPen);
    }
    setBackgroundBrush(pal.brush(QPalette::Active, QPalette::Base));
}

void TimeSeriesChart::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
    QChartView::changeEvent(event);
}
