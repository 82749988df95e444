#include "resultschart.h"
#include "chartstyle.h"
#include "uitext.h"

#include <QBarCategoryAxis>
#include <QBarSet>
#include <QEvent>
#include <QGraphicsLayout>
#include <QGraphicsSimpleTextItem>
#include <QHorizontalBarSeries>
#include <QLocale>
#include <QResizeEvent>
#include <QToolTip>
#include <QValueAxis>

#include <cmath>

namespace {
constexpr int LabelGap = 6;
constexpr double Headroom = 1.3; // room right of the longest bar for its label
constexpr double MaxBarPixels = 44;
constexpr double BarWidth = 0.65;
constexpr double MaxCategoryShare = 0.3; // of the chart's width, for the option texts

// A whole-number step of 1, 2 or 5 times a power of ten, at least `raw`.
qint64 niceStep(double raw)
{
    qint64 magnitude = 1;
    while (magnitude * 10 <= raw)
        magnitude *= 10;
    for (qint64 factor : {1, 2, 5, 10}) {
        if (double(factor * magnitude) >= raw)
            return factor * magnitude;
    }
    return 10 * magnitude;
}
} // namespace

ResultsChart::ResultsChart(QWidget *parent)
    : QChartView(parent), m_chart(new QChart), m_series(new QHorizontalBarSeries(m_chart)),
      m_set(new QBarSet(QString(), m_series)), m_categoryAxis(new QBarCategoryAxis(m_chart)),
      m_valueAxis(new QValueAxis(m_chart))
{
    setObjectName(QStringLiteral("resultsChart"));
    setAccessibleName(tr("Results chart"));
    setFocusPolicy(Qt::StrongFocus); // reachable with Tab, so a screen reader reads the values
    setRenderHint(QPainter::Antialiasing);
    setChart(m_chart); // the view owns the chart from here on
    m_chart->setAnimationOptions(QChart::NoAnimation);
    m_chart->legend()->hide();
    m_chart->layout()->setContentsMargins(0, 0, 0, 0);
    m_chart->setMargins(QMargins(8, 8, 16, 8));
    m_series->append(m_set);
    m_series->setBarWidth(BarWidth);
    m_chart->addSeries(m_series);
    m_chart->addAxis(m_categoryAxis, Qt::AlignLeft);
    m_chart->addAxis(m_valueAxis, Qt::AlignBottom);
    m_series->attachAxis(m_categoryAxis);
    m_series->attachAxis(m_valueAxis);
    m_categoryAxis->setGridLineVisible(false);
    m_valueAxis->setLabelFormat(QStringLiteral("%d"));
    setScale(4);
    connect(m_chart, &QChart::plotAreaChanged, this, &ResultsChart::updateLabels);
    // Option texts may be cut on the axis: the whole text and the count on hover.
    connect(m_set, &QBarSet::hovered, this, [this](bool over, int index) {
        const int option = barIndex(index);
        if (!over || option < 0 || option >= m_optionTexts.size()) {
            QToolTip::hideText();
            return;
        }
        QToolTip::showText(QCursor::pos(),
                           UiText::forToolTip(QStringLiteral("%1\n%2").arg(
                               m_optionTexts.at(option), m_labels.at(option)->text())),
                           this);
    });
    applyPalette();
}

void ResultsChart::clearPoll()
{
    m_pollId.clear();
    m_optionIds.clear();
    m_optionTexts.clear();
    m_values.clear();
    m_total = 0;
    m_voters = -1;
    m_multipleChoice = false;
    m_set->remove(0, m_set->count());
    m_categoryAxis->clear();
    qDeleteAll(m_labels);
    m_labels.clear();
    updateDescription();
}

void ResultsChart::setPoll(const PollInfo &poll)
{
    QStringList ids, texts;
    for (const PollInfo::Option &option : poll.options) {
        ids.append(option.id);
        texts.append(option.text);
    }
    if (poll.id == m_pollId && ids == m_optionIds && texts == m_optionTexts) {
        m_multipleChoice = poll.isMultipleChoice();
        return;
    }
    clearPoll();
    m_multipleChoice = poll.isMultipleChoice();
    ++m_rebuilds;
    m_pollId = poll.id;
    m_optionIds = ids;
    m_optionTexts = texts;
    m_values.fill(0, ids.size());
    // Horizontal bars grow upwards from category 0: add the options last to first so
    // the first option is on top. Category labels are rendered as HTML: escape them.
    for (qsizetype i = texts.size() - 1; i >= 0; --i)
        m_set->append(0);
    updateCategories();
    // Every bar keeps room for its value label: the chart grows with the options.
    const QFontMetrics metrics = fontMetrics();
    setMinimumHeight(int(ids.size()) * (metrics.height() + 6) + 3 * metrics.height());
    for (qsizetype i = 0; i < ids.size(); ++i) {
        auto *label = new QGraphicsSimpleTextItem(m_chart); // plain text, owned by the chart
        label->setZValue(10);
        m_labels.append(label);
    }
    setScale(4);
    applyPalette();
    applyFonts();
    updateLabels();
}

void ResultsChart::setZoom(double zoom)
{
    m_zoom = zoom;
    m_zoomed = true;
    applyFonts();
    updateLabels();
}

void ResultsChart::applyFonts()
{
    if (!m_zoomed)
        return; // the chart theme's own fonts
    QFont font = this->font();
    font.setPointSizeF(font.pointSizeF() * m_zoom);
    m_categoryAxis->setLabelsFont(font);
    m_valueAxis->setLabelsFont(font);
    for (QGraphicsSimpleTextItem *label : std::as_const(m_labels))
        label->setFont(font);
    updateCategories(); // how much of each option text fits depends on the font
}

void ResultsChart::setResults(const QJsonObject &results, qint64 total)
{
    if (m_pollId.isEmpty())
        return;
    bool changed = total != m_total;
    m_total = total;
    for (int i = 0; i < m_optionIds.size(); ++i) {
        const qint64 value = results.value(m_optionIds.at(i)).toInteger();
        if (value == m_values.at(i))
            continue;
        m_values[i] = value;
        m_set->replace(barIndex(i), double(value));
        changed = true;
    }
    if (!changed)
        return;
    updateRange();
    updateLabels();
}

void ResultsChart::setVoters(qint64 voters)
{
    if (voters == m_voters)
        return;
    m_voters = voters;
    if (m_multipleChoice)
        updateLabels();
}

qint64 ResultsChart::shareBase() const
{
    return m_multipleChoice && m_voters > 0 ? m_voters : m_total;
}

QMap<QString, qint64> ResultsChart::values() const
{
    QMap<QString, qint64> values;
    for (int i = 0; i < m_optionIds.size(); ++i)
        values.insert(m_optionIds.at(i), qint64(m_set->at(barIndex(i))));
    return values;
}

QStringList ResultsChart::categories() const
{
    QStringList shown = m_categoryAxis->categories();
    std::reverse(shown.begin(), shown.end());
    return shown;
}

void ResultsChart::updateCategories()
{
    // Qt Charts would cut long texts to "…" and take the bars' room: cut them here, to
    // at most a share of the width, so every option keeps its first words.
    const QFontMetrics metrics(m_categoryAxis->labelsFont());
    const int room = qMax(metrics.averageCharWidth() * 10, int(width() * MaxCategoryShare));
    QStringList categories;
    for (qsizetype i = m_optionTexts.size() - 1; i >= 0; --i) {
        QString text = metrics.elidedText(m_optionTexts.at(i), Qt::ElideRight, room);
        // Two options cut to the same text would merge into one category.
        while (categories.contains(UiText::forChart(text)))
            text += QChar(0x200B);
        categories.append(UiText::forChart(text));
    }
    if (categories != m_categoryAxis->categories())
        m_categoryAxis->setCategories(categories);
}

QString ResultsChart::valuesText() const
{
    if (m_pollId.isEmpty())
        return tr("No poll selected.");
    const QLocale locale;
    QStringList parts;
    for (int i = 0; i < m_optionIds.size(); ++i) {
        const qint64 value = m_values.at(i);
        QString part =
            UiText::plural(tr("%1: %Ln vote(s)", nullptr, int(qMin<qint64>(value, INT_MAX))), value)
                .arg(m_optionTexts.at(i));
        if (shareBase() > 0)
            part += tr(", %1%").arg(
                locale.toString(100.0 * double(value) / double(shareBase()), 'f', 1));
        parts.append(part);
    }
    return parts.join(QStringLiteral("; "));
}

void ResultsChart::updateDescription()
{
    setAccessibleDescription(valuesText());
}

QList<QRectF> ResultsChart::labelRects() const
{
    QList<QRectF> rects;
    for (const QGraphicsSimpleTextItem *label : m_labels)
        rects.append(mapFromScene(label->sceneBoundingRect()).boundingRect());
    return rects;
}

void ResultsChart::resizeEvent(QResizeEvent *event)
{
    QChartView::resizeEvent(event);
    if (event->size().width() != event->oldSize().width())
        updateCategories();
}

QString ResultsChart::labelText(const QString &optionId) const
{
    const qsizetype i = m_optionIds.indexOf(optionId);
    return i < 0 ? QString() : m_labels.at(i)->text();
}

void ResultsChart::updateRange()
{
    qint64 highest = 0;
    for (qint64 value : std::as_const(m_values))
        highest = qMax(highest, value);
    const double wanted = qMax(4.0, double(highest) * Headroom);
    const double current = m_valueAxis->max();
    // Grow as soon as a label would not fit; shrink only when bars became tiny, so the
    // scale stays put while votes come in.
    if (wanted > current || wanted < current / 4)
        setScale(wanted);
}

void ResultsChart::setScale(double atLeast)
{
    // Four or five whole-number intervals, so "%d" labels are exact.
    const qint64 step = niceStep(atLeast / 4);
    const qint64 top = step * qint64(std::ceil(atLeast / double(step)));
    m_valueAxis->setRange(0, double(top));
    m_valueAxis->setTickCount(int(top / step) + 1);
}

void ResultsChart::updateLabels()
{
    const QRectF plot = m_chart->plotArea();
    // Thick enough to read, not slabs: at most MaxBarPixels tall.
    if (!m_optionIds.isEmpty() && plot.height() > 0) {
        const double slot = plot.height() / double(m_optionIds.size());
        const double width = qMin(BarWidth, MaxBarPixels * m_zoom / slot);
        if (!qFuzzyCompare(m_series->barWidth(), width))
            m_series->setBarWidth(width);
    }
    const QLocale locale;
    for (int i = 0; i < m_labels.size(); ++i) {
        QGraphicsSimpleTextItem *label = m_labels.at(i);
        const qint64 value = m_values.at(i);
        QString text = locale.toString(value);
        if (shareBase() > 0)
            text += QStringLiteral(" · %1%").arg(
                locale.toString(100.0 * double(value) / double(shareBase()), 'f', 1));
        label->setText(text);
        const QPointF end = m_chart->mapToPosition(QPointF(double(value), barIndex(i)), m_series);
        const QRectF box = label->boundingRect();
        qreal x = end.x() + LabelGap;
        if (x + box.width() > plot.right())
            x = plot.right() - box.width();
        label->setPos(x, end.y() - box.height() / 2);
        label->setVisible(plot.isValid());
    }
    updateDescription();
}

void ResultsChart::applyPalette()
{
    const QPalette pal = palette();
    ChartStyle::apply(m_chart, pal);
    m_set->setColor(ChartStyle::accent(pal));
    m_set->setBorderColor(ChartStyle::accent(pal));
    for (QGraphicsSimpleTextItem *label : std::as_const(m_labels))
        label->setBrush(pal.color(QPalette::Active, QPalette::WindowText));
    setBackgroundBrush(pal.brush(QPalette::Active, QPalette::Base));
}

void ResultsChart::changeEvent(QEvent *event)
{
    if (event->type() == QEvent::PaletteChange)
        applyPalette();
    QChartView::changeEvent(event);
}
