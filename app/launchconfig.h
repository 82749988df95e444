#pragma once

#include "consolesettings.h"
#include "core/config.h"

// Everything a launch of the tally binary was asked for: the server's settings, the
// console's, and the one-shot modes of the command line (--check-config, --rebalance).
class LaunchConfig : public Config {
public:
    LaunchConfig() : Config(Config::defaults()), m_console(ConsoleSettings::defaults()) {}
    LaunchConfig(const Config &server, const ConsoleSettings &console, bool checkOnly,
                 bool rebalanceOnly)
        : Config(server), m_console(console), m_checkOnly(checkOnly), m_rebalanceOnly(rebalanceOnly)
    {
    }
    static LaunchConfig defaults() { return LaunchConfig(); }

    // --check-config: validate the settings, print them, exit.
    bool checkOnly() const { return m_checkOnly; }
    // --rebalance: move polls between shards, then exit.
    bool rebalanceOnly() const { return m_rebalanceOnly; }
    QString connectUrl() const { return m_console.connectUrl(); }
    QString lang() const { return m_console.lang(); }

    // One line per setting, the server's then the console's, with value and source.
    QString describe() const { return Config::describe() + m_console.describe(); }

private:
    ConsoleSettings m_console;
    bool m_checkOnly = false;
    bool m_rebalanceOnly = false;
};
