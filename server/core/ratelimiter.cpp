#include "ratelimiter.h"

#include <QDeadlineTimer>
#include <algorithm>
#include <cmath>

namespace {
constexpr int StripeCount = 16;
}

RateLimiter::RateLimiter(double perSecond, double burst, int maxClients, Clock clock)
    : m_rate(perSecond), m_burst(std::max(1.0, burst)),
      m_maxPerStripe(std::max(1, maxClients / StripeCount)), m_clock(std::move(clock))
{
    if (!m_clock)
        m_clock = [] { return QDeadlineTimer::current().deadline(); };
    for (int i = 0; i < StripeCount; ++i)
        m_stripes.push_back(std::make_unique<Stripe>());
}

void RateLimiter::refill(Bucket &bucket, qint64 now) const
{
    const double elapsed = double(std::max<qint64>(0, now - bucket.updatedAt)) / 1000.0;
    bucket.tokens = std::min(m_burst, bucket.tokens + elapsed * m_rate);
    bucket.updatedAt = now;
}

qint64 RateLimiter::acquire(const QString &client)
{
    qint64 waitMs = 0;
    return acquireUpTo(client, 1, &waitMs) == 1 ? 0 : waitMs;
}

int RateLimiter::acquireUpTo(const QString &client, int wanted, qint64 *waitMs)
{
    *waitMs = 0;
    if (!enabled() || wanted <= 0)
        return std::max(0, wanted);
    Stripe &stripe = *m_stripes[qHash(client) % StripeCount];
    const qint64 now = m_clock();
    QMutexLocker locker(&stripe.mutex);
    auto it = stripe.buckets.find(client);
    if (it == stripe.buckets.end()) {
        if (stripe.buckets.size() >= m_maxPerStripe)
            makeRoom(stripe);
        it = stripe.buckets.insert(client, Bucket{m_burst, now});
    }
    refill(*it, now);
    const int taken = int(std::min<double>(wanted, std::floor(it->tokens)));
    it->tokens -= taken;
    if (taken < wanted)
        *waitMs = qint64(std::ceil((1.0 - it->tokens) / m_rate * 1000.0));
    return taken;
}

void RateLimiter::makeRoom(Stripe &stripe)
{
    // One pass drops the least recently seen quarter, so a stream of new clients costs
    // O(1) amortised. (Looking for the oldest bucket on every insertion instead costs a
    // scan per new client under the stripe's lock once the stripe is full.)
    std::vector<qint64> seen;
    seen.reserve(size_t(stripe.buckets.size()));
    for (const Bucket &bucket : std::as_const(stripe.buckets))
        seen.push_back(bucket.updatedAt);
    const qsizetype drop = std::max<qsizetype>(1, stripe.buckets.size() / 4);
    std::nth_element(seen.begin(), seen.begin() + (drop - 1), seen.end());
    const qint64 cutoff = seen[size_t(drop - 1)];
    qsizetype dropped = 0;
    stripe.buckets.removeIf([&](QHash<QString, Bucket>::iterator entry) {
        if (dropped >= drop || entry.value().updatedAt > cutoff)
            return false;
        ++dropped;
        return true;
    });
}

int RateLimiter::evictIdle()
{
    const qint64 now = m_clock();
    int evicted = 0;
    for (const auto &stripe : m_stripes) {
        QMutexLocker locker(&stripe->mutex);
        for (auto it = stripe->buckets.begin(); it != stripe->buckets.end();) {
            refill(*it, now);
            if (it->tokens >= m_burst) {
                it = stripe->buckets.erase(it);
                ++evicted;
            } else {
                ++it;
            }
        }
    }
    return evicted;
}

int RateLimiter::size() const
{
    int total = 0;
    for (const auto &stripe : m_stripes) {
        QMutexLocker locker(&stripe->mutex);
        total += int(stripe->buckets.size());
    }
    return total;
}
