#pragma once

#include <QPalette>
#include <QString>

// The console's colour scheme: the system's, or light, dark or high-contrast palettes
// of its own (with the Fusion style, which follows a palette completely). Every
// widget and chart takes its colours from the palette, so switching repaints all.
namespace Appearance {

enum class Scheme { System, Light, Dark, HighContrast };

Scheme schemeFromName(const QString &name);
QString schemeName(Scheme scheme);
// The palette of a scheme other than System.
QPalette palette(Scheme scheme);
// Applies the scheme to the whole application; System restores what was there at the
// first call.
void apply(Scheme scheme);

} // namespace Appearance
