#pragma once

#include <QString>

// What the vote service needs from rate limiting: each client's budget of votes,
// one token per vote, shared by every transport and worker.
class VoteBudget {
public:
    virtual ~VoteBudget() = default;
    // Takes up to `votes` tokens from `client`'s vote budget and returns how many it
    // took. When it took fewer, `*retryMs` says when the next token is due.
    virtual int takeVotes(const QString &client, int votes, qint64 *retryMs) = 0;
};
