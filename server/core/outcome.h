#pragma once

#include "tallyerror.h"

#include <utility>
#include <variant>

// Either a value or a TallyError (a small stand-in for C++23 std::expected).
template <typename T> class Outcome {
public:
    Outcome(T value) : m_state(std::move(value)) {}
    Outcome(TallyError error) : m_state(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(m_state); }
    explicit operator bool() const { return ok(); }
    const T &value() const { return std::get<T>(m_state); }
    T &value() { return std::get<T>(m_state); }
    const TallyError &error() const { return std::get<TallyError>(m_state); }

private:
    std::variant<T, TallyError> m_state;
};
