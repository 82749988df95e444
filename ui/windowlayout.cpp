#include "windowlayout.h"

#include <QDockWidget>
#include <QMainWindow>
#include <QScreen>
#include <QSettings>
#include <QSplitter>

namespace WindowLayout {

namespace {
constexpr int StateVersion = 1;
}

bool restore(QMainWindow *window, QSplitter *central)
{
    QSettings settings;
    const QByteArray geometry = settings.value(QStringLiteral("window/geometry")).toByteArray();
    if (geometry.isEmpty() || !window->restoreGeometry(geometry)) {
        // First run: use the screen; an operator console is rarely a small window.
        QScreen *screen = window->screen();
        const QRect available = screen ? screen->availableGeometry() : QRect(0, 0, 1280, 800);
        const QSize size = available.size().boundedTo(QSize(1920, 1200));
        window->setGeometry(QRect(available.topLeft(), size));
        return false;
    }
    window->restoreState(settings.value(QStringLiteral("window/state")).toByteArray(),
                         StateVersion);
    central->restoreState(settings.value(QStringLiteral("window/centralSplitter")).toByteArray());
    return true;
}

void applyDefaultDocks(QMainWindow *window)
{
    const QSize size = window->size();
    auto *polls = window->findChild<QDockWidget *>(QStringLiteral("pollsDock"));
    auto *shards = window->findChild<QDockWidget *>(QStringLiteral("shardsDock"));
    auto *health = window->findChild<QDockWidget *>(QStringLiteral("healthDock"));
    window->resizeDocks({polls}, {int(size.width() * 0.36)}, Qt::Horizontal);
    window->resizeDocks({health}, {int(size.height() * 0.26)}, Qt::Vertical);
    window->resizeDocks({polls, shards}, {int(size.height() * 0.5), int(size.height() * 0.5)},
                        Qt::Vertical);
}

void save(const QMainWindow *window, const QSplitter *central)
{
    QSettings settings;
    settings.setValue(QStringLiteral("window/geometry"), window->saveGeometry());
    settings.setValue(QStringLiteral("window/state"), window->saveState(StateVersion));
    settings.setValue(QStringLiteral("window/centralSplitter"), central->saveState());
}

} // namespace WindowLayout
