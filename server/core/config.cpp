#include "config.h"
#include "settingsources.h"
#include "settingspec.h"

#include <QRegularExpression>
#include <QStandardPaths>
#include <QUrl>
#include <cmath>

namespace {

TallyError configError(const QString &message)
{
    return TallyError::invalid(QStringLiteral("invalid_config"), message);
}

} // namespace

Config Config::defaults()
{
    Config config;
    for (const SettingSpec &spec : SettingSpec::table()) {
        config.m_values.insert(spec.name, spec.defaultValue);
        config.m_sources.insert(spec.name, QStringLiteral("default"));
    }
    return config;
}

void Config::set(const QString &name, const QVariant &value)
{
    m_values.insert(name, value);
    m_sources.insert(name, QStringLiteral("override"));
}

Outcome<Config> Config::resolve(const SettingSources &sources)
{
    Config config = defaults();
    for (const SettingSpec &spec : SettingSpec::table()) {
        const Outcome<SettingSources::Resolved> resolved = sources.resolve(spec);
        if (!resolved)
            return resolved.error();
        if (resolved.value().source.isEmpty())
            continue;
        config.m_values.insert(spec.name, resolved.value().value);
        config.m_sources.insert(spec.name, resolved.value().source);
    }
    const Outcome<bool> valid = config.validate();
    if (!valid)
        return valid.error();
    return config;
}

Outcome<bool> Config::validate() const
{
    // The same checks as start-up, so --check-config cannot call valid what then fails.
    const Outcome<QHostAddress> bind = parseBindAddress(bindAddress());
    if (!bind)
        return bind.error();
    const Outcome<QList<QPair<QHostAddress, int>>> proxies =
        parseTrustedProxies(value(QStringLiteral("trusted-proxies")).toString());
    if (!proxies)
        return proxies.error();
    const Outcome<QList<RedisNode>> nodes =
        parseRedisNodes(value(QStringLiteral("redis-nodes")).toString());
    if (!nodes)
        return nodes.error();
    if (redisMinReplicas() > 0 && redisReplicaTimeoutMs() >= redisCommandTimeoutMs())
        return configError(QStringLiteral("redis-replica-timeout (%1 ms) must be below "
                                          "redis-command-timeout (%2 ms): a WAIT for replicas "
                                          "holds its connection that long")
                               .arg(redisReplicaTimeoutMs())
                               .arg(redisCommandTimeoutMs()));
    const QString prefix = apiPrefix();
    if (!prefix.isEmpty() &&
        (!prefix.startsWith(u'/') || prefix.endsWith(u'/') || prefix.contains(u' ')))
        return configError(
            QStringLiteral("api-prefix must start with '/' and not end with '/', not '%1'")
                .arg(prefix));
    const QString id = instanceId();
    for (QChar c : id)
        if (!c.isLetterOrNumber() && c != u'-' && c != u'_' && c != u'.')
            return configError(
                QStringLiteral("instance-id may hold letters, digits, '-', '_' and '.', not '%1'")
                    .arg(id));
    const QString publicUrl = value(QStringLiteral("public-url")).toString();
    if (!publicUrl.isEmpty()) {
        const QUrl url(publicUrl, QUrl::StrictMode);
        if (!url.isValid() || (url.scheme() != u"http" && url.scheme() != u"https") ||
            url.host().isEmpty() || url.hasQuery() || url.hasFragment() ||
            !url.userInfo().isEmpty())
            return configError(
                QStringLiteral("public-url must be an http:// or https:// URL without query or "
                               "fragment, not '%1'")
                    .arg(publicUrl));
    }
    return true;
}

QString Config::publicUrl() const
{
    QString url = value(QStringLiteral("public-url")).toString();
    while (url.endsWith(u'/'))
        url.chop(1);
    return url;
}

Outcome<QHostAddress> Config::parseBindAddress(const QString &text)
{
    if (text == u"localhost")
        return QHostAddress(QHostAddress::LocalHost);
    if (text == u"*" || text == u"0.0.0.0")
        return QHostAddress(QHostAddress::AnyIPv4);
    QHostAddress address;
    if (text.contains(u'/') || !address.setAddress(text))
        return configError(
            QStringLiteral("bind must be an IP address (or localhost, *), not '%1'").arg(text));
    return address;
}

Outcome<QList<QPair<QHostAddress, int>>> Config::parseTrustedProxies(const QString &text)
{
    QList<QPair<QHostAddress, int>> subnets;
    for (const QString &item : text.split(u',', Qt::SkipEmptyParts)) {
        const QString entry = item.trimmed();
        if (entry.isEmpty())
            continue;
        QPair<QHostAddress, int> subnet;
        if (entry.contains(u'/')) {
            // parseSubnet() also takes a netmask ("10.0.0.0/255.0.0.0") and fills in
            // missing octets; the prefix length and address are checked here as well.
            subnet = QHostAddress::parseSubnet(entry);
            const QString address = entry.left(entry.indexOf(u'/'));
            bool prefixOk = false;
            const int prefix = entry.mid(entry.indexOf(u'/') + 1).toInt(&prefixOk);
            const int maxPrefix =
                subnet.first.protocol() == QAbstractSocket::IPv6Protocol ? 128 : 32;
            if (subnet.first.isNull() || QHostAddress(address).isNull() ||
                (prefixOk && (prefix < 0 || prefix > maxPrefix)))
                subnet.first.clear();
        } else {
            const QHostAddress single(entry);
            if (!single.isNull())
                subnet = {single, single.protocol() == QAbstractSocket::IPv6Protocol ? 128 : 32};
        }
        if (subnet.first.isNull())
            return configError(QStringLiteral("trusted-proxies: '%1' is not an IP address or CIDR "
                                              "subnet (such as 10.0.0.0/8)")
                                   .arg(entry));
        subnets.append(subnet);
    }
    return subnets;
}

namespace {

Outcome<Config::RedisNode::Address> parseHostPort(const QString &text, quint16 defaultPort)
{
    const QUrl url(QStringLiteral("redis://") + text);
    if (text.isEmpty() || !url.isValid() || url.host().isEmpty() || !url.path().isEmpty() ||
        !url.userInfo().isEmpty() || url.port(defaultPort) <= 0)
        return configError(
            QStringLiteral("redis-nodes: '%1' is not of the form host:port").arg(text));
    return Config::RedisNode::Address{url.host(), quint16(url.port(defaultPort))};
}

// "sentinel://a:1,b:2/master" (its commas already joined back): the sentinels and the
// master name.
Outcome<Config::RedisNode> parseSentinelEntry(const QString &entry)
{
    const QString body = entry.mid(int(qstrlen("sentinel://")));
    const qsizetype slash = body.indexOf(u'/');
    if (slash < 0)
        return configError(QStringLiteral("redis-nodes: '%1' needs the monitored master's name "
                                          "after its sentinel addresses (sentinel://host:port,"
                                          "host:port/master-name)")
                               .arg(entry));
    static const QRegularExpression masterName(QStringLiteral("^[A-Za-z0-9_.-]{1,64}$"));
    const QString master = body.mid(slash + 1);
    if (!masterName.match(master).hasMatch())
        return configError(QStringLiteral("redis-nodes: master name '%1' in '%2' may hold 1 to 64 "
                                          "letters, digits, '.', '_' and '-'")
                               .arg(master.left(80), entry));
    Config::RedisNode node;
    node.masterName = master;
    for (const QString &address : body.left(slash).split(u',')) {
        const Outcome<Config::RedisNode::Address> sentinel =
            parseHostPort(address.trimmed(), 26379);
        if (!sentinel)
            return sentinel.error();
        node.sentinels.append(sentinel.value());
    }
    return node;
}

} // namespace

Outcome<QList<Config::RedisNode>> Config::parseRedisNodes(const QString &text)
{
    // The addresses of a sentinel entry are comma-separated too: they belong to that
    // entry until its "/<master-name>".
    QStringList entries;
    bool inSentinel = false;
    for (const QString &piece : text.split(u',')) {
        const QString part = piece.trimmed();
        if (inSentinel) {
            if (part.isEmpty())
                return configError(QStringLiteral("redis-nodes: '%1' has an empty sentinel address")
                                       .arg(entries.last() + u','));
            if (part.contains(QStringLiteral("://")) || part.contains(u'='))
                return configError(QStringLiteral("redis-nodes: '%1' needs the monitored master's "
                                                  "name after its sentinel addresses "
                                                  "(sentinel://host:port,host:port/master-name)")
                                       .arg(entries.last()));
            entries.last() += u',' + part;
            inSentinel = !part.contains(u'/');
            continue;
        }
        if (part.isEmpty())
            continue; // "a, ,b" and a trailing ", " are as harmless as "a,,b"
        entries.append(part);
        const qsizetype scheme = part.indexOf(QStringLiteral("sentinel://"));
        inSentinel = scheme >= 0 && !part.mid(scheme + 11).contains(u'/');
    }
    if (inSentinel)
        return configError(
            QStringLiteral("redis-nodes: '%1' needs the monitored master's name after "
                           "its sentinel addresses (sentinel://host:port,host:port/"
                           "master-name)")
                .arg(entries.last()));

    QList<RedisNode> nodes;
    for (QString entry : std::as_const(entries)) {
        QString name;
        const qsizetype equals = entry.indexOf(u'=');
        if (equals > 0 && !entry.left(equals).contains(u':')) {
            name = entry.left(equals);
            entry = entry.mid(equals + 1);
        }
        RedisNode node;
        if (entry.startsWith(QStringLiteral("sentinel://"))) {
            const Outcome<RedisNode> monitored = parseSentinelEntry(entry);
            if (!monitored)
                return monitored.error();
            node = monitored.value();
        } else {
            if (!entry.contains(QStringLiteral("://")))
                entry.prepend(QStringLiteral("redis://"));
            const QUrl url(entry);
            if (!url.isValid() || url.scheme() != u"redis" || url.host().isEmpty() ||
                (!url.path().isEmpty() && url.path() != u"/"))
                return configError(
                    QStringLiteral("redis-nodes: '%1' is not of the form redis://host:port "
                                   "or sentinel://host:port[,host:port...]/master-name")
                        .arg(entry));
            node.host = url.host();
            node.port = quint16(url.port(6379));
        }
        static const QRegularExpression shardName(QStringLiteral("^[A-Za-z0-9_.:-]{1,64}$"));
        if (!name.isEmpty() && !shardName.match(name).hasMatch())
            return configError(
                QStringLiteral("redis-nodes: shard name '%1' may hold 1 to 64 letters, digits, "
                               "'.', '_', '-' and ':'")
                    .arg(name.left(80)));
        if (name.isEmpty())
            name = node.monitored() ? node.masterName
                                    : QStringLiteral("%1:%2").arg(node.host).arg(node.port);
        node.name = name;
        for (const RedisNode &other : nodes)
            if (other.name == node.name)
                return configError(
                    QStringLiteral("redis-nodes: shard name '%1' is used twice").arg(node.name));
        nodes.append(node);
    }
    return nodes;
}

QString Config::dataDir() const
{
    const QString dir = value(QStringLiteral("data-dir")).toString();
    if (!dir.isEmpty())
        return dir;
    return QStandardPaths::writableLocation(QStandardPaths::GenericDataLocation) +
           QStringLiteral("/tally");
}

QList<Config::RedisNode> Config::redisNodes() const
{
    const Outcome<QList<RedisNode>> nodes =
        parseRedisNodes(value(QStringLiteral("redis-nodes")).toString());
    return nodes ? nodes.value() : QList<RedisNode>{};
}

int Config::secondsToMs(const QString &name) const
{
    return int(std::lround(value(name).toDouble() * 1000.0));
}

int Config::batchIntervalMs() const
{
    return secondsToMs(QStringLiteral("batch-interval"));
}

int Config::cacheTtlMs() const
{
    return secondsToMs(QStringLiteral("cache-ttl"));
}

QString Config::describe() const
{
    QString text;
    for (const SettingSpec &spec : SettingSpec::table()) {
        QString shown = value(spec.name).toString();
        if (spec.name == u"data-dir" && shown.isEmpty())
            shown = dataDir();
        text += spec.describe(shown, source(spec.name));
    }
    return text;
}
