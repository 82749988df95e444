// Histograms, code counters and the Prometheus text writer.
#include "core/codecounter.h"
#include "core/histogram.h"
#include "core/requestmetrics.h"
#include "http/metricswriter.h"

#include <QThread>
#include <QtTest>

class TestMetrics : public QObject {
    Q_OBJECT
private slots:
    void histogramBucketsAreCumulative();
    void histogramMergesThreadSlots();
    void writerEmitsHistogramLines();
    void labelValuesAreEscaped();
    void codeCounterFoldsUnknownCodes();
    void requestSeriesAreRegisteredOnce();
};

void TestMetrics::histogramBucketsAreCumulative()
{
    Histogram histogram({10, 20, 30});
    for (quint64 value : {0, 10, 11, 20, 25, 31, 1000})
        histogram.observe(value);
    const Histogram::Snapshot snapshot = histogram.snapshot();
    // le=10 holds 0 and 10 (a bound is inclusive), le=20 adds 11 and 20, ...
    QCOMPARE(snapshot.cumulative, (QList<quint64>{2, 4, 5, 7}));
    QCOMPARE(snapshot.sum, quint64(0 + 10 + 11 + 20 + 25 + 31 + 1000));
    QCOMPARE(snapshot.count(), quint64(7));
}

void TestMetrics::histogramMergesThreadSlots()
{
    Histogram histogram({100});
    constexpr int Threads = 4;
    constexpr int PerThread = 25000;
    QList<QThread *> threads;
    for (int t = 0; t < Threads; ++t) {
        threads.append(QThread::create([&histogram, t] {
            Histogram::bindThreadSlot(t);
            for (int i = 0; i < PerThread; ++i)
                histogram.observe(quint64(i % 2 == 0 ? 50 : 500));
        }));
        threads.last()->start();
    }
    for (QThread *thread : threads) {
        QVERIFY(thread->wait(30000));
        delete thread;
    }
    const Histogram::Snapshot snapshot = histogram.snapshot();
    QCOMPARE(snapshot.cumulative, (QList<quint64>{Threads * PerThread / 2, Threads * PerThread}));
    QCOMPARE(snapshot.sum, quint64(Threads) * (PerThread / 2) * (50 + 500));
}

void TestMetrics::writerEmitsHistogramLines()
{
    Histogram histogram({1'000'000, 250'000'000}); // 1 ms, 0.25 s in ns
    histogram.observe(500'000);
    histogram.observe(2'000'000'000);
    MetricsWriter out;
    out.family("x_seconds", "histogram", "Help.");
    out.histogram("x_seconds", histogram.snapshot(), 1e9, {{"route", QStringLiteral("/a/{id}")}});
    QCOMPARE(out.text(), QByteArray("# HELP x_seconds Help.\n"
                                    "# TYPE x_seconds histogram\n"
                                    "x_seconds_bucket{route=\"/a/{id}\",le=\"0.001\"} 1\n"
                                    "x_seconds_bucket{route=\"/a/{id}\",le=\"0.25\"} 1\n"
                                    "x_seconds_bucket{route=\"/a/{id}\",le=\"+Inf\"} 2\n"
                                    "x_seconds_sum{route=\"/a/{id}\"} 2.0005\n"
                                    "x_seconds_count{route=\"/a/{id}\"} 2\n"));
}

void TestMetrics::labelValuesAreEscaped()
{
    QCOMPARE(MetricsWriter::escapeLabelValue(QStringLiteral("a\"b\\c\nd")),
             QByteArray("a\\\"b\\\\c\\nd"));
    MetricsWriter out;
    out.sample("m", 3, {{"shard", QStringLiteral("x\"\n")}});
    QCOMPARE(out.text(), QByteArray("m{shard=\"x\\\"\\n\"} 3\n"));
    QCOMPARE(MetricsWriter::formatValue(0.1), QByteArray("0.1"));
    QCOMPARE(MetricsWriter::formatValue(12345678901234.0), QByteArray("12345678901234"));
}

void TestMetrics::codeCounterFoldsUnknownCodes()
{
    CodeCounter counter({QStringLiteral("poll_closed"), QStringLiteral("poll_not_found")});
    counter.count(QStringLiteral("poll_closed"));
    counter.count(QStringLiteral("poll_closed"));
    counter.count(QStringLiteral("something\"new"));
    const QList<std::pair<QString, quint64>> expected = {{QStringLiteral("poll_closed"), 2},
                                                         {QStringLiteral("poll_not_found"), 0},
                                                         {QStringLiteral("other"), 1}};
    QCOMPARE(counter.snapshot(), expected);
    QCOMPARE(counter.total(), quint64(3));
}

void TestMetrics::requestSeriesAreRegisteredOnce()
{
    RequestMetrics metrics;
    const int vote =
        metrics.seriesFor(QStringLiteral("POST"), QStringLiteral("/api/v1/vote/{poll_id}"));
    QCOMPARE(metrics.seriesFor(QStringLiteral("POST"), QStringLiteral("/api/v1/vote/{poll_id}")),
             vote);
    const int read =
        metrics.seriesFor(QStringLiteral("GET"), QStringLiteral("/api/v1/vote/{poll_id}"));
    QVERIFY(read != vote);
    QCOMPARE(metrics.seriesCount(), 2);
    metrics.observe(vote, 202, 1000);
    metrics.observe(vote, 404, 1000);
    metrics.observe(vote, 409, 1000);
    metrics.observe(vote, 503, 1000);
    const RequestMetrics::Series &series = metrics.series(vote);
    QCOMPARE(series.byClass[1]->snapshot().count(), quint64(1)); // 2xx
    QCOMPARE(series.byClass[3]->snapshot().count(), quint64(2)); // 4xx
    QCOMPARE(series.byClass[4]->snapshot().count(), quint64(1)); // 5xx
    QCOMPARE(metrics.series(read).byClass[1]->snapshot().count(), quint64(0));
    metrics.observe(-1, 200, 1); // an unregistered series is ignored
}

QTEST_GUILESS_MAIN(TestMetrics)
#include "tst_metrics.moc"
