#include "commandline.h"
#include "core/settingsources.h"

#include <QCommandLineParser>

namespace {

TallyError commandLineError(const QString &message)
{
    return TallyError::invalid(QStringLiteral("invalid_config"), message);
}

// The server's settings, then the console's: the order of --help and --check-config.
QList<SettingSpec> allSettings()
{
    return SettingSpec::table() + ConsoleSettings::table();
}

QCommandLineOption optionFor(const SettingSpec &spec)
{
    QString help = spec.help;
    if (spec.name == u"workers") // the value depends on the machine; help and man page must not
        help += QStringLiteral(" Default: the number of CPU cores.");
    else if (spec.type != SettingSpec::Type::Flag && spec.defaultValue.isValid() &&
             !spec.defaultValue.toString().isEmpty())
        help += QStringLiteral(" Default: %1.").arg(spec.defaultValue.toString());
    help += QStringLiteral(" Env: %1").arg(spec.envName());
    for (const QString &legacy : spec.legacyEnv)
        help += QStringLiteral(", %1").arg(legacy);
    help += u'.';
    if (spec.type == SettingSpec::Type::Flag)
        return QCommandLineOption(spec.name, help);
    return QCommandLineOption(spec.name, help,
                              spec.valueName.isEmpty() ? QStringLiteral("value") : spec.valueName);
}

void addOptions(QCommandLineParser &parser)
{
    parser.setApplicationDescription(
        QStringLiteral("Tally: a live-polling server with an operator console.\n"
                       "Settings resolve as flag > environment > config file > default."));
    parser.addHelpOption();
    parser.addVersionOption();
    for (const SettingSpec &spec : allSettings())
        parser.addOption(optionFor(spec));
    parser.addOption(QCommandLineOption(
        QStringLiteral("config"),
        QStringLiteral("Read settings from FILE (lines of 'name = value'). Env: TALLY_CONFIG."),
        QStringLiteral("file")));
    parser.addOption(
        QCommandLineOption(QStringLiteral("check-config"),
                           QStringLiteral("Validate the settings, print them, exit.")));
    parser.addOption(QCommandLineOption(
        QStringLiteral("rebalance"),
        QStringLiteral("Move polls to the Redis shards the hash ring names for them, print the "
                       "progress, exit (0: all moved). Runs headless, on a free port unless --port "
                       "is given.")));
}

QString usageText(const QCommandLineParser &parser)
{
    // Help is printed before any QCoreApplication exists, so Qt cannot name the program.
    return parser.helpText().replace(QStringLiteral("<executable_name>"), QStringLiteral("tally"));
}

} // namespace

QString CommandLine::helpText()
{
    QCommandLineParser parser;
    addOptions(parser);
    return usageText(parser);
}

Outcome<LaunchConfig> CommandLine::resolve(const QStringList &arguments,
                                           const QProcessEnvironment &environment,
                                           QString *exitRequest)
{
    QCommandLineParser parser;
    addOptions(parser);
    if (!parser.parse(arguments))
        return commandLineError(parser.errorText());
    if (!parser.positionalArguments().isEmpty())
        return commandLineError(QStringLiteral("unexpected argument '%1'")
                                    .arg(parser.positionalArguments().constFirst()));
    if (parser.isSet(QStringLiteral("help")) || parser.isSet(QStringLiteral("version"))) {
        if (exitRequest)
            *exitRequest = parser.isSet(QStringLiteral("help"))
                               ? usageText(parser)
                               : QStringLiteral("tally %1\n").arg(QStringLiteral(TALLY_VERSION));
        return LaunchConfig::defaults();
    }

    QHash<QString, QString> flags;
    for (const SettingSpec &spec : allSettings()) {
        if (parser.isSet(spec.name))
            flags.insert(spec.name, spec.type == SettingSpec::Type::Flag ? QStringLiteral("true")
                                                                         : parser.value(spec.name));
    }
    const Outcome<SettingSources> sources = SettingSources::read(
        flags, parser.value(QStringLiteral("config")), environment, allSettings());
    if (!sources)
        return sources.error();
    const Outcome<Config> server = Config::resolve(sources.value());
    if (!server)
        return server.error();
    const Outcome<ConsoleSettings> console = ConsoleSettings::resolve(sources.value());
    if (!console)
        return console.error();
    return LaunchConfig(server.value(), console.value(),
                        parser.isSet(QStringLiteral("check-config")),
                        parser.isSet(QStringLiteral("rebalance")));
}
