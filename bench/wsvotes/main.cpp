// tally_wsvotes: casts N votes over one WebSocket connection without waiting for each
// acknowledgement (at most --window unacknowledged at a time), spread over polls 1..P and
// options A-D, and prints the rate at which acknowledgements came back. Errors are
// counted, never retried. The last line is machine-readable for bench/run.sh:
//   RESULT votes_per_s=<n> acked=<n> errors=<n> seconds=<s>
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QTimer>
#include <QUrl>
#include <QWebSocket>

#include <cstdio>
#include <utility>

namespace {

struct Run {
    QWebSocket socket;
    QElapsedTimer clock;
    qint64 total = 0;
    qint64 window = 0;
    int polls = 1000;
    qint64 sent = 0;
    qint64 acked = 0;
    qint64 errors = 0;
    quint32 random = 12345;
    bool finished = false;

    quint32 next()
    {
        random = random * 1103515245u + 12345u;
        return random >> 8;
    }

    void fill()
    {
        static const char options[] = "ABCD";
        while (sent < total && sent - acked - errors < window) {
            const QString message =
                QStringLiteral(
                    "{\"type\":\"vote\",\"poll_id\":\"%1\",\"option_id\":\"%2\",\"ref\":%3}")
                    .arg(next() % polls + 1)
                    .arg(QLatin1Char(options[next() % 4]))
                    .arg(sent);
            socket.sendTextMessage(message);
            ++sent;
        }
    }

    void received(const QString &message)
    {
        if (message.startsWith(QLatin1String("{\"type\":\"ack\"")) ||
            message.contains(QLatin1String("\"type\":\"ack\"")))
            ++acked;
        else if (message.contains(QLatin1String("\"type\":\"error\"")))
            ++errors;
        else
            return; // snapshots and the like
        if (acked + errors == total)
            finish(0);
        else
            fill();
    }

    void finish(int status)
    {
        if (std::exchange(finished, true))
            return;
        const double seconds = clock.isValid() ? clock.nsecsElapsed() / 1e9 : 0.0;
        std::printf("RESULT votes_per_s=%.0f acked=%lld errors=%lld seconds=%.2f\n",
                    seconds > 0 ? double(acked) / seconds : 0.0, static_cast<long long>(acked),
                    static_cast<long long>(errors), seconds);
        std::fflush(stdout);
        QCoreApplication::exit(status);
    }
};

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Pipelined WebSocket votes against a Tally that has polls 1..P with options A-D."));
    parser.addHelpOption();
    const QCommandLineOption url({QStringLiteral("u"), QStringLiteral("url")},
                                 QStringLiteral("Server base URL."), QStringLiteral("url"),
                                 QStringLiteral("http://127.0.0.1:8000"));
    const QCommandLineOption votes(QStringLiteral("votes"), QStringLiteral("Votes to cast."),
                                   QStringLiteral("n"), QStringLiteral("200000"));
    const QCommandLineOption window(QStringLiteral("window"),
                                    QStringLiteral("Unacknowledged votes at most."),
                                    QStringLiteral("n"), QStringLiteral("2000"));
    const QCommandLineOption polls(QStringLiteral("polls"), QStringLiteral("Polls 1..P."),
                                   QStringLiteral("n"), QStringLiteral("1000"));
    const QCommandLineOption timeout(QStringLiteral("timeout"),
                                     QStringLiteral("Seconds before giving up."),
                                     QStringLiteral("s"), QStringLiteral("120"));
    parser.addOptions({url, votes, window, polls, timeout});
    parser.process(app);

    Run run;
    run.total = qMax<qint64>(1, parser.value(votes).toLongLong());
    run.window = qMax<qint64>(1, parser.value(window).toLongLong());
    run.polls = qMax(1, parser.value(polls).toInt());
    QUrl target(parser.value(url));
    target.setScheme(target.scheme() == QLatin1String("https") ? QStringLiteral("wss")
                                                               : QStringLiteral("ws"));
    target.setPath(QStringLiteral("/api/v1/ws"));

    QObject::connect(&run.socket, &QWebSocket::connected, [&run] {
        run.clock.start();
        run.fill();
    });
    QObject::connect(&run.socket, &QWebSocket::textMessageReceived,
                     [&run](const QString &message) { run.received(message); });
    QObject::connect(&run.socket, &QWebSocket::disconnected, [&run] {
        if (run.finished)
            return;
        std::fprintf(stderr, "tally_wsvotes: disconnected: %s\n",
                     qPrintable(run.socket.closeReason()));
        run.finish(1);
    });
    QTimer::singleShot(parser.value(timeout).toInt() * 1000, [&run] {
        std::fprintf(stderr, "tally_wsvotes: timed out\n");
        run.finish(1);
    });
    run.socket.open(target);
    return app.exec();
}
