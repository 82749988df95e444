#include "metricsreport.h"
#include "core/processmetrics.h"
#include "core/serverstats.h"
#include "metricswriter.h"
#include "stats/statsmodel.h"

#include <QHash>

namespace {

constexpr double NsPerSecond = 1e9;

void writeProcess(MetricsWriter &out)
{
    const ProcessMetrics process = ProcessMetrics::read();
    const auto maybe = [&out](const char *name, const char *type, const char *help, double value) {
        if (value >= 0)
            out.single(name, type, help, value);
    };
    maybe("process_cpu_seconds_total", "counter",
          "Total user and system CPU time spent in seconds.", process.cpuSeconds);
    maybe("process_resident_memory_bytes", "gauge", "Resident memory size in bytes.",
          process.residentBytes);
    maybe("process_virtual_memory_bytes", "gauge", "Virtual memory size in bytes.",
          process.virtualBytes);
    maybe("process_open_fds", "gauge", "Number of open file descriptors.", process.openFds);
    maybe("process_max_fds", "gauge", "Maximum number of open file descriptors.", process.maxFds);
    maybe("process_start_time_seconds", "gauge",
          "Start time of the process since unix epoch in seconds.", process.startTimeSeconds);
    maybe("process_threads", "gauge", "Number of OS threads in the process.", process.threads);
}

void writeRequests(MetricsWriter &out, const RequestMetrics &http)
{
    out.family(
        "tally_http_request_duration_seconds", "histogram",
        "Time from a request's arrival to its answer, by route template, method and status class.");
    for (int i = 0; i < http.seriesCount(); ++i) {
        const RequestMetrics::Series &series = http.series(i);
        for (int statusClass = 0; statusClass < RequestMetrics::StatusClasses; ++statusClass) {
            const Histogram::Snapshot snapshot = series.byClass[size_t(statusClass)]->snapshot();
            if (snapshot.count() == 0)
                continue; // a series appears with its first request
            out.histogram("tally_http_request_duration_seconds", snapshot, NsPerSecond,
                          {{"route", series.route},
                           {"method", series.method},
                           {"status", RequestMetrics::statusClassName(statusClass)}});
        }
    }
}

} // namespace

QByteArray MetricsReport::text(const StatsModel &model)
{
    MetricsWriter out;
    // Families in the order of their first figure; a family's samples stay together.
    const QList<StatsFigure> figures = model.figures();
    QList<const char *> order;
    QHash<QByteArray, QList<const StatsFigure *>> samples;
    for (const StatsFigure &figure : figures) {
        if (!figure.metric)
            continue;
        QList<const StatsFigure *> &family = samples[QByteArray(figure.metric)];
        if (family.isEmpty())
            order << figure.metric;
        family << &figure;
    }
    for (const char *name : std::as_const(order)) {
        const QList<const StatsFigure *> &family = samples[QByteArray(name)];
        out.family(name, family.first()->type, family.first()->help);
        for (const StatsFigure *figure : family)
            out.sample(name, figure->sample, figure->labels);
    }
    writeProcess(out);
    const ServerStats &stats = model.stats();
    out.family("tally_flush_duration_seconds", "histogram",
               "Time from a flush until its last batch is stored.");
    out.histogram("tally_flush_duration_seconds", stats.flushDuration.snapshot(), NsPerSecond);
    out.family("tally_journal_sync_duration_seconds", "histogram",
               "Duration of one journal fdatasync cycle.");
    out.histogram("tally_journal_sync_duration_seconds", stats.journalSyncDuration.snapshot(),
                  NsPerSecond);
    out.family("tally_websocket_send_queue_bytes", "histogram",
               "Bytes a WebSocket client had not received yet when another message was queued.");
    out.histogram("tally_websocket_send_queue_bytes", stats.websocketSendQueue.snapshot(), 1.0);
    writeRequests(out, stats.http);
    return out.text();
}
