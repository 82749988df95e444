#include "processmetrics.h"

#include <QByteArray>
#include <QDir>
#include <QFile>
#include <QList>
#include <sys/resource.h>
#include <unistd.h>

namespace {

QByteArray readProcFile(const char *path)
{
    QFile file(QString::fromLatin1(path));
    // /proc files report size 0: read until the end instead of trusting size().
    if (!file.open(QIODevice::ReadOnly | QIODevice::Unbuffered))
        return {};
    return file.readAll();
}

double bootTimeSeconds()
{
    const QByteArray stat = readProcFile("/proc/stat");
    for (const QByteArray &line : stat.split('\n'))
        if (line.startsWith("btime "))
            return line.mid(6).trimmed().toDouble();
    return -1;
}

} // namespace

ProcessMetrics ProcessMetrics::read()
{
    ProcessMetrics metrics;
    const double ticks = double(::sysconf(_SC_CLK_TCK));
    const double pageSize = double(::sysconf(_SC_PAGESIZE));

    // Fields after the command name, which is in parentheses and may hold spaces.
    const QByteArray stat = readProcFile("/proc/self/stat");
    const qsizetype close = stat.lastIndexOf(')');
    if (close > 0 && ticks > 0) {
        const QList<QByteArray> fields = stat.mid(close + 2).split(' ');
        // fields[0] is field 3 (state): utime is field 14, stime 15, num_threads 20,
        // starttime 22, vsize 23, rss 24 (pages).
        const auto field = [&fields](int number) {
            const qsizetype index = number - 3;
            return index < fields.size() ? fields[index].toDouble() : -1.0;
        };
        if (fields.size() > 21) {
            metrics.cpuSeconds = (field(14) + field(15)) / ticks;
            metrics.threads = field(20);
            const double boot = bootTimeSeconds();
            if (boot >= 0)
                metrics.startTimeSeconds = boot + field(22) / ticks;
            metrics.virtualBytes = field(23);
            metrics.residentBytes = field(24) * pageSize;
        }
    }
    const QDir fds(QStringLiteral("/proc/self/fd"));
    if (fds.exists())
        metrics.openFds =
            double(fds.entryList(QDir::AllEntries | QDir::NoDotAndDotDot | QDir::System).size());
    rlimit limit{};
    if (::getrlimit(RLIMIT_NOFILE, &limit) == 0)
        metrics.maxFds = limit.rlim_cur == RLIM_INFINITY ? -1 : double(limit.rlim_cur);
    return metrics;
}
