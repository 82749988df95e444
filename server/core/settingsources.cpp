#include "settingsources.h"

#include <QFile>
#include <QTextStream>
#include <algorithm>

namespace {

TallyError configError(const QString &message)
{
    return TallyError::invalid(QStringLiteral("invalid_config"), message);
}

} // namespace

Outcome<SettingSources> SettingSources::read(const QHash<QString, QString> &flags,
                                             const QString &configPath,
                                             const QProcessEnvironment &environment,
                                             const QList<SettingSpec> &known)
{
    SettingSources sources;
    sources.m_flags = flags;
    sources.m_environment = environment;
    sources.m_configPath =
        configPath.isEmpty() ? environment.value(QStringLiteral("TALLY_CONFIG")) : configPath;
    if (!sources.m_configPath.isEmpty()) {
        Outcome<QHash<QString, QString>> file = readFile(sources.m_configPath, known);
        if (!file)
            return file.error();
        sources.m_fileValues = file.value();
    }
    return sources;
}

Outcome<QHash<QString, QString>> SettingSources::readFile(const QString &path,
                                                          const QList<SettingSpec> &known)
{
    QFile file(path);
    if (!file.open(QIODevice::ReadOnly | QIODevice::Text))
        return configError(
            QStringLiteral("cannot read config file %1: %2").arg(path, file.errorString()));
    QHash<QString, QString> entries;
    QTextStream in(&file);
    int lineNumber = 0;
    while (!in.atEnd()) {
        const QString line = in.readLine().trimmed();
        ++lineNumber;
        if (line.isEmpty() || line.startsWith(u'#') || line.startsWith(u';') ||
            line.startsWith(u'['))
            continue;
        const qsizetype equals = line.indexOf(u'=');
        if (equals <= 0)
            return configError(
                QStringLiteral("%1:%2: expected 'name = value'").arg(path).arg(lineNumber));
        QString key = line.left(equals).trimmed().replace(u'_', u'-').toLower();
        QString value = line.mid(equals + 1).trimmed();
        if (value.size() >= 2 && value.startsWith(u'"') && value.endsWith(u'"'))
            value = value.mid(1, value.size() - 2);
        const bool isKnown =
            std::any_of(known.cbegin(), known.cend(),
                        [&key](const SettingSpec &spec) { return spec.name == key; });
        if (!isKnown)
            return configError(
                QStringLiteral("%1:%2: unknown setting '%3'").arg(path).arg(lineNumber).arg(key));
        entries.insert(key, value);
    }
    return entries;
}

Outcome<SettingSources::Resolved> SettingSources::resolve(const SettingSpec &spec) const
{
    QString text;
    QString source;
    if (m_flags.contains(spec.name)) {
        text = m_flags.value(spec.name);
        source = QStringLiteral("flag --%1").arg(spec.name);
    } else if (m_environment.contains(spec.envName())) {
        text = m_environment.value(spec.envName());
        source = QStringLiteral("env %1").arg(spec.envName());
    } else {
        for (const QString &legacy : spec.legacyEnv) {
            if (m_environment.contains(legacy)) {
                text = m_environment.value(legacy);
                source = QStringLiteral("env %1").arg(legacy);
                break;
            }
        }
        if (source.isEmpty() && m_fileValues.contains(spec.name)) {
            text = m_fileValues.value(spec.name);
            source = QStringLiteral("file %1").arg(m_configPath);
        }
    }
    if (source.isEmpty())
        return Resolved{};
    QString error;
    const QVariant value = spec.parse(text, &error);
    if (!value.isValid())
        return configError(QStringLiteral("%1 (from %2)").arg(error, source));
    return Resolved{value, source};
}
