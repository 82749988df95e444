#pragma once

#include "outcome.h"
#include "settingspec.h"

#include <QHash>
#include <QProcessEnvironment>
#include <QString>
#include <QVariant>

// Where settings are given, before they are resolved: values from a command line
// (parsed by the caller), the environment, and a config file of 'name = value' lines.
// Resolving a setting takes the first source that holds it: flag > environment >
// config file; a setting none holds keeps its default.
class SettingSources {
public:
    struct Resolved {
        QVariant value;
        QString source; // empty: no source holds the setting
    };

    // `flags`: the text of each setting given on the command line, by setting name (a
    // flag setting: "true"). `configPath`: the config file, or empty for TALLY_CONFIG
    // from the environment (or none). Every key of the file must be one of `known`.
    static Outcome<SettingSources> read(const QHash<QString, QString> &flags,
                                        const QString &configPath,
                                        const QProcessEnvironment &environment,
                                        const QList<SettingSpec> &known);

    // The parsed, range-checked value of `spec` and where it came from.
    Outcome<Resolved> resolve(const SettingSpec &spec) const;

private:
    static Outcome<QHash<QString, QString>> readFile(const QString &path,
                                                     const QList<SettingSpec> &known);

    QHash<QString, QString> m_flags;
    QProcessEnvironment m_environment;
    QString m_configPath;
    QHash<QString, QString> m_fileValues;
};
