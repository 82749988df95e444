#pragma once

#include "core/histogram.h"

#include <QByteArray>
#include <QList>
#include <QString>
#include <utility>

// Builds a Prometheus text exposition (format 0.0.4): one HELP and TYPE line per
// family, then its samples. Label values are escaped as the format requires, so any
// text (a shard name, say) is safe to use as one.
class MetricsWriter {
public:
    using Labels = QList<std::pair<QByteArray, QString>>;

    void family(const char *name, const char *type, const char *help);
    void sample(const char *name, double value, const Labels &labels = {});
    // A whole histogram family member: _bucket{le=...} cumulative up to +Inf, _sum,
    // _count. Observations are divided by `divisor` (1e9 turns nanoseconds into seconds).
    void histogram(const char *name, const Histogram::Snapshot &snapshot, double divisor,
                   const Labels &labels = {});
    // A family of one sample.
    void single(const char *name, const char *type, const char *help, double value);

    QByteArray text() const { return m_out; }

    static QByteArray escapeLabelValue(const QString &value);
    static QByteArray formatValue(double value);

private:
    void writeLabels(const Labels &labels, const QByteArray &extra = {});

    QByteArray m_out;
};
