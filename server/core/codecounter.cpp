#include "codecounter.h"

CodeCounter::CodeCounter(QStringList codes)
    : m_codes(std::move(codes)),
      m_counts(std::make_unique<std::atomic<quint64>[]>(size_t(m_codes.size() + 1)))
{
    m_codes.removeAll(Other);
    m_codes.append(Other);
    for (qsizetype i = 0; i < m_codes.size(); ++i)
        m_counts[size_t(i)].store(0, std::memory_order_relaxed);
}

void CodeCounter::count(const QString &code)
{
    qsizetype index = m_codes.indexOf(code);
    if (index < 0)
        index = m_codes.size() - 1;
    m_counts[size_t(index)].fetch_add(1, std::memory_order_relaxed);
}

QList<std::pair<QString, quint64>> CodeCounter::snapshot() const
{
    QList<std::pair<QString, quint64>> counts;
    for (qsizetype i = 0; i < m_codes.size(); ++i)
        counts.append({m_codes[i], m_counts[size_t(i)].load(std::memory_order_relaxed)});
    return counts;
}

quint64 CodeCounter::total() const
{
    quint64 sum = 0;
    for (qsizetype i = 0; i < m_codes.size(); ++i)
        sum += m_counts[size_t(i)].load(std::memory_order_relaxed);
    return sum;
}
