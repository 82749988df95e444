#include "chartstyle.h"

#include <QAbstractAxis>
#include <QChart>
#include <QPalette>
#include <QWidget>

namespace ChartStyle {

void apply(QChart *chart, const QPalette &palette)
{
    const QColor text = palette.color(QPalette::Active, QPalette::WindowText);
    const QColor grid = palette.color(QPalette::Active, QPalette::Mid);
    chart->setBackgroundBrush(palette.brush(QPalette::Active, QPalette::Base));
    chart->setBackgroundPen(QPen(grid));
    chart->setBackgroundRoundness(0);
    chart->setPlotAreaBackgroundVisible(false);
    chart->setTitleBrush(text);
    chart->legend()->setLabelColor(text);
    for (QAbstractAxis *axis : chart->axes()) {
        axis->setLabelsColor(text);
        axis->setTitleBrush(text);
        axis->setLinePenColor(grid);
        axis->setGridLineColor(grid);
        QColor minor = grid;
        minor.setAlphaF(0.4f);
        axis->setMinorGridLineColor(minor);
    }
}

QColor accent(const QPalette &palette)
{
    return palette.color(QPalette::Active, QPalette::Highlight);
}

QList<QColor> series(const QPalette &palette, int count)
{
    QList<QColor> colours;
    const QColor base = accent(palette).toHsv();
    const int hue = base.hsvHue() < 0 ? 210 : base.hsvHue();
    const int saturation = qMax(base.hsvSaturation(), 120);
    const int value = qBound(140, base.value(), 230);
    for (int i = 0; i < count; ++i)
        colours.append(QColor::fromHsv((hue + i * 137) % 360, saturation, value));
    return colours;
}

QColor warning(const QPalette &palette)
{
    const bool dark = palette.color(QPalette::Active, QPalette::Window).lightnessF() < 0.5;
    return dark ? QColor::fromHsl(4, 220, 170) : QColor::fromHsl(4, 200, 90);
}

void markAsWarning(QWidget *label)
{
    QPalette palette = label->palette();
    palette.setColor(QPalette::WindowText, warning(palette));
    label->setPalette(palette);
}

} // namespace ChartStyle
