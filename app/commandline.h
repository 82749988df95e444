#pragma once

#include "core/outcome.h"
#include "launchconfig.h"

#include <QProcessEnvironment>
#include <QStringList>

// The tally command line: one option per setting (the server's and the console's),
// --config, --check-config, --rebalance, --help and --version.
class CommandLine {
public:
    // Parses a command line (argv[0] first) and resolves the settings from it, the
    // environment and the config file. Help and version requests are reported through
    // `exitRequest` with the text to print.
    static Outcome<LaunchConfig> resolve(const QStringList &arguments,
                                         const QProcessEnvironment &environment,
                                         QString *exitRequest = nullptr);
    static QString helpText();
};
