// End-to-end tests of /metrics: a live scrape of the real binary passes
// `promtool check metrics` without a single complaint, and the counters, histograms
// and process metrics hold the exact values the requests made produce.
#include "httpclient.h"
#include "tallyprocess.h"
#include "testkit.h"

#include <QDateTime>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QProcess>
#include <QRegularExpression>
#include <QSet>
#include <QStandardPaths>
#include <QTemporaryDir>
#include <QTest>

using TestKit::voteBody;

namespace {

// The value of the one sample whose line starts with `series` (name and labels
// exactly as exposed), or NaN when there is none.
double sampleValue(const QByteArray &text, const QByteArray &series)
{
    double value = qQNaN();
    int found = 0;
    for (const QByteArray &line : text.split('\n')) {
        if (line.startsWith(series + ' ')) {
            value = line.mid(series.size() + 1).toDouble();
            ++found;
        }
    }
    return found == 1 ? value : qQNaN();
}

} // namespace

class TestE2eMetrics : public QObject {
    Q_OBJECT
private slots:
    void initTestCase();
    void scrapePassesPromtoolWithExactCounts();
    void dashboardAndAlertsQueryExposedMetrics();

private:
    QString m_promtool;
};

void TestE2eMetrics::initTestCase()
{
    m_promtool = QStandardPaths::findExecutable(QStringLiteral("promtool"));
    QVERIFY2(!m_promtool.isEmpty(),
             "promtool not found: install the Debian package 'prometheus' (packaging/deps.sh)");
}

void TestE2eMetrics::scrapePassesPromtoolWithExactCounts()
{
    // One admin call per client per 100 s, also from loopback, to see one 429 counted;
    // the clients are told apart by X-Forwarded-For (loopback is a trusted proxy).
    TallyProcess server(
        {QStringLiteral("--workers"), QStringLiteral("2"), QStringLiteral("--batch-interval"),
         QStringLiteral("0.05"), QStringLiteral("--rate-limit-loopback"),
         QStringLiteral("--rate-admin"), QStringLiteral("0.01"), QStringLiteral("--rate-votes"),
         QStringLiteral("1000"), QStringLiteral("--rate-reads"), QStringLiteral("1000"),
         QStringLiteral("--admin-token"), QStringLiteral("metrics-token")});
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient client(server.url());

    const QJsonObject poll{
        {QStringLiteral("id"), QStringLiteral("m1")},
        {QStringLiteral("question"), QStringLiteral("Which?")},
        {QStringLiteral("options"), QJsonArray{QStringLiteral("x"), QStringLiteral("y")}}};
    // Forwarded requests are not local: administration needs the token.
    const HttpHeaders first{{"X-Forwarded-For", "192.0.2.1"},
                            {"Authorization", "Bearer metrics-token"}};
    const HttpHeaders second{{"X-Forwarded-For", "192.0.2.2"},
                             {"Authorization", "Bearer metrics-token"}};
    VERIFY_STATUS(client.postJson(QStringLiteral("/api/v1/polls"), poll, first), 201);
    for (const QString &option : {QStringLiteral("A"), QStringLiteral("B"), QStringLiteral("A")})
        VERIFY_STATUS(client.post(QStringLiteral("/api/v1/vote/m1"), voteBody(option)), 202);
    VERIFY_STATUS(client.post(QStringLiteral("/api/v1/vote/m1"), voteBody(QStringLiteral("Z"))),
                  422);
    VERIFY_STATUS(client.post(QStringLiteral("/api/v1/vote/nope"), voteBody(QStringLiteral("A"))),
                  404);
    VERIFY_STATUS(client.post(QStringLiteral("/api/v1/polls/m1/close"), {}, second), 200);
    VERIFY_STATUS(client.post(QStringLiteral("/api/v1/vote/m1"), voteBody(QStringLiteral("A"))),
                  409);
    VERIFY_STATUS(client.post(QStringLiteral("/api/v1/polls/m1/open"), {}, second), 429);
    VERIFY_STATUS(client.get(QStringLiteral("/api/v1/results/m1")), 200);
    VERIFY_STATUS(client.get(QStringLiteral("/no/such/path")), 404);
    const HttpResponse stats =
        client.waitFor(QStringLiteral("/api/v1/stats"), [](const HttpResponse &r) {
            return r.json.value("votes").toObject().value("flushed").toInt() == 3;
        });
    QCOMPARE(stats.json.value("votes").toObject().value("flushed").toInt(), 3);

    const HttpResponse metrics = client.get(QStringLiteral("/metrics"));
    VERIFY_STATUS(metrics, 200);
    QCOMPARE(metrics.header("Content-Type"), QByteArray("text/plain; version=0.0.4"));
    const QByteArray text = metrics.body;

    QProcess promtool;
    promtool.setProcessChannelMode(QProcess::MergedChannels);
    promtool.start(m_promtool, {QStringLiteral("check"), QStringLiteral("metrics")});
    QVERIFY(promtool.waitForStarted());
    promtool.write(text);
    promtool.closeWriteChannel();
    QVERIFY(promtool.waitForFinished(30000));
    const QByteArray complaints = promtool.readAll().trimmed();
    QVERIFY2(promtool.exitStatus() == QProcess::NormalExit && promtool.exitCode() == 0 &&
                 complaints.isEmpty(),
             qPrintable(QStringLiteral("promtool check metrics: exit %1\n%2\n--- scrape ---\n%3")
                            .arg(promtool.exitCode())
                            .arg(QString::fromUtf8(complaints), QString::fromUtf8(text))));

    const QString diagnostics = QString::fromUtf8(text);
    const auto expect = [&](const QByteArray &series, double expected) {
        const double value = sampleValue(text, series);
        QVERIFY2(value == expected, qPrintable(QStringLiteral("%1 is %2, expected %3 in:\n%4")
                                                   .arg(QString::fromUtf8(series))
                                                   .arg(value)
                                                   .arg(expected)
                                                   .arg(diagnostics)));
    };
    expect("tally_votes_accepted_total", 3);
    expect("tally_votes_flushed_total", 3);
    expect("tally_votes_rejected_total{reason=\"unknown_option\"}", 1);
    expect("tally_votes_rejected_total{reason=\"poll_not_found\"}", 1);
    expect("tally_votes_rejected_total{reason=\"poll_closed\"}", 1);
    expect("tally_votes_rejected_total{reason=\"duplicate_voter\"}", 0);
    expect("tally_votes_rejected_total{reason=\"other\"}", 0);
    expect("tally_rate_limited_requests_total{budget=\"admin\"}", 1);
    expect("tally_rate_limited_requests_total{budget=\"votes\"}", 0);
    expect("tally_polls", 1);
    expect("tally_workers", 2);
    expect("tally_shard_state{shard=\"shard-0\",state=\"up\"}", 1);
    expect("tally_shard_state{shard=\"shard-0\",state=\"open\"}", 0);
    expect("tally_build_info{version=\"" TALLY_VERSION "\",qt=\"" + QByteArray(qVersion()) + "\"}",
           1);
    // Per route template, method and status class.
    const QByteArray vote = "tally_http_request_duration_seconds_count{route=\"/api/v1/vote/"
                            "{poll_id}\",method=\"POST\",";
    expect(vote + "status=\"2xx\"}", 3);
    expect(vote + "status=\"4xx\"}", 3);
    expect("tally_http_request_duration_seconds_bucket{route=\"/api/v1/vote/"
           "{poll_id}\",method=\"POST\","
           "status=\"2xx\",le=\"+Inf\"}",
           3);
    expect("tally_http_request_duration_seconds_count{route=\"/api/v1/"
           "polls\",method=\"POST\",status=\"2xx\"}",
           1);
    expect("tally_http_request_duration_seconds_count{route=\"/api/v1/polls/{id}/"
           "open\",method=\"POST\","
           "status=\"4xx\"}",
           1);
    expect("tally_http_request_duration_seconds_count{route=\"unmatched\",method=\"GET\",status="
           "\"4xx\"}",
           1);
    QVERIFY2(!text.contains("/no/such/path"), "raw paths must not become labels");
    // Every accepted vote passed one journal sync; every flush that moved votes completed.
    QVERIFY(sampleValue(text, "tally_journal_sync_duration_seconds_count") >= 1);
    expect("tally_flush_duration_seconds_count", sampleValue(text, "tally_flushes_total"));
    QVERIFY(sampleValue(text, "tally_flushes_total") >= 1);

    // Process metrics describe this very process.
    QVERIFY(sampleValue(text, "process_open_fds") > 0);
    QVERIFY(sampleValue(text, "process_max_fds") >= sampleValue(text, "process_open_fds"));
    QVERIFY(sampleValue(text, "process_resident_memory_bytes") > 1e6);
    QVERIFY(sampleValue(text, "process_cpu_seconds_total") >= 0);
    const double started = sampleValue(text, "process_start_time_seconds");
    const double now = double(QDateTime::currentSecsSinceEpoch());
    QVERIFY2(started <= now + 1 && started > now - 300,
             qPrintable(QString::number(started, 'f', 2)));

    // The same figures as /api/v1/stats.
    const HttpResponse after = client.get(QStringLiteral("/api/v1/stats"));
    const QJsonObject votes = after.json.value("votes").toObject();
    expect("tally_votes_recovered_total", votes.value("recovered").toDouble());
    expect("tally_cache_entries", after.json.value("cache").toObject().value("entries").toDouble());
    for (const QJsonValue &shard : after.json.value("shards").toArray()) {
        const QByteArray name = shard.toObject().value("name").toString().toUtf8();
        expect("tally_shard_votes{shard=\"" + name + "\"}",
               shard.toObject().value("votes").toDouble());
        expect("tally_shard_polls{shard=\"" + name + "\"}",
               shard.toObject().value("polls").toDouble());
    }
    QCOMPARE(server.stop(), 0);
}

// The example Grafana dashboard and alert rules parse as PromQL and name only metrics
// that a scrape exposes, so they cannot silently drift from the server.
void TestE2eMetrics::dashboardAndAlertsQueryExposedMetrics()
{
    QFile dashboardFile(QStringLiteral(TALLY_SOURCE_DIR "/packaging/grafana/tally-dashboard.json"));
    QVERIFY(dashboardFile.open(QIODevice::ReadOnly));
    QStringList expressions;
    const QJsonArray panels =
        QJsonDocument::fromJson(dashboardFile.readAll()).object().value("panels").toArray();
    for (const QJsonValue &panel : panels)
        for (const QJsonValue &target : panel.toObject().value("targets").toArray())
            expressions.append(target.toObject().value("expr").toString());
    QVERIFY(expressions.size() >= 20);
    QFile alertsFile(QStringLiteral(TALLY_SOURCE_DIR "/packaging/prometheus/tally-alerts.yml"));
    QVERIFY(alertsFile.open(QIODevice::ReadOnly));
    const QString alerts = QString::fromUtf8(alertsFile.readAll());

    // Grafana's variables replaced by what they expand to, as recording rules for promtool.
    QTemporaryDir dir;
    QVERIFY(dir.isValid());
    QFile rules(dir.filePath(QStringLiteral("dashboard-rules.yml")));
    QVERIFY(rules.open(QIODevice::WriteOnly));
    rules.write("groups:\n  - name: dashboard\n    rules:\n");
    for (int i = 0; i < expressions.size(); ++i) {
        QString expression = expressions[i];
        expression.replace(QStringLiteral("$__rate_interval"), QStringLiteral("1m"))
            .replace(QStringLiteral("$instance"), QStringLiteral(".*"));
        rules.write(QStringLiteral("      - record: dashboard:expr%1\n        expr: '%2'\n")
                        .arg(i)
                        .arg(expression.replace(u'\'', QStringLiteral("''")))
                        .toUtf8());
    }
    rules.close();
    for (const QString &file : {rules.fileName(), alertsFile.fileName()}) {
        QProcess promtool;
        promtool.setProcessChannelMode(QProcess::MergedChannels);
        promtool.start(m_promtool, {QStringLiteral("check"), QStringLiteral("rules"), file});
        QVERIFY(promtool.waitForFinished(30000));
        QVERIFY2(promtool.exitCode() == 0, qPrintable(QString::fromUtf8(promtool.readAll())));
    }

    TallyProcess server;
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient client(server.url());
    const QByteArray text = client.get(QStringLiteral("/metrics")).body;
    QCOMPARE(server.stop(), 0);
    QSet<QString> families;
    static const QRegularExpression type(QStringLiteral("^# TYPE (\\S+) "),
                                         QRegularExpression::MultilineOption);
    for (const QRegularExpressionMatch &match : type.globalMatch(QString::fromUtf8(text)))
        families.insert(match.captured(1));
    static const QRegularExpression name(QStringLiteral("\\b((?:tally|process)_[a-z_]+)"));
    for (const QString &source : expressions + QStringList{alerts}) {
        for (const QRegularExpressionMatch &match : name.globalMatch(source)) {
            QString family = match.captured(1);
            for (const char *suffix : {"_bucket", "_count", "_sum"})
                if (!families.contains(family) && family.endsWith(QLatin1String(suffix)))
                    family.chop(int(qstrlen(suffix)));
            QVERIFY2(families.contains(family),
                     qPrintable(match.captured(1) + QStringLiteral(" is not exposed")));
        }
    }
}

QTEST_GUILESS_MAIN(TestE2eMetrics)
#include "tst_e2e_metrics.moc"
