#include "chartstyle.h"

#include <QAbstractAxis>
#include <QChart>
#include <QPalette>
#include <QWidget>

#include <iterator>

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
    // Okabe & Ito, "Color Universal Design" (2002): told apart with every common kind of
    // colour blindness. Black is left out; it would vanish on a dark theme.
    static const QRgb okabeIto[] = {0x0072B2, 0xE69F00, 0x009E73, 0xCC79A7,
                                    0x56B4E9, 0xD55E00, 0xF0E442};
    const bool dark = palette.color(QPalette::Active, QPalette::Base).lightnessF() < 0.5;
    QList<QColor> colours;
    for (int i = 0; i < count; ++i) {
        QColor colour = QColor::fromRgb(okabeIto[i % std::size(okabeIto)]);
        if (dark)
            colour = colour.lighter(115);
        colours.append(colour);
    }
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
