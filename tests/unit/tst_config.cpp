#include "commandline.h"
#include "core/config.h"
#include "core/settingspec.h"

#include <QFile>
#include <QTemporaryDir>
#include <QTest>
#include <QThread>

using Env = QList<QPair<QString, QString>>;

class TestConfig : public QObject {
    Q_OBJECT

private:
    QTemporaryDir m_dir;

    static QProcessEnvironment environment(const Env &variables)
    {
        QProcessEnvironment env; // empty: nothing leaks in from the test's own environment
        for (const auto &[name, value] : variables)
            env.insert(name, value);
        return env;
    }

    static Outcome<LaunchConfig> resolve(const QStringList &flags, const Env &variables = {})
    {
        return CommandLine::resolve(QStringList{QStringLiteral("tally")} + flags,
                                    environment(variables));
    }

    QString writeFile(const QString &name, const QByteArray &content)
    {
        const QString path = m_dir.filePath(name);
        QFile file(path);
        if (!file.open(QIODevice::WriteOnly | QIODevice::Truncate) || file.write(content) < 0)
            qFatal("cannot write %s", qPrintable(path));
        return path;
    }

private slots:
    void initTestCase() { QVERIFY(m_dir.isValid()); }

    void defaults()
    {
        const LaunchConfig config = LaunchConfig::defaults();
        QCOMPARE(config.port(), quint16(8000));
        QCOMPARE(config.bindAddress(), QStringLiteral("127.0.0.1"));
        QCOMPARE(config.virtualNodes(), 100);
        QCOMPARE(config.value(QStringLiteral("batch-interval")).toDouble(), 1.0);
        QCOMPARE(config.batchIntervalMs(), 1000);
        QCOMPARE(config.value(QStringLiteral("cache-ttl")).toDouble(), 5.0);
        QCOMPARE(config.cacheTtlMs(), 5000);
        QCOMPARE(config.apiPrefix(), QStringLiteral("/api/v1"));
        QCOMPARE(config.workers(), std::max(1, QThread::idealThreadCount()));
        QCOMPARE(config.embeddedShards(), 2);
        QCOMPARE(config.batchMaxVotes(), qint64(50000));
        QCOMPARE(config.cacheEntries(), 10000);
        QCOMPARE(config.liveIntervalMs(), 100);
        QCOMPARE(config.maxBodyBytes(), 16384);
        QVERIFY(!config.headless());
        QVERIFY(!config.checkOnly());
        QVERIFY(config.redisNodes().isEmpty());
        QVERIFY(config.adminToken().isEmpty());
        QVERIFY(config.instanceId().isEmpty());
        QVERIFY(config.connectUrl().isEmpty());
        QVERIFY(config.dataDir().endsWith(QStringLiteral("/tally")));
        for (const SettingSpec &spec : SettingSpec::table())
            QCOMPARE(config.source(spec.name), QStringLiteral("default"));
    }

    void resolveWithNothingGivesDefaults()
    {
        const Outcome<LaunchConfig> resolved = resolve({});
        QVERIFY(resolved.ok());
        const Config defaults = Config::defaults();
        for (const SettingSpec &spec : SettingSpec::table()) {
            QCOMPARE(resolved.value().value(spec.name), defaults.value(spec.name));
            QCOMPARE(resolved.value().source(spec.name), QStringLiteral("default"));
        }
    }

    void precedence_data()
    {
        QTest::addColumn<bool>("useFile");
        QTest::addColumn<bool>("useEnv");
        QTest::addColumn<bool>("useFlag");
        QTest::addColumn<int>("port");
        QTest::addColumn<QString>("source");
        QTest::newRow("default") << false << false << false << 8000 << "default";
        QTest::newRow("file") << true << false << false << 8100 << "file";
        QTest::newRow("env") << false << true << false << 8200 << "env TALLY_PORT";
        QTest::newRow("env over file") << true << true << false << 8200 << "env TALLY_PORT";
        QTest::newRow("flag") << false << false << true << 8300 << "flag --port";
        QTest::newRow("flag over file") << true << false << true << 8300 << "flag --port";
        QTest::newRow("flag over env") << false << true << true << 8300 << "flag --port";
        QTest::newRow("flag over all") << true << true << true << 8300 << "flag --port";
    }

    void precedence()
    {
        QFETCH(bool, useFile);
        QFETCH(bool, useEnv);
        QFETCH(bool, useFlag);
        QFETCH(int, port);
        QFETCH(QString, source);

        QStringList flags;
        Env env;
        const QString file =
            writeFile(QStringLiteral("precedence.conf"), "port = 8100\nbatch-interval = 0.5\n");
        if (useFile)
            flags << QStringLiteral("--config") << file;
        if (useEnv)
            env.append({QStringLiteral("TALLY_PORT"), QStringLiteral("8200")});
        if (useFlag)
            flags << QStringLiteral("--port") << QStringLiteral("8300");

        const Outcome<LaunchConfig> resolved = resolve(flags, env);
        QVERIFY2(resolved.ok(), resolved.ok() ? "" : qPrintable(resolved.error().message));
        QCOMPARE(resolved.value().port(), quint16(port));
        if (source == u"file")
            source = QStringLiteral("file %1").arg(file);
        QCOMPARE(resolved.value().source(QStringLiteral("port")), source);
        // Settings not given anywhere else still come from the file.
        QCOMPARE(resolved.value().batchIntervalMs(), useFile ? 500 : 1000);
    }

    void flagForms()
    {
        const Outcome<LaunchConfig> resolved = resolve(
            {QStringLiteral("--port=9001"), QStringLiteral("--bind"), QStringLiteral("0.0.0.0"),
             QStringLiteral("--headless"), QStringLiteral("--cache-ttl"), QStringLiteral("0.25"),
             QStringLiteral("--check-config")});
        QVERIFY(resolved.ok());
        const LaunchConfig &config = resolved.value();
        QCOMPARE(config.port(), quint16(9001));
        QCOMPARE(config.bindAddress(), QStringLiteral("0.0.0.0"));
        QVERIFY(config.headless());
        QCOMPARE(config.source(QStringLiteral("headless")), QStringLiteral("flag --headless"));
        QCOMPARE(config.cacheTtlMs(), 250);
        QVERIFY(config.checkOnly());
    }

    void flagSettingFromEnv_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<bool>("expected");
        for (const char *yes : {"1", "true", "TRUE", "yes", "on", ""})
            QTest::addRow("'%s'", yes) << QString::fromLatin1(yes) << true;
        for (const char *no : {"0", "false", "No", "off"})
            QTest::addRow("'%s'", no) << QString::fromLatin1(no) << false;
    }

    void flagSettingFromEnv()
    {
        QFETCH(QString, text);
        QFETCH(bool, expected);
        const Outcome<LaunchConfig> resolved =
            resolve({}, {{QStringLiteral("TALLY_HEADLESS"), text}});
        QVERIFY(resolved.ok());
        QCOMPARE(resolved.value().headless(), expected);
        QCOMPARE(resolved.value().source(QStringLiteral("headless")),
                 QStringLiteral("env TALLY_HEADLESS"));
    }

    void legacyEnvironmentNames()
    {
        const Outcome<LaunchConfig> resolved =
            resolve({}, {{QStringLiteral("REDIS_NODES"),
                          QStringLiteral("redis://127.0.0.1:7000,redis://127.0.0.1:7001")},
                         {QStringLiteral("VIRTUAL_NODES"), QStringLiteral("50")},
                         {QStringLiteral("BATCH_INTERVAL_SECONDS"), QStringLiteral("0.25")},
                         {QStringLiteral("API_PREFIX"), QStringLiteral("/polls")}});
        QVERIFY(resolved.ok());
        const LaunchConfig &config = resolved.value();
        QCOMPARE(config.redisNodes().size(), 2);
        QCOMPARE(config.redisNodes()[0].port, quint16(7000));
        QCOMPARE(config.redisNodes()[1].port, quint16(7001));
        QCOMPARE(config.virtualNodes(), 50);
        QCOMPARE(config.batchIntervalMs(), 250);
        QCOMPARE(config.apiPrefix(), QStringLiteral("/polls"));
        QCOMPARE(config.source(QStringLiteral("redis-nodes")), QStringLiteral("env REDIS_NODES"));
        QCOMPARE(config.source(QStringLiteral("virtual-nodes")),
                 QStringLiteral("env VIRTUAL_NODES"));
        QCOMPARE(config.source(QStringLiteral("batch-interval")),
                 QStringLiteral("env BATCH_INTERVAL_SECONDS"));
        QCOMPARE(config.source(QStringLiteral("api-prefix")), QStringLiteral("env API_PREFIX"));
    }

    void legacyEnvironmentPrecedence()
    {
        const QString file =
            writeFile(QStringLiteral("legacy.conf"), "virtual_nodes = 30\napi_prefix = /file\n");
        // The TALLY_ name beats the legacy one; a legacy name beats the file; a flag beats both.
        const Outcome<LaunchConfig> resolved =
            resolve({QStringLiteral("--config"), file, QStringLiteral("--api-prefix"),
                     QStringLiteral("/flag")},
                    {{QStringLiteral("VIRTUAL_NODES"), QStringLiteral("60")},
                     {QStringLiteral("TALLY_VIRTUAL_NODES"), QStringLiteral("70")},
                     {QStringLiteral("API_PREFIX"), QStringLiteral("/legacy")}});
        QVERIFY(resolved.ok());
        QCOMPARE(resolved.value().virtualNodes(), 70);
        QCOMPARE(resolved.value().apiPrefix(), QStringLiteral("/flag"));

        const Outcome<LaunchConfig> overFile =
            resolve({QStringLiteral("--config"), file},
                    {{QStringLiteral("VIRTUAL_NODES"), QStringLiteral("60")}});
        QVERIFY(overFile.ok());
        QCOMPARE(overFile.value().virtualNodes(), 60);
        QCOMPARE(overFile.value().apiPrefix(), QStringLiteral("/file"));
    }

    void configFileSyntax()
    {
        const QString file =
            writeFile(QStringLiteral("syntax.conf"), "# a comment\n"
                                                     "; another comment\n"
                                                     "[tally]\n"
                                                     "\n"
                                                     "   PORT   =   8123   \n"
                                                     "Batch_Max_Votes=77\n"
                                                     "admin-token = \"quoted token\"\n"
                                                     "redis_nodes = a=redis://10.0.0.1:7000\n");
        const Outcome<LaunchConfig> resolved = resolve({QStringLiteral("--config"), file});
        QVERIFY2(resolved.ok(), resolved.ok() ? "" : qPrintable(resolved.error().message));
        const LaunchConfig &config = resolved.value();
        QCOMPARE(config.port(), quint16(8123));
        QCOMPARE(config.batchMaxVotes(), qint64(77));
        QCOMPARE(config.adminToken(), QStringLiteral("quoted token"));
        QCOMPARE(config.redisNodes().size(), 1);
        QCOMPARE(config.redisNodes()[0].name, QStringLiteral("a"));
        QCOMPARE(config.source(QStringLiteral("port")), QStringLiteral("file %1").arg(file));

        // The file can also be named by the environment.
        const Outcome<LaunchConfig> fromEnv = resolve({}, {{QStringLiteral("TALLY_CONFIG"), file}});
        QVERIFY(fromEnv.ok());
        QCOMPARE(fromEnv.value().port(), quint16(8123));
    }

    void errors_data()
    {
        QTest::addColumn<QStringList>("flags");
        QTest::addColumn<Env>("env");
        QTest::addColumn<QByteArray>("fileContent"); // written and passed with --config if set
        QTest::addColumn<QString>("messagePart");

        const Env none;
        QTest::newRow("port 70000") << QStringList{"--port", "70000"} << none << QByteArray()
                                    << "port must be a whole number from 0 to 65535";
        QTest::newRow("port -1") << QStringList{"--port=-1"} << none << QByteArray() << "port";
        QTest::newRow("port abc in env")
            << QStringList{} << Env{{"TALLY_PORT", "abc"}} << QByteArray() << "env TALLY_PORT";
        QTest::newRow("workers 0") << QStringList{"--workers", "0"} << none << QByteArray()
                                   << "workers must be a whole number from 1 to 64";
        QTest::newRow("workers 0 in env")
            << QStringList{} << Env{{"TALLY_WORKERS", "0"}} << QByteArray() << "workers";
        QTest::newRow("batch-interval abc") << QStringList{"--batch-interval", "abc"} << none
                                            << QByteArray() << "batch-interval must be a number";
        QTest::newRow("legacy batch interval abc")
            << QStringList{} << Env{{"BATCH_INTERVAL_SECONDS", "abc"}} << QByteArray()
            << "env BATCH_INTERVAL_SECONDS";
        QTest::newRow("batch-interval 0")
            << QStringList{"--batch-interval", "0"} << none << QByteArray() << "batch-interval";
        QTest::newRow("virtual-nodes 0")
            << QStringList{} << Env{{"VIRTUAL_NODES", "0"}} << QByteArray() << "virtual-nodes";
        QTest::newRow("headless maybe") << QStringList{} << Env{{"TALLY_HEADLESS", "maybe"}}
                                        << QByteArray() << "headless must be true or false";
        QTest::newRow("unknown config-file key")
            << QStringList{} << none << QByteArray("port = 8001\ncolour = blue\n")
            << "unknown setting 'colour'";
        QTest::newRow("config-file line without =")
            << QStringList{} << none << QByteArray("port 8001\n") << "expected 'name = value'";
        QTest::newRow("bad value in config file")
            << QStringList{} << none << QByteArray("port = 99999\n") << "(from file";
        QTest::newRow("missing config file") << QStringList{"--config", "/nonexistent/tally.conf"}
                                             << none << QByteArray() << "cannot read config file";
        QTest::newRow("redis http scheme") << QStringList{"--redis-nodes", "http://127.0.0.1:7000"}
                                           << none << QByteArray() << "redis-nodes";
        QTest::newRow("redis with path")
            << QStringList{} << Env{{"REDIS_NODES", "redis://127.0.0.1:7000/0"}} << QByteArray()
            << "redis-nodes";
        QTest::newRow("redis port out of range")
            << QStringList{"--redis-nodes", "redis://127.0.0.1:99999"} << none << QByteArray()
            << "redis-nodes";
        QTest::newRow("redis duplicate")
            << QStringList{"--redis-nodes", "redis://127.0.0.1:7000,redis://127.0.0.1:7000"} << none
            << QByteArray() << "used twice";
        QTest::newRow("api-prefix without slash")
            << QStringList{"--api-prefix", "api/v1"} << none << QByteArray() << "api-prefix";
        QTest::newRow("api-prefix trailing slash")
            << QStringList{} << Env{{"API_PREFIX", "/api/"}} << QByteArray() << "api-prefix";
        QTest::newRow("api-prefix with space")
            << QStringList{"--api-prefix", "/api v1"} << none << QByteArray() << "api-prefix";
        QTest::newRow("instance-id with slash")
            << QStringList{"--instance-id", "a/b"} << none << QByteArray() << "instance-id";
        QTest::newRow("connect ftp") << QStringList{"--connect", "ftp://host"} << none
                                     << QByteArray() << "connect must be an http";
        QTest::newRow("public-url ftp") << QStringList{"--public-url", "ftp://host"} << none
                                        << QByteArray() << "public-url must be an http";
        QTest::newRow("public-url with query")
            << QStringList{} << Env{{"TALLY_PUBLIC_URL", "http://vote.example/?x=1"}}
            << QByteArray() << "public-url";
        QTest::newRow("public-url without host")
            << QStringList{"--public-url", "http:///p"} << none << QByteArray() << "public-url";
        QTest::newRow("unknown flag")
            << QStringList{"--colour", "blue"} << none << QByteArray() << "colour";
        QTest::newRow("flag without value")
            << QStringList{"--port"} << none << QByteArray() << "port";
        QTest::newRow("positional argument")
            << QStringList{"extra"} << none << QByteArray() << "unexpected argument 'extra'";
    }

    void errors()
    {
        QFETCH(QStringList, flags);
        QFETCH(Env, env);
        QFETCH(QByteArray, fileContent);
        QFETCH(QString, messagePart);
        if (!fileContent.isEmpty())
            flags << QStringLiteral("--config")
                  << writeFile(QStringLiteral("errors.conf"), fileContent);
        const Outcome<LaunchConfig> resolved = resolve(flags, env);
        QVERIFY(!resolved.ok());
        QCOMPARE(resolved.error().kind, TallyError::Kind::Invalid);
        QCOMPARE(resolved.error().code, QStringLiteral("invalid_config"));
        QVERIFY2(resolved.error().message.contains(messagePart),
                 qPrintable(resolved.error().message));
    }

    void helpAndVersion()
    {
        QString exit;
        const Outcome<LaunchConfig> help = CommandLine::resolve(
            {QStringLiteral("tally"), QStringLiteral("--help")}, QProcessEnvironment(), &exit);
        QVERIFY(help.ok());
        QVERIFY(exit.contains(QStringLiteral("--port")));
        QCOMPARE(exit, CommandLine::helpText());
        // The default worker count depends on the machine; help (and the man page) must not.
        QVERIFY(exit.simplified().contains(QStringLiteral("Default: the number of CPU cores.")));

        exit.clear();
        const Outcome<LaunchConfig> version = CommandLine::resolve(
            {QStringLiteral("tally"), QStringLiteral("--version")}, QProcessEnvironment(), &exit);
        QVERIFY(version.ok());
        QCOMPARE(exit, QStringLiteral("tally %1\n").arg(QStringLiteral(TALLY_VERSION)));

        // No request, no text.
        exit.clear();
        QVERIFY(CommandLine::resolve({QStringLiteral("tally")}, QProcessEnvironment(), &exit).ok());
        QVERIFY(exit.isEmpty());
    }

    void helpTextListsEverySetting()
    {
        const QString help = CommandLine::helpText();
        QVERIFY(SettingSpec::table().size() >= 18);
        for (const SettingSpec &spec : SettingSpec::table()) {
            QVERIFY2(help.contains(QStringLiteral("--%1").arg(spec.name)), qPrintable(spec.name));
            QVERIFY2(help.contains(spec.envName()), qPrintable(spec.envName()));
            for (const QString &legacy : spec.legacyEnv)
                QVERIFY2(help.contains(legacy), qPrintable(legacy));
        }
        for (const char *name :
             {"--config", "--check-config", "--help", "--version", "REDIS_NODES", "VIRTUAL_NODES",
              "BATCH_INTERVAL_SECONDS", "API_PREFIX", "TALLY_CONFIG"})
            QVERIFY2(help.contains(QLatin1String(name)), name);
    }

    void envNames()
    {
        QCOMPARE(SettingSpec::find(QStringLiteral("batch-interval"))->envName(),
                 QStringLiteral("TALLY_BATCH_INTERVAL"));
        QCOMPARE(SettingSpec::find(QStringLiteral("port"))->envName(),
                 QStringLiteral("TALLY_PORT"));
        QCOMPARE(SettingSpec::find(QStringLiteral("no-such-setting")), nullptr);
    }

    void parseRedisNodes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QStringList>("names");
        QTest::addColumn<QStringList>("hosts");
        QTest::addColumn<QList<int>>("ports");

        QTest::newRow("empty") << QString() << QStringList() << QStringList() << QList<int>();
        QTest::newRow("two urls") << "redis://127.0.0.1:7000,redis://127.0.0.1:7001"
                                  << QStringList{"127.0.0.1:7000", "127.0.0.1:7001"}
                                  << QStringList{"127.0.0.1", "127.0.0.1"}
                                  << QList<int>{7000, 7001};
        QTest::newRow("named") << "a=redis://127.0.0.1:7000" << QStringList{"a"}
                               << QStringList{"127.0.0.1"} << QList<int>{7000};
        QTest::newRow("named, spaces, empty entries")
            << " left=redis://10.0.0.1:7000 , ,right=redis://10.0.0.2:7001,"
            << QStringList{"left", "right"} << QStringList{"10.0.0.1", "10.0.0.2"}
            << QList<int>{7000, 7001};
        QTest::newRow("default port") << "redis://127.0.0.1" << QStringList{"127.0.0.1:6379"}
                                      << QStringList{"127.0.0.1"} << QList<int>{6379};
        QTest::newRow("no scheme")
            << "10.1.2.3:7002,10.1.2.4" << QStringList{"10.1.2.3:7002", "10.1.2.4:6379"}
            << QStringList{"10.1.2.3", "10.1.2.4"} << QList<int>{7002, 6379};
        QTest::newRow("named, no scheme")
            << "b=10.1.2.3:7002" << QStringList{"b"} << QStringList{"10.1.2.3"} << QList<int>{7002};
        QTest::newRow("trailing slash")
            << "redis://127.0.0.1:7000/" << QStringList{"127.0.0.1:7000"}
            << QStringList{"127.0.0.1"} << QList<int>{7000};
        QTest::newRow("same host, two ports")
            << "redis://h:1,redis://h:2" << QStringList{"h:1", "h:2"} << QStringList{"h", "h"}
            << QList<int>{1, 2};
    }

    void parseRedisNodes()
    {
        QFETCH(QString, text);
        QFETCH(QStringList, names);
        QFETCH(QStringList, hosts);
        QFETCH(QList<int>, ports);
        const Outcome<QList<Config::RedisNode>> nodes = Config::parseRedisNodes(text);
        QVERIFY2(nodes.ok(), nodes.ok() ? "" : qPrintable(nodes.error().message));
        QStringList gotNames;
        QStringList gotHosts;
        QList<int> gotPorts;
        for (const Config::RedisNode &node : nodes.value()) {
            gotNames << node.name;
            gotHosts << node.host;
            gotPorts << node.port;
        }
        QCOMPARE(gotNames, names);
        QCOMPARE(gotHosts, hosts);
        QCOMPARE(gotPorts, ports);
    }

    void parseRedisNodesRejects_data()
    {
        QTest::addColumn<QString>("text");
        QTest::newRow("duplicate address") << "redis://127.0.0.1:7000,redis://127.0.0.1:7000";
        QTest::newRow("duplicate name") << "a=redis://127.0.0.1:7000,a=redis://127.0.0.1:7001";
        QTest::newRow("http scheme") << "http://127.0.0.1:7000";
        QTest::newRow("database path") << "redis://127.0.0.1:7000/0";
        QTest::newRow("no host") << "redis://:7000";
        QTest::newRow("port too large") << "redis://127.0.0.1:70000";
        QTest::newRow("port not a number") << "redis://127.0.0.1:abc";
        // Shard names become metric labels and log text: a small alphabet only.
        QTest::newRow("quote in name") << "a\"b=redis://127.0.0.1:7000";
        QTest::newRow("space in name") << "a b=redis://127.0.0.1:7000";
        QTest::newRow("newline in name") << "a\nb=redis://127.0.0.1:7000";
        QTest::newRow("name too long") << QString(65, u'n') + "=redis://127.0.0.1:7000";
    }

    void parseRedisNodesRejects()
    {
        QFETCH(QString, text);
        const Outcome<QList<Config::RedisNode>> nodes = Config::parseRedisNodes(text);
        QVERIFY(!nodes.ok());
        QCOMPARE(nodes.error().code, QStringLiteral("invalid_config"));
        QVERIFY(nodes.error().message.startsWith(QStringLiteral("redis-nodes: ")));
    }

    // A sentinel entry's addresses are comma-separated like the entries: they belong to
    // it up to the "/<master-name>".
    void parseSentinelNodes_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QStringList>("shards"); // name, then "sentinels/master" or "host:port"

        QTest::newRow("one group")
            << "g1=sentinel://10.0.0.5:26379,10.0.0.6:26380,10.0.0.7/g1"
            << QStringList{"g1 10.0.0.5:26379,10.0.0.6:26380,10.0.0.7:26379/g1"};
        QTest::newRow("groups and plain nodes mixed")
            << "a=redis://10.0.0.1:7000, g1=sentinel://h1:1,h2:2/m1 "
               ",g2=sentinel://h3:3/m2,10.0.0.9:7001"
            << QStringList{"a 10.0.0.1:7000", "g1 h1:1,h2:2/m1", "g2 h3:3/m2",
                           "10.0.0.9:7001 10.0.0.9:7001"};
        QTest::newRow("name defaults to the master name")
            << "sentinel://127.0.0.1:26379/mymaster"
            << QStringList{"mymaster 127.0.0.1:26379/mymaster"};
    }

    void parseSentinelNodes()
    {
        QFETCH(QString, text);
        QFETCH(QStringList, shards);
        const Outcome<QList<Config::RedisNode>> nodes = Config::parseRedisNodes(text);
        QVERIFY2(nodes.ok(), nodes.ok() ? "" : qPrintable(nodes.error().message));
        QStringList got;
        for (const Config::RedisNode &node : nodes.value()) {
            if (!node.monitored()) {
                got << QStringLiteral("%1 %2:%3").arg(node.name, node.host).arg(node.port);
                continue;
            }
            QStringList sentinels;
            for (const Config::RedisNode::Address &sentinel : node.sentinels)
                sentinels << QStringLiteral("%1:%2").arg(sentinel.host).arg(sentinel.port);
            got << QStringLiteral("%1 %2/%3").arg(node.name, sentinels.join(u','), node.masterName);
        }
        QCOMPARE(got, shards);
    }

    void parseSentinelNodesRejects_data()
    {
        QTest::addColumn<QString>("text");
        QTest::addColumn<QString>("mentions");
        QTest::newRow("no master name") << "g=sentinel://h1:1,h2:2"
                                        << "needs the monitored master's name";
        QTest::newRow("no master name, next entry") << "g=sentinel://h1:1,b=redis://h:2"
                                                    << "needs the monitored master's name";
        QTest::newRow("empty master name") << "g=sentinel://h1:1/"
                                           << "master name ''";
        QTest::newRow("master name with a slash") << "g=sentinel://h1:1/a/b"
                                                  << "master name 'a/b'";
        QTest::newRow("bad sentinel port") << "g=sentinel://h1:1,h2:99999/m"
                                           << "'h2:99999'";
        QTest::newRow("empty sentinel address") << "g=sentinel://h1:1,,h2:2/m"
                                                << "empty sentinel address";
        QTest::newRow("no sentinel") << "g=sentinel:///m"
                                     << "is not of the form host:port";
        QTest::newRow("same name twice") << "g=sentinel://h1:1/m,g=redis://h:2"
                                         << "shard name 'g' is used twice";
    }

    void parseSentinelNodesRejects()
    {
        QFETCH(QString, text);
        QFETCH(QString, mentions);
        const Outcome<QList<Config::RedisNode>> nodes = Config::parseRedisNodes(text);
        QVERIFY(!nodes.ok());
        QCOMPARE(nodes.error().code, QStringLiteral("invalid_config"));
        QVERIFY2(nodes.error().message.startsWith(QStringLiteral("redis-nodes: ")) &&
                     nodes.error().message.contains(mentions),
                 qPrintable(nodes.error().message));
    }

    void describeHidesToken()
    {
        const Outcome<LaunchConfig> resolved =
            resolve({QStringLiteral("--admin-token"), QStringLiteral("s3cret-value")});
        QVERIFY(resolved.ok());
        QCOMPARE(resolved.value().adminToken(), QStringLiteral("s3cret-value"));
        const QString text = resolved.value().describe();
        QVERIFY(!text.contains(QStringLiteral("s3cret-value")));
        QVERIFY(text.contains(QStringLiteral("(set)")));
        for (const SettingSpec &spec : SettingSpec::table())
            QVERIFY2(text.contains(spec.name), qPrintable(spec.name));
    }

    void setOverrides()
    {
        Config config = Config::defaults();
        config.set(QStringLiteral("port"), 0);
        QCOMPARE(config.port(), quint16(0));
        QCOMPARE(config.source(QStringLiteral("port")), QStringLiteral("override"));
        config.set(QStringLiteral("data-dir"), m_dir.path());
        QCOMPARE(config.dataDir(), m_dir.path());
    }
};

QTEST_GUILESS_MAIN(TestConfig)
#include "tst_config.moc"
