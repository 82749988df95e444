#pragma once

#include <QLocale>
#include <QString>
#include <QStringList>

class QCoreApplication;

// The console's language: the system locale, or the one asked for with --lang.
// Installs the console's catalogue and Qt's own (standard buttons, dialogs) and makes
// the locale the default, so numbers and dates follow it too.
class ConsoleLanguage {
public:
    // The languages the console ships a catalogue for (English needs none).
    static QStringList available();
    // Installs the translators for `requested` ("de", "de_DE", …; empty: the system
    // locale) on `app` and returns the locale in use. An unknown language falls back
    // to English with a warning on stderr.
    static QLocale install(QCoreApplication *app, const QString &requested = {});
};
