#include "settingspec.h"
#include "protocol/protocol.h"

#include <QThread>

QString SettingSpec::envName() const
{
    return QStringLiteral("TALLY_") + QString(name).replace(u'-', u'_').toUpper();
}

QString SettingSpec::describe(const QString &shown, const QString &source) const
{
    const QString value = sensitive && !shown.isEmpty() ? QStringLiteral("(set)") : shown;
    return QStringLiteral("%1 = %2  [%3]\n").arg(name, -16).arg(value, source);
}

QVariant SettingSpec::parse(const QString &text, QString *error) const
{
    const QString value = text.trimmed();
    switch (type) {
    case Type::Flag: {
        const QString lower = value.toLower();
        if (lower.isEmpty() || lower == u"1" || lower == u"true" || lower == u"yes" ||
            lower == u"on")
            return true;
        if (lower == u"0" || lower == u"false" || lower == u"no" || lower == u"off")
            return false;
        *error = QStringLiteral("%1 must be true or false, not '%2'").arg(name, text);
        return {};
    }
    case Type::Int: {
        bool ok = false;
        const qlonglong number = value.toLongLong(&ok);
        if (!ok || number < min || number > max) {
            *error = QStringLiteral("%1 must be a whole number from %2 to %3, not '%4'")
                         .arg(name)
                         .arg(qlonglong(min))
                         .arg(qlonglong(max))
                         .arg(text);
            return {};
        }
        return number;
    }
    case Type::Seconds: {
        bool ok = false;
        const double number = value.toDouble(&ok);
        if (!ok || number < min || number > max) {
            *error = QStringLiteral("%1 must be a number from %2 to %3, not '%4'")
                         .arg(name)
                         .arg(min)
                         .arg(max)
                         .arg(text);
            return {};
        }
        return number;
    }
    case Type::Choice:
        if (!choices.contains(value)) {
            *error = QStringLiteral("%1 must be one of %2, not '%3'")
                         .arg(name, choices.join(QStringLiteral(", ")), text);
            return {};
        }
        return value;
    case Type::String:
        return value;
    }
    return {};
}

const QList<SettingSpec> &SettingSpec::table()
{
    using T = Type;
    // One setting per entry, laid out by hand: clang-format would give every field a line.
    // clang-format off
    static const QList<SettingSpec> settings = {
        {QStringLiteral("headless"), T::Flag, QStringLiteral("Run the server without the console."),
         false},
        {QStringLiteral("bind"), T::String, QStringLiteral("Address to listen on."),
         QStringLiteral("127.0.0.1"), {}, 0, 0, {}, QStringLiteral("address")},
        {QStringLiteral("port"), T::Int, QStringLiteral("TCP port (0 picks a free one)."), 8000, {},
         0, 65535, {}, QStringLiteral("port")},
        {QStringLiteral("workers"), T::Int, QStringLiteral("HTTP worker threads."),
         std::max(1, QThread::idealThreadCount()), {}, 1, 64, {}, QStringLiteral("n")},
        {QStringLiteral("data-dir"), T::String,
         QStringLiteral("Directory for embedded shards, lock and instance id."), QString(), {}, 0,
         0, {}, QStringLiteral("path")},
        {QStringLiteral("redis-nodes"), T::String,
         QStringLiteral("Comma-separated Redis shards ([name=]redis://host:port, or "
                        "name=sentinel://host:port[,host:port...]/master-name for a "
                        "Sentinel-monitored group); empty uses embedded shards."),
         QString(), {QStringLiteral("REDIS_NODES")}, 0, 0, {}, QStringLiteral("urls")},
        {QStringLiteral("embedded-shards"), T::Int,
         QStringLiteral("Number of embedded shards when no Redis is configured."), 2, {}, 1, 16,
         {}, QStringLiteral("n")},
        {QStringLiteral("virtual-nodes"), T::Int, QStringLiteral("Ring points per shard."), 100,
         {QStringLiteral("VIRTUAL_NODES")}, 1, 10000, {}, QStringLiteral("n")},
        {QStringLiteral("batch-interval"), T::Seconds,
         QStringLiteral("Seconds between flushes of buffered votes."), 1.0,
         {QStringLiteral("BATCH_INTERVAL_SECONDS")}, 0.01, 3600, {}, QStringLiteral("seconds")},
        {QStringLiteral("batch-max-votes"), T::Int,
         QStringLiteral("Flush early once this many votes are buffered."), 50000, {}, 1,
         100000000, {}, QStringLiteral("n")},
        {QStringLiteral("max-pending-votes"), T::Int,
         QStringLiteral("Votes held in memory awaiting storage before new votes get 503."),
         1000000, {}, 1000, 1000000000, {}, QStringLiteral("n")},
        {QStringLiteral("redis-connect-timeout"), T::Int,
         QStringLiteral("Milliseconds to wait for a Redis connection."), 1000, {}, 10, 600000, {},
         QStringLiteral("ms")},
        {QStringLiteral("redis-command-timeout"), T::Int,
         QStringLiteral("Milliseconds to wait for a Redis reply before dropping the connection."),
         2000, {}, 10, 600000, {}, QStringLiteral("ms")},
        {QStringLiteral("redis-min-replicas"), T::Int,
         QStringLiteral("Replicas that must confirm a batch (Redis WAIT) before its journal "
                        "epoch is deleted; 0 does not wait."),
         0, {QStringLiteral("REDIS_MIN_REPLICAS")}, 0, 16, {}, QStringLiteral("n")},
        {QStringLiteral("redis-replica-timeout"), T::Int,
         QStringLiteral("Milliseconds one WAIT for replicas may take (below redis-command-timeout)."),
         500, {}, 10, 600000, {}, QStringLiteral("ms")},
        {QStringLiteral("breaker-failures"), T::Int,
         QStringLiteral("Consecutive failures that open a shard's circuit breaker."), 3, {}, 1, 1000,
         {}, QStringLiteral("n")},
        {QStringLiteral("breaker-reset"), T::Seconds,
         QStringLiteral("Seconds an open breaker waits before probing the shard again."), 5.0, {},
         0.01, 3600, {}, QStringLiteral("seconds")},
        {QStringLiteral("catalog-refresh"), T::Seconds,
         QStringLiteral("Seconds between catalog re-reads from Redis shards (polls made elsewhere)."),
         2.0, {}, 0.05, 3600, {}, QStringLiteral("seconds")},
        {QStringLiteral("instance-lease"), T::Seconds,
         QStringLiteral("Seconds this instance's lease on each Redis shard lasts without renewal; "
                        "a reset waits for instances holding one. Cut off longer, the "
                        "instance refuses votes for that shard's polls until it is back."),
         10.0, {}, 1, 3600, {}, QStringLiteral("seconds")},
        {QStringLiteral("reset-timeout"), T::Seconds,
         QStringLiteral("Seconds a reset waits for every live instance to count anew "
                        "before it fails (503 reset_incomplete)."),
         3.0, {}, 0.1, 600, {}, QStringLiteral("seconds")},
        {QStringLiteral("cache-ttl"), T::Seconds,
         QStringLiteral("Seconds a result read from storage is served from cache."), 5.0, {}, 0,
         3600, {}, QStringLiteral("seconds")},
        {QStringLiteral("cache-entries"), T::Int,
         QStringLiteral("Most polls kept in the result cache."), 10000, {}, 1, 10000000, {},
         QStringLiteral("n")},
        {QStringLiteral("live-interval"), T::Int,
         QStringLiteral("Milliseconds between live result pushes per poll."), 100, {}, 10, 60000,
         {}, QStringLiteral("ms")},
        {QStringLiteral("durability"), T::Choice,
         QStringLiteral("sync: acknowledge a vote once its journal record is on disk; async: "
                        "acknowledge at once and write within ~10 ms."),
         QStringLiteral("sync"), {}, 0, 0, {QStringLiteral("sync"), QStringLiteral("async")},
         QStringLiteral("mode")},
        {QStringLiteral("journal-max-backlog"), T::Int,
         QStringLiteral("async: acknowledged votes not yet on disk before new votes get 503."),
         50000, {}, 1, 100000000, {}, QStringLiteral("n")},
        {QStringLiteral("drain-timeout"), T::Seconds,
         QStringLiteral("Seconds a stopping server waits for storage to take every pending vote."),
         15.0, {}, 0.1, 3600, {}, QStringLiteral("seconds")},
        {QStringLiteral("rate-votes"), T::Seconds,
         QStringLiteral("Votes per second per client (bursts of twice that); 0 = unlimited."), 50.0,
         {}, 0, 1000000, {}, QStringLiteral("n")},
        {QStringLiteral("rate-reads"), T::Seconds,
         QStringLiteral("Reads per second per client (bursts of twice that); 0 = unlimited."), 200.0,
         {}, 0, 1000000, {}, QStringLiteral("n")},
        {QStringLiteral("rate-admin"), T::Seconds,
         QStringLiteral("Admin calls per second per client (bursts of twice that); 0 = unlimited."),
         5.0, {}, 0, 1000000, {}, QStringLiteral("n")},
        {QStringLiteral("rate-limit-loopback"), T::Flag,
         QStringLiteral("Apply the rate limits to loopback clients too (exempt by default)."), false},
        {QStringLiteral("trusted-proxies"), T::String,
         QStringLiteral("Comma-separated proxy addresses/CIDRs whose X-Forwarded-For is believed."),
         QStringLiteral("127.0.0.1,::1"), {}, 0, 0, {}, QStringLiteral("list")},
        {QStringLiteral("admin-token"), T::String,
         QStringLiteral("Bearer token required for poll administration."), QString(), {}, 0, 0,
         {}, QStringLiteral("token"), true},
        {QStringLiteral("admin-token-file"), T::String,
         QStringLiteral("File holding the admin token when --admin-token is not given; created "
                        "with a new random token (mode 0600) when missing."),
         QString(), {}, 0, 0, {}, QStringLiteral("path")},
        {QStringLiteral("instance-id"), T::String,
         QStringLiteral("Stable name of this instance (default: generated and kept in the data "
                        "directory)."),
         QString(), {}, 0, 0, {}, QStringLiteral("id")},
        {QStringLiteral("api-prefix"), T::String, QStringLiteral("Path prefix of the REST API."),
         Protocol::DefaultApiPrefix.toString(), {QStringLiteral("API_PREFIX")}, 0, 0, {},
         QStringLiteral("path")},
        {QStringLiteral("public-url"), T::String,
         QStringLiteral("URL the audience reaches this server at, for join links and QR codes "
                        "(default: the server's own address)."),
         QString(), {}, 0, 0, {}, QStringLiteral("url")},
        {QStringLiteral("max-body"), T::Int, QStringLiteral("Largest accepted request body, bytes."),
         16384, {}, 256, 16777216, {}, QStringLiteral("bytes")},
        {QStringLiteral("max-header"), T::Int, QStringLiteral("Largest accepted request head, bytes."),
         16384, {}, 1024, 1048576, {}, QStringLiteral("bytes")},
        {QStringLiteral("max-connections"), T::Int, QStringLiteral("Open connections allowed in all."),
         10000, {}, 1, 1000000, {}, QStringLiteral("n")},
        {QStringLiteral("max-connections-per-client"), T::Int,
         QStringLiteral("Open connections allowed per client address."), 256, {}, 1, 1000000, {},
         QStringLiteral("n")},
        {QStringLiteral("idle-timeout"), T::Seconds,
         QStringLiteral("Seconds before an idle keep-alive connection is closed."), 30.0, {}, 0.05,
         86400, {}, QStringLiteral("seconds")},
        {QStringLiteral("log-format"), T::Choice,
         QStringLiteral("Log lines on stderr as text or as JSON objects (time, level, component, "
                        "message)."),
         QStringLiteral("text"), {}, 0, 0, {QStringLiteral("text"), QStringLiteral("json")},
         QStringLiteral("format")},
        {QStringLiteral("access-log"), T::Flag,
         QStringLiteral("Log every HTTP request (method, route, status, duration, client)."), false},
        {QStringLiteral("header-timeout"), T::Seconds,
         QStringLiteral("Seconds a client has to send a whole request head (slow clients get 408)."),
         10.0, {}, 0.05, 3600, {}, QStringLiteral("seconds")},
        {QStringLiteral("min-body-rate"), T::Int,
         QStringLiteral("Slowest accepted request body, bytes per second: a body must arrive within "
                        "header-timeout + length / rate seconds after its head; 0 = no limit."),
         1024, {}, 0, 1000000000, {}, QStringLiteral("bytes")},
        {QStringLiteral("ws-idle-timeout"), T::Seconds,
         QStringLiteral("Seconds a WebSocket may stay silent (it is pinged meanwhile) before it is "
                        "closed."),
         75.0, {}, 0.05, 86400, {}, QStringLiteral("seconds")},
    };
    // clang-format on
    return settings;
}

const SettingSpec *SettingSpec::find(const QString &name)
{
    for (const SettingSpec &spec : table())
        if (spec.name == name)
            return &spec;
    return nullptr;
}
