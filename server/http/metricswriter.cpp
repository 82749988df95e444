#include "metricswriter.h"

#include <QLocale>
#include <cmath>

QByteArray MetricsWriter::escapeLabelValue(const QString &value)
{
    QByteArray out;
    const QByteArray utf8 = value.toUtf8();
    out.reserve(utf8.size());
    for (const char c : utf8) {
        if (c == '\\')
            out += "\\\\";
        else if (c == '"')
            out += "\\\"";
        else if (c == '\n')
            out += "\\n";
        else
            out += c;
    }
    return out;
}

QByteArray MetricsWriter::formatValue(double value)
{
    if (std::isnan(value))
        return QByteArrayLiteral("NaN");
    if (std::isinf(value))
        return value > 0 ? QByteArrayLiteral("+Inf") : QByteArrayLiteral("-Inf");
    return QString::number(value, 'g', QLocale::FloatingPointShortest).toLatin1();
}

void MetricsWriter::family(const char *name, const char *type, const char *help)
{
    m_out += QByteArray("# HELP ") + name + ' ' + help + "\n# TYPE " + name + ' ' + type + '\n';
}

void MetricsWriter::writeLabels(const Labels &labels, const QByteArray &extra)
{
    if (labels.isEmpty() && extra.isEmpty())
        return;
    m_out += '{';
    bool first = true;
    for (const auto &[name, value] : labels) {
        if (!first)
            m_out += ',';
        first = false;
        m_out += name + "=\"" + escapeLabelValue(value) + '"';
    }
    if (!extra.isEmpty()) {
        if (!first)
            m_out += ',';
        m_out += extra;
    }
    m_out += '}';
}

void MetricsWriter::sample(const char *name, double value, const Labels &labels)
{
    m_out += name;
    writeLabels(labels);
    m_out += ' ' + formatValue(value) + '\n';
}

void MetricsWriter::single(const char *name, const char *type, const char *help, double value)
{
    family(name, type, help);
    sample(name, value);
}

void MetricsWriter::histogram(const char *name, const Histogram::Snapshot &snapshot, double divisor,
                              const Labels &labels)
{
    const QByteArray base(name);
    for (qsizetype i = 0; i < snapshot.cumulative.size(); ++i) {
        const QByteArray le = i < snapshot.upperBounds.size()
                                  ? formatValue(double(snapshot.upperBounds[i]) / divisor)
                                  : QByteArrayLiteral("+Inf");
        m_out += base + "_bucket";
        writeLabels(labels, "le=\"" + le + '"');
        m_out += ' ' + QByteArray::number(snapshot.cumulative[i]) + '\n';
    }
    m_out += base + "_sum";
    writeLabels(labels);
    m_out += ' ' + formatValue(double(snapshot.sum) / divisor) + '\n';
    m_out += base + "_count";
    writeLabels(labels);
    m_out += ' ' + QByteArray::number(snapshot.count()) + '\n';
}
