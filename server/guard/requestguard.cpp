#include "requestguard.h"
#include "core/config.h"

RequestGuard::RequestGuard(const Config &config)
    : m_limitLoopback(config.rateLimitLoopback()),
      m_votes(config.rateVotes(), config.rateVotes() * 2),
      m_reads(config.rateReads(), config.rateReads() * 2),
      m_admin(config.rateAdmin(), config.rateAdmin() * 2)
{
    // Config::validate() refuses a list with a malformed entry; one set directly is read
    // entry by entry, skipping what does not parse.
    const QStringList entries = config.trustedProxies().split(u',', Qt::SkipEmptyParts);
    for (const QString &entry : entries) {
        const Outcome<QList<QPair<QHostAddress, int>>> subnet = Config::parseTrustedProxies(entry);
        if (subnet)
            m_trustedProxies += subnet.value();
    }
}

QString RequestGuard::normalise(const QHostAddress &address)
{
    bool mapped = false;
    const quint32 ipv4 = address.toIPv4Address(&mapped);
    if (mapped)
        return QHostAddress(ipv4).toString();
    return address.toString();
}

bool RequestGuard::trusted(const QHostAddress &address) const
{
    bool mapped = false;
    const quint32 ipv4 = address.toIPv4Address(&mapped);
    const QHostAddress plain = mapped ? QHostAddress(ipv4) : address;
    for (const auto &subnet : m_trustedProxies)
        if (plain.isInSubnet(subnet))
            return true;
    return false;
}

bool RequestGuard::isLoopback(const QString &client)
{
    // normalise() writes 127.0.0.0/8 as a dotted quad (mapped IPv6 included) and the
    // IPv6 loopback as "::1", so the name tells without parsing it again.
    return client.startsWith(u"127.") || client == u"::1";
}

QString RequestGuard::clientOf(const QHostAddress &peer, const QByteArray &forwardedFor,
                               const QByteArray &realIp) const
{
    return clientOf(peer, normalise(peer), forwardedFor, realIp);
}

QString RequestGuard::clientOf(const QHostAddress &peer, const QString &peerName,
                               QByteArrayView forwardedFor, QByteArrayView realIp) const
{
    if ((forwardedFor.isEmpty() && realIp.isEmpty()) || !trusted(peer))
        return peerName;
    // The right-most address not added by a trusted proxy is the client.
    const QList<QByteArray> hops = forwardedFor.toByteArray().split(',');
    for (auto it = hops.crbegin(); it != hops.crend(); ++it) {
        const QHostAddress hop(QString::fromLatin1(it->trimmed()));
        if (hop.isNull())
            break;
        if (!trusted(hop))
            return normalise(hop);
    }
    const QHostAddress real(QString::fromLatin1(realIp.trimmed()));
    if (!real.isNull())
        return normalise(real);
    return peerName;
}

RateLimiter *RequestGuard::limiter(Budget budget)
{
    switch (budget) {
    case Budget::Votes:
        return &m_votes;
    case Budget::Reads:
        return &m_reads;
    case Budget::Admin:
        return &m_admin;
    case Budget::None:
        break;
    }
    return nullptr;
}

qint64 RequestGuard::check(Budget budget, const QString &client)
{
    RateLimiter *bucket = limiter(budget);
    if (!bucket || !bucket->enabled())
        return 0;
    if (!m_limitLoopback && isLoopback(client))
        return 0;
    const qint64 wait = bucket->acquire(client);
    if (wait > 0)
        m_limited[int(budget)].fetchAndAddRelaxed(1);
    return wait;
}

int RequestGuard::takeVotes(const QString &client, int votes, qint64 *retryMs)
{
    *retryMs = 0;
    if (!m_votes.enabled() || (!m_limitLoopback && isLoopback(client)))
        return votes;
    const int taken = m_votes.acquireUpTo(client, votes, retryMs);
    if (taken < votes)
        m_limited[int(Budget::Votes)].fetchAndAddRelaxed(quint64(votes - taken));
    return taken;
}

quint64 RequestGuard::limitedCount(Budget budget) const
{
    return m_limited[int(budget)].loadRelaxed();
}

int RequestGuard::trackedClients() const
{
    return m_votes.size() + m_reads.size() + m_admin.size();
}

void RequestGuard::evictIdle()
{
    m_votes.evictIdle();
    m_reads.evictIdle();
    m_admin.evictIdle();
}
