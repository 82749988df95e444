#pragma once

#include <QColor>
#include <QList>

class QChart;
class QPalette;
class QWidget;

// Colours of the console's charts, taken from the widget palette so that charts
// follow a light or dark system theme like the rest of the window.
namespace ChartStyle {

// Background, title, legend, and every attached axis's labels, lines and grid.
void apply(QChart *chart, const QPalette &palette);
// The main data colour (the palette's highlight).
QColor accent(const QPalette &palette);
// `count` colours that stay apart for colour-blind readers too (the Okabe-Ito
// palette), lightened on a dark background.
QList<QColor> series(const QPalette &palette, int count);
// A red that reads well on the palette's window colour (warnings, validation).
QColor warning(const QPalette &palette);
// Sets a label's text colour to warning().
void markAsWarning(QWidget *label);

} // namespace ChartStyle
