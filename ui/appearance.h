#pragma once

#include <QPalette>
#include <QString>

class QMenu;
class QObject;

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
// Adds View › Colours to `view`: one checkable entry per scheme, the choice saved in
// the settings ("view/colours") and applied at once (the saved one is applied now).
void addColourMenu(QMenu *view, QObject *owner);

} // namespace Appearance
