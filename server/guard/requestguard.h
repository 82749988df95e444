#pragma once

#include "core/ratelimiter.h"
#include "vote/votebudget.h"

#include <QAtomicInteger>
#include <QHostAddress>
#include <QList>
#include <QPair>

class Config;

// Who a request comes from, and whether that client still has budget for it.
// The client is the peer address, or the address a trusted proxy (nginx) reports in
// X-Forwarded-For / X-Real-IP. Separate budgets for votes, reads and admin calls;
// loopback clients are exempt unless --rate-limit-loopback is set. The vote budget is
// spent by the vote service, one token per vote, whatever the transport.
class RequestGuard : public VoteBudget {
public:
    enum class Budget { None, Votes, Reads, Admin };

    explicit RequestGuard(const Config &config);

    static QString normalise(const QHostAddress &address);
    // Whether a client (as clientOf() names it) is a loopback address.
    static bool isLoopback(const QString &client);
    QString clientOf(const QHostAddress &peer, const QByteArray &forwardedFor,
                     const QByteArray &realIp) const;
    // The same, with the peer's name (normalise(peer)) already known: a request without
    // forwarding headers is from its peer, whoever that is.
    QString clientOf(const QHostAddress &peer, const QString &peerName, QByteArrayView forwardedFor,
                     QByteArrayView realIp) const;
    // 0 when allowed; otherwise milliseconds to wait (for Retry-After).
    qint64 check(Budget budget, const QString &client);
    int takeVotes(const QString &client, int votes, qint64 *retryMs) override;
    quint64 limitedCount(Budget budget) const;
    int trackedClients() const;
    void evictIdle();

private:
    bool trusted(const QHostAddress &address) const;
    RateLimiter *limiter(Budget budget);

    QList<QPair<QHostAddress, int>> m_trustedProxies;
    bool m_limitLoopback;
    RateLimiter m_votes;
    RateLimiter m_reads;
    RateLimiter m_admin;
    QAtomicInteger<quint64> m_limited[4] = {0, 0, 0, 0};
};
