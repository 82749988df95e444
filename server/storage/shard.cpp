#include "shard.h"

QString Shard::stateName(State state)
{
    switch (state) {
    case State::Connecting:
        return QStringLiteral("connecting");
    case State::Up:
        return QStringLiteral("up");
    case State::Down:
        return QStringLiteral("down");
    case State::Open:
        return QStringLiteral("open");
    case State::HalfOpen:
        return QStringLiteral("half-open");
    }
    return {};
}
