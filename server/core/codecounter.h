#pragma once

#include <QList>
#include <QString>
#include <QStringList>
#include <atomic>
#include <memory>

// Counts events by a code from a fixed, known set (an error code, say), so the codes
// can become metric labels without letting a label's values grow without bound:
// a code outside the set is counted as "other". Relaxed atomics; any thread.
class CodeCounter {
public:
    explicit CodeCounter(QStringList codes);

    void count(const QString &code);
    // Every known code (and "other") with its count, in the order given.
    QList<std::pair<QString, quint64>> snapshot() const;
    quint64 total() const;

    static inline const QString Other = QStringLiteral("other");

private:
    QStringList m_codes; // the known codes, then "other"
    std::unique_ptr<std::atomic<quint64>[]> m_counts;
};
