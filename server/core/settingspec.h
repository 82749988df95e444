#pragma once

#include <QString>
#include <QStringList>
#include <QVariant>

// One row of the settings table: a flag `--name`, its environment twin
// `TALLY_<NAME>` (plus legacy aliases), its type, range and default.
struct SettingSpec {
    enum class Type { Flag, Int, Seconds, String, Choice };

    QString name;
    Type type = Type::String;
    QString help;
    QVariant defaultValue;
    QStringList legacyEnv = {};
    double min = 0;
    double max = 0;
    QStringList choices = {};
    QString valueName = {};
    // A secret: shown as "(set)" wherever settings are listed.
    bool sensitive = false;

    QString envName() const;
    // Parses and range-checks a textual value; sets `error` on failure.
    QVariant parse(const QString &text, QString *error) const;
    // Its line in a settings listing (--check-config): name, value as shown (a secret as
    // "(set)") and where the value came from.
    QString describe(const QString &shown, const QString &source) const;

    // The server's settings (the console's own are in app/consolesettings.h).
    static const QList<SettingSpec> &table();
    static const SettingSpec *find(const QString &name);
};
