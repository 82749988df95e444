#pragma once

class QMainWindow;
class QSplitter;

// The console window's layout across runs (QSettings): its geometry, docks and the
// central splitter, and the layout of a first run.
namespace WindowLayout {

// Restores the saved layout; false on a first run, after sizing the window to the
// screen (the docks get their default sizes from applyDefaultDocks() once shown).
bool restore(QMainWindow *window, QSplitter *central);
// Default dock sizes for the window's size: polls a third of the width, health a
// quarter of the height, polls and shards sharing the left side.
void applyDefaultDocks(QMainWindow *window);
void save(const QMainWindow *window, const QSplitter *central);

} // namespace WindowLayout
