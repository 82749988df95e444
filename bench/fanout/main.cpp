// tally_fanout: how fast do live results reach many WebSocket subscribers?
//
// Opens S subscribers to one poll (in batches: each batch waits for its initial
// snapshots before the next starts), then casts R votes per second for D seconds over
// REST (or over one WebSocket of its own) and stamps each vote with its send time.
// When a subscriber receives a snapshot with total t, the delivery latency is
// now - sendTime(vote number t): the time from the vote that brought the count to t to
// that count arriving. A second figure follows every vote: for each subscriber, the time
// from sending vote n to the first snapshot with a total of n or more. Reports p50, p90,
// p99 and max of both, snapshots per second delivered, connection failures, and whether
// every subscriber ends at the final count.
//
// Threads: votes are sent from a thread of their own (so a busy subscriber loop cannot
// delay them), subscribers are spread over --threads threads. On a small machine the
// tool and the server compete for the same cores; the figures include that.
// Each subscriber needs a file descriptor: the tool raises its soft RLIMIT_NOFILE to the
// hard limit (see `ulimit -Hn`); the server needs as many (`ulimit -n` before starting it).
#include "histogram.h"
#include "settings.h"
#include "shared.h"
#include "subscribergroup.h"
#include "votesender.h"

#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QFile>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QThread>
#include <QTimer>

#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <memory>
#include <vector>

namespace {

double percentile(const std::vector<double> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    return sorted[std::min(sorted.size() - 1, size_t(p / 100.0 * double(sorted.size())))];
}

// User + system CPU seconds of process `pid` so far (0 when pid is 0 or unreadable).
double cpuSeconds(qint64 pid)
{
    if (pid <= 0)
        return 0;
    QFile stat(QStringLiteral("/proc/%1/stat").arg(pid));
    if (!stat.open(QIODevice::ReadOnly))
        return 0;
    // Fields 14 and 15, counted after the command name's closing parenthesis.
    const QByteArray line = stat.readAll();
    const QList<QByteArray> fields = line.mid(line.lastIndexOf(')') + 2).split(' ');
    if (fields.size() < 13)
        return 0;
    return double(fields.at(11).toLongLong() + fields.at(12).toLongLong()) /
           double(sysconf(_SC_CLK_TCK));
}

rlim_t raiseFileLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur;
}

// Runs `call` on `object`'s thread and waits for it.
template <typename Object, typename Call> void onThreadOf(Object *object, Call call)
{
    QMetaObject::invokeMethod(
        object, [object, call] { call(object); }, Qt::BlockingQueuedConnection);
}

// The main thread has no sockets of its own: waiting is polling shared counters.
bool waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer elapsed;
    elapsed.start();
    while (!done()) {
        if (elapsed.elapsed() >= timeoutMs)
            return false;
        QThread::msleep(5);
    }
    return true;
}

bool createPoll(const Settings &settings)
{
    QJsonArray options;
    for (int i = 0; i < settings.options; ++i)
        options.append(QStringLiteral("Option %1").arg(i + 1));
    QNetworkAccessManager http;
    QNetworkReply *reply =
        http.post(jsonRequest(settings, QStringLiteral("/api/v1/polls")),
                  compact({{QStringLiteral("id"), settings.pollId},
                           {QStringLiteral("question"), QStringLiteral("Fan-out benchmark")},
                           {QStringLiteral("theme"), QStringLiteral("bench")},
                           {QStringLiteral("options"), options}})
                      .toUtf8());
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(10000, &loop, &QEventLoop::quit);
    loop.exec();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray answer = reply->readAll();
    delete reply;
    if (status != 201) {
        std::fprintf(stderr, "tally_fanout: creating poll %s answered %d: %s\n",
                     qPrintable(settings.pollId), status, answer.left(300).constData());
        return false;
    }
    return true;
}

int run(const Settings &settings)
{
    if (!createPoll(settings))
        return 1;
    const qint64 target = qint64(settings.rate) * settings.durationS;
    Shared shared(target);

    std::vector<std::unique_ptr<QThread>> threads;
    auto startThread = [&threads](QObject *object) {
        threads.push_back(std::make_unique<QThread>());
        object->moveToThread(threads.back().get());
        threads.back()->start();
    };
    std::vector<std::unique_ptr<SubscriberGroup>> groups;
    for (int t = 0; t < settings.threads; ++t) {
        groups.push_back(std::make_unique<SubscriberGroup>(settings, shared));
        startThread(groups.back().get());
    }
    VoteSender sender(settings, shared);
    startThread(&sender);

    // Subscribers, a batch at a time, spread over the groups.
    auto settled = [&] {
        int count = 0;
        for (const auto &group : groups)
            count += group->ready.load() + group->failed.load();
        return count;
    };
    QElapsedTimer connecting;
    connecting.start();
    for (int first = 0; first < settings.subscribers; first += settings.batch) {
        const int count = std::min(settings.batch, settings.subscribers - first);
        for (int t = 0; t < settings.threads; ++t) {
            const int share = count / settings.threads + (t < count % settings.threads ? 1 : 0);
            onThreadOf(groups[size_t(t)].get(), [share](SubscriberGroup *g) { g->open(share); });
        }
        if (!waitUntil([&] { return settled() >= first + count; }, settings.connectTimeoutMs))
            for (auto &group : groups)
                onThreadOf(group.get(), [](SubscriberGroup *g) { g->abandonPending(); });
    }
    int ready = 0, failures = 0;
    for (const auto &group : groups) {
        ready += group->ready.load();
        failures += group->failed.load();
    }
    std::printf(
        "subscribers: %d ready, %d failed to connect, in %lld ms (batches of %d, %d thread%s)\n",
        ready, failures, connecting.elapsed(), settings.batch, settings.threads,
        settings.threads == 1 ? "" : "s");
    std::fflush(stdout);

    bool prepared = false;
    onThreadOf(&sender, [&prepared](VoteSender *s) { prepared = s->prepare(); });
    if (!prepared) {
        std::fprintf(stderr, "tally_fanout: the voting WebSocket did not connect\n");
        return 1;
    }

    // Votes, then every answer, then every subscriber at the final count.
    QElapsedTimer phase;
    phase.start();
    const double serverCpuBefore = cpuSeconds(settings.serverPid);
    onThreadOf(&sender, [](VoteSender *s) { s->start(); });
    waitUntil([&] { return shared.sent.load() >= target; }, settings.durationS * 1000 + 5000);
    const qint64 sendMs = phase.elapsed();
    waitUntil([&] { return shared.answered.load() >= shared.sent.load(); }, 30000);
    const qint64 answerMs = phase.elapsed();
    const qint64 finalTotal = shared.accepted.load();
    auto behind = [&] {
        int count = 0;
        for (auto &group : groups)
            onThreadOf(group.get(), [&count, finalTotal](SubscriberGroup *g) {
                count += g->behind(finalTotal);
            });
        return count;
    };
    QElapsedTimer drain;
    drain.start();
    waitUntil([&] { return behind() == 0; }, settings.drainMs);
    const qint64 drainMs = drain.elapsed();
    const double windowS = double(phase.elapsed()) / 1000.0;
    const double serverCpuMs = (cpuSeconds(settings.serverPid) - serverCpuBefore) * 1000.0;
    const int stillBehind = behind();

    onThreadOf(&sender, [](VoteSender *s) { s->stop(); });
    std::vector<double> latencies;
    Histogram everyVote;
    qint64 delivered = 0, stale = 0, backwards = 0, seqErrors = 0, badCounts = 0, frames = 0;
    int dropped = 0;
    ready = 0;
    for (auto &group : groups) {
        onThreadOf(group.get(), [](SubscriberGroup *g) { g->closeAll(); });
        latencies.insert(latencies.end(), group->m_latencyMs.begin(), group->m_latencyMs.end());
        everyVote.merge(group->m_everyVote);
        delivered += group->delivered;
        stale += group->stale;
        backwards += group->backwards;
        seqErrors += group->seqErrors;
        badCounts += group->badCounts;
        frames += group->frames;
        dropped += group->dropped.load();
        ready += group->ready.load();
    }
    const int live = ready - dropped;
    const int converged = live - stillBehind;
    std::sort(latencies.begin(), latencies.end());
    const double p50 = percentile(latencies, 50), p90 = percentile(latencies, 90),
                 p99 = percentile(latencies, 99), max = latencies.empty() ? 0 : latencies.back();
    const double perSecond = double(delivered) / windowS;
    std::printf("votes: %lld sent in %lld ms (%s), %lld accepted, %lld refused, last answer after "
                "%lld ms\n",
                shared.sent.load(), sendMs, settings.voteOverWebSocket ? "WebSocket" : "REST",
                shared.accepted.load(), shared.rejected.load(), answerMs);
    std::printf(
        "snapshots delivered: %lld (%.0f/s over %.1f s, %.1f per subscriber); %lld repeated the "
        "last total, %lld went backwards, %lld did not raise seq, %lld had counts not adding up "
        "to their total (%lld frames in all)\n",
        delivered, perSecond, windowS, live > 0 ? double(delivered) / live : 0.0, stale, backwards,
        seqErrors, badCounts, frames);
    std::printf("latency vote -> snapshot with its total: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, "
                "max %.1f ms "
                "(%zu samples)\n",
                p50, p90, p99, max, latencies.size());
    std::printf("latency vote -> first snapshot showing it, every vote and subscriber: p50 %.1f "
                "ms, p90 %.1f ms, "
                "p99 %.1f ms, max %.1f ms (%llu samples)\n",
                everyVote.percentile(50), everyVote.percentile(90), everyVote.percentile(99),
                everyVote.max(), static_cast<unsigned long long>(everyVote.samples()));
    if (settings.serverPid > 0)
        std::printf("server CPU while votes flowed: %.0f ms (%.1f us per snapshot delivered)\n",
                    serverCpuMs, delivered > 0 ? serverCpuMs * 1000.0 / double(delivered) : 0.0);
    std::printf(
        "converged: %d of %d live subscribers show all %lld votes (%lld ms after the last answer); "
        "%d dropped during the run\n",
        converged, live, finalTotal, drainMs, dropped);
    std::printf(
        "RESULT subscribers=%d ready=%d connect_failures=%d dropped=%d votes=%lld accepted=%lld "
        "p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f msgs_per_s=%.0f converged=%d "
        "vote_p50_ms=%.1f vote_p99_ms=%.1f repeated=%lld backwards=%lld seq_errors=%lld "
        "bad_counts=%lld server_us_per_snapshot=%.1f\n",
        settings.subscribers, live, failures, dropped, shared.sent.load(), shared.accepted.load(),
        p50, p90, p99, max, perSecond, converged, everyVote.percentile(50),
        everyVote.percentile(99), stale, backwards, seqErrors, badCounts,
        delivered > 0 ? serverCpuMs * 1000.0 / double(delivered) : 0.0);
    std::fflush(stdout);

    for (auto &thread : threads) {
        thread->quit();
        thread->wait();
    }
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    // Qt's default (GLib) event dispatcher registers and unregisters socket notifiers
    // in linear lists: with thousands of sockets per thread that dominates the profile.
    // The plain UNIX dispatcher does not; it must be chosen before the application object.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("tally_fanout"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Live fan-out benchmark: S WebSocket subscribers on one poll, R votes/s for D seconds; "
        "reports vote-to-snapshot latency. Raise `ulimit -n` for large S (the tool raises its soft "
        "limit to the hard one)."));
    parser.addHelpOption();
    const QCommandLineOption url({QStringLiteral("u"), QStringLiteral("url")},
                                 QStringLiteral("Server base URL."), QStringLiteral("url"),
                                 QStringLiteral("http://127.0.0.1:8000"));
    const QCommandLineOption subscribers({QStringLiteral("s"), QStringLiteral("subscribers")},
                                         QStringLiteral("WebSocket subscribers."),
                                         QStringLiteral("n"), QStringLiteral("1000"));
    const QCommandLineOption rate({QStringLiteral("r"), QStringLiteral("rate")},
                                  QStringLiteral("Votes per second."), QStringLiteral("n"),
                                  QStringLiteral("200"));
    const QCommandLineOption duration({QStringLiteral("d"), QStringLiteral("duration")},
                                      QStringLiteral("Seconds of voting."), QStringLiteral("s"),
                                      QStringLiteral("10"));
    const QCommandLineOption batch(QStringLiteral("batch"),
                                   QStringLiteral("Subscribers connected at a time."),
                                   QStringLiteral("n"), QStringLiteral("250"));
    const QCommandLineOption threads(QStringLiteral("threads"),
                                     QStringLiteral("Threads for the subscribers."),
                                     QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption drain(
        QStringLiteral("drain"),
        QStringLiteral("Seconds to wait for every subscriber to show the final count."),
        QStringLiteral("s"), QStringLiteral("10"));
    const QCommandLineOption voteWs(
        QStringLiteral("vote-ws"),
        QStringLiteral("Vote over a WebSocket of its own instead of REST."));
    const QCommandLineOption poll(QStringLiteral("poll"),
                                  QStringLiteral("Poll id to create (default: fanout-<pid>)."),
                                  QStringLiteral("id"));
    const QCommandLineOption options(QStringLiteral("options"),
                                     QStringLiteral("Options of the poll (2-10)."),
                                     QStringLiteral("n"), QStringLiteral("4"));
    const QCommandLineOption serverPid(
        QStringLiteral("server-pid"),
        QStringLiteral("The server's process id: report its CPU time per snapshot delivered."),
        QStringLiteral("pid"));
    const QCommandLineOption token(QStringLiteral("token"),
                                   QStringLiteral("Admin token, to create the poll."),
                                   QStringLiteral("token"));
    parser.addOptions({url, subscribers, rate, duration, batch, threads, drain, voteWs, poll,
                       options, token, serverPid});
    parser.process(app);

    Settings settings;
    settings.url = QUrl(parser.value(url));
    settings.subscribers = std::max(1, parser.value(subscribers).toInt());
    settings.rate = std::max(1, parser.value(rate).toInt());
    settings.durationS = std::max(1, parser.value(duration).toInt());
    settings.batch = std::max(1, parser.value(batch).toInt());
    settings.threads = std::clamp(parser.value(threads).toInt(), 1, 64);
    settings.drainMs = std::max(0, parser.value(drain).toInt()) * 1000;
    settings.voteOverWebSocket = parser.isSet(voteWs);
    settings.pollId = parser.isSet(poll)
                          ? parser.value(poll)
                          : QStringLiteral("fanout-%1").arg(QCoreApplication::applicationPid());
    settings.options = std::clamp(parser.value(options).toInt(), 2, 10);
    settings.token = parser.value(token).toUtf8();
    settings.serverPid = parser.value(serverPid).toLongLong();
    if (!settings.url.isValid() || settings.url.port() <= 0) {
        std::fprintf(stderr, "tally_fanout: give --url http://host:port\n");
        return 2;
    }

    const rlim_t files = raiseFileLimit();
    std::printf(
        "tally_fanout: %d subscribers, %d votes/s for %d s over %s against %s (file limit %llu)\n",
        settings.subscribers, settings.rate, settings.durationS,
        settings.voteOverWebSocket ? "WebSocket" : "REST", qPrintable(settings.url.toString()),
        static_cast<unsigned long long>(files));
    if (files != RLIM_INFINITY && rlim_t(settings.subscribers) + 64 > files)
        std::fprintf(
            stderr,
            "tally_fanout: warning: %d subscribers need more descriptors than the limit %llu; "
            "raise it with `ulimit -n` (hard limit: `ulimit -Hn`)\n",
            settings.subscribers, static_cast<unsigned long long>(files));
    std::fflush(stdout);
    return run(settings);
}
