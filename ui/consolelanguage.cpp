#include "consolelanguage.h"

#include <QCoreApplication>
#include <QLibraryInfo>
#include <QTranslator>
#include <cstdio>

QStringList ConsoleLanguage::available()
{
    return {QStringLiteral("en"), QStringLiteral("de")};
}

QLocale ConsoleLanguage::install(QCoreApplication *app, const QString &requested)
{
    QLocale locale = requested.isEmpty() ? QLocale::system() : QLocale(requested);
    if (!requested.isEmpty() && locale.language() == QLocale::C) {
        std::fprintf(stderr, "tally: unknown language '%s', using English\n",
                     qPrintable(requested));
        locale = QLocale(QLocale::English, QLocale::UnitedStates);
    }
    QLocale::setDefault(locale);

    // The console's own catalogue is built into the binary (":/i18n"); English, the
    // source language, only has one for plural forms.
    auto *console = new QTranslator(app);
    if (console->load(locale, QStringLiteral("tally"), QStringLiteral("_"),
                      QStringLiteral(":/i18n")))
        QCoreApplication::installTranslator(console);
    else
        delete console;
    // Qt's catalogue translates standard buttons and dialogs.
    auto *qt = new QTranslator(app);
    if (qt->load(locale, QStringLiteral("qtbase"), QStringLiteral("_"),
                 QLibraryInfo::path(QLibraryInfo::TranslationsPath)))
        QCoreApplication::installTranslator(qt);
    else
        delete qt;
    return locale;
}
