#pragma once

#include "core/outcome.h"
#include "core/settingspec.h"

#include <QHash>
#include <QVariant>

class SettingSources;

// The settings only the console reads (--connect, --lang): a table of their own beside
// the server's (SettingSpec::table()), resolved from the same sources.
class ConsoleSettings {
public:
    static const QList<SettingSpec> &table();
    static ConsoleSettings defaults();
    static Outcome<ConsoleSettings> resolve(const SettingSources &sources);

    // Watch the server at this URL instead of starting one; empty: start one.
    QString connectUrl() const { return m_values.value(QStringLiteral("connect")).toString(); }
    // The console's language (empty: the system locale).
    QString lang() const { return m_values.value(QStringLiteral("lang")).toString(); }

    // One line per setting, as Config::describe() lists the server's.
    QString describe() const;

private:
    Outcome<bool> validate() const;

    QHash<QString, QVariant> m_values;
    QHash<QString, QString> m_sources;
};
