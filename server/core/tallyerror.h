#pragma once

#include <QString>

#include <algorithm>

// A domain error: a category the transport maps to a status, a stable machine
// code and a sentence for humans.
struct TallyError {
    enum class Kind {
        Malformed,       // the request cannot be parsed
        Invalid,         // parsed, but a field is wrong
        NotFound,        // unknown poll or route
        Conflict,        // poll closed, duplicate id
        Unavailable,     // storage cannot serve right now
        OutcomeUnknown,  // a write was sent but never answered: it may or may not have taken effect
        Unauthorized,    // credentials missing
        Forbidden,       // credentials wrong
        TooLarge,        // the request body exceeds the limit
        UnsupportedType, // the body is not JSON
        RateLimited      // the client's budget is spent; see retryAfterSeconds
    };
    Kind kind = Kind::Invalid;
    QString code;
    QString message;
    int retryAfterSeconds = 0; // RateLimited: when to try again

    static TallyError malformed(const QString &code, const QString &message)
    {
        return {Kind::Malformed, code, message};
    }
    static TallyError invalid(const QString &code, const QString &message)
    {
        return {Kind::Invalid, code, message};
    }
    static TallyError notFound(const QString &code, const QString &message)
    {
        return {Kind::NotFound, code, message};
    }
    static TallyError conflict(const QString &code, const QString &message)
    {
        return {Kind::Conflict, code, message};
    }
    static TallyError unavailable(const QString &code, const QString &message)
    {
        return {Kind::Unavailable, code, message};
    }
    // Answered like Unavailable; a writer that retries must first find out whether the
    // write took effect.
    static TallyError outcomeUnknown(const QString &message)
    {
        return {Kind::OutcomeUnknown, QStringLiteral("outcome_unknown"), message};
    }
    static TallyError rateLimited(const QString &client, qint64 waitMs)
    {
        const int seconds = int(std::max<qint64>(1, (waitMs + 999) / 1000));
        return {
            Kind::RateLimited, QStringLiteral("rate_limited"),
            QStringLiteral("Too many requests from %1; retry in %2 s.").arg(client).arg(seconds),
            seconds};
    }
    static TallyError pollNotFound(const QString &pollId)
    {
        return notFound(QStringLiteral("poll_not_found"),
                        QStringLiteral("No poll with id '%1' exists.").arg(pollId));
    }
};
