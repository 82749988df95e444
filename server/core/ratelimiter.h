#pragma once

#include <QHash>
#include <QMutex>
#include <QString>
#include <functional>
#include <memory>
#include <vector>

// Token buckets per client key, shared by every worker so a client cannot multiply
// its budget by opening connections to several of them. Keys are spread over
// independently locked stripes to keep contention low. A bucket that has refilled
// completely carries no information and is dropped by evictIdle(); when a stripe
// reaches its share of `maxClients`, its least recently seen quarter goes, so memory
// stays bounded whatever the number of distinct clients.
class RateLimiter {
public:
    using Clock = std::function<qint64()>; // milliseconds, monotonic

    // `perSecond` <= 0 disables the limiter (everything allowed).
    RateLimiter(double perSecond, double burst, int maxClients = 200000, Clock clock = {});

    bool enabled() const { return m_rate > 0; }
    // 0 when a token was taken; otherwise milliseconds until one is available.
    qint64 acquire(const QString &client);
    // Takes up to `wanted` tokens at once and returns how many it took; when fewer,
    // `*waitMs` is the time until the next token.
    int acquireUpTo(const QString &client, int wanted, qint64 *waitMs);
    int evictIdle();
    int size() const;

private:
    struct Bucket {
        double tokens;
        qint64 updatedAt;
    };
    struct Stripe {
        mutable QMutex mutex;
        QHash<QString, Bucket> buckets;
    };
    void refill(Bucket &bucket, qint64 now) const;
    static void makeRoom(Stripe &stripe);

    double m_rate;
    double m_burst;
    int m_maxPerStripe;
    Clock m_clock;
    std::vector<std::unique_ptr<Stripe>> m_stripes;
};
