#include "consolesettings.h"
#include "core/settingsources.h"

#include <QUrl>

const QList<SettingSpec> &ConsoleSettings::table()
{
    using T = SettingSpec::Type;
    static const QList<SettingSpec> settings = {
        {QStringLiteral("connect"),
         T::String,
         QStringLiteral("Console only: watch the server at this URL instead of starting one."),
         QString(),
         {},
         0,
         0,
         {},
         QStringLiteral("url")},
        {QStringLiteral("lang"),
         T::String,
         QStringLiteral("Console only: its language, e.g. de or en (default: the system locale)."),
         QString(),
         {},
         0,
         0,
         {},
         QStringLiteral("code")},
    };
    return settings;
}

ConsoleSettings ConsoleSettings::defaults()
{
    ConsoleSettings settings;
    for (const SettingSpec &spec : table()) {
        settings.m_values.insert(spec.name, spec.defaultValue);
        settings.m_sources.insert(spec.name, QStringLiteral("default"));
    }
    return settings;
}

Outcome<ConsoleSettings> ConsoleSettings::resolve(const SettingSources &sources)
{
    ConsoleSettings settings = defaults();
    for (const SettingSpec &spec : table()) {
        const Outcome<SettingSources::Resolved> resolved = sources.resolve(spec);
        if (!resolved)
            return resolved.error();
        if (resolved.value().source.isEmpty())
            continue;
        settings.m_values.insert(spec.name, resolved.value().value);
        settings.m_sources.insert(spec.name, resolved.value().source);
    }
    const Outcome<bool> valid = settings.validate();
    if (!valid)
        return valid.error();
    return settings;
}

Outcome<bool> ConsoleSettings::validate() const
{
    const QString connect = connectUrl();
    if (!connect.isEmpty()) {
        const QUrl url(connect);
        if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") ||
            url.host().isEmpty())
            return TallyError::invalid(
                QStringLiteral("invalid_config"),
                QStringLiteral("connect must be an http:// or https:// URL, not '%1'")
                    .arg(connect));
    }
    return true;
}

QString ConsoleSettings::describe() const
{
    QString text;
    for (const SettingSpec &spec : table())
        text += spec.describe(m_values.value(spec.name).toString(), m_sources.value(spec.name));
    return text;
}
