#include "durablegate.h"

void DurableGate::after(quint64 sequence, std::function<void()> acknowledge)
{
    if (!m_wait || sequence <= m_durable) {
        acknowledge();
        return;
    }
    m_waiting.emplace(sequence, std::move(acknowledge));
}

void DurableGate::reached(quint64 sequence)
{
    m_durable = std::max(m_durable, sequence);
    while (!m_waiting.empty() && m_waiting.begin()->first <= m_durable) {
        auto acknowledge = std::move(m_waiting.begin()->second);
        m_waiting.erase(m_waiting.begin());
        acknowledge();
    }
}
