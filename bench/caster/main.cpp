// tally_caster: does the console's vote caster keep up a burst, and does the console stay
// responsive meanwhile?
//
// Runs the operator console's main window (offscreen unless QT_QPA_PLATFORM says
// otherwise) against a running tally, selects a poll and starts a burst of N votes at R
// votes/s from the caster panel, over the chosen transport, as an operator would. When the
// burst ends it prints the votes accepted per second (the burst's own figure: accepted
// votes over the time from its start to its last answer), errors, and the console's
// event-loop delay during the burst as the caster's lag meter measured it (how late a
// 10 ms timer fired: max and average). The console keeps its settings in a test location,
// not the user's.
#include "lagmeter.h"
#include "liveclient.h"
#include "mainwindow.h"
#include "polllistmodel.h"
#include "pollsview.h"
#include "voteburst.h"
#include "votecaster.h"

#include <QApplication>
#include <QComboBox>
#include <QCommandLineParser>
#include <QDeadlineTimer>
#include <QEventLoop>
#include <QLabel>
#include <QPushButton>
#include <QSpinBox>
#include <QStandardPaths>
#include <QTimer>

#include <cstdio>
#include <functional>

namespace {

// Runs the event loop until `done` holds (checked every 5 ms) or the deadline passes.
bool waitFor(const std::function<bool()> &done, int timeoutMs)
{
    QDeadlineTimer deadline(timeoutMs);
    QEventLoop loop;
    QTimer check;
    QObject::connect(&check, &QTimer::timeout, &loop, [&] {
        if (done() || deadline.hasExpired())
            loop.quit();
    });
    check.start(5);
    if (!done())
        loop.exec();
    return done();
}

} // namespace

int main(int argc, char **argv)
{
    if (qEnvironmentVariableIsEmpty("QT_QPA_PLATFORM"))
        qputenv("QT_QPA_PLATFORM", "offscreen");
    QApplication app(argc, argv);
    QStandardPaths::setTestModeEnabled(true);
    QApplication::setOrganizationName(QStringLiteral("TallyBench"));
    QApplication::setApplicationName(QStringLiteral("tally_caster"));

    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "A vote burst from the console's caster against a running tally; prints the accepted "
        "votes per second and the console's event-loop delay during the burst."));
    parser.addHelpOption();
    const QCommandLineOption url({QStringLiteral("u"), QStringLiteral("url")},
                                 QStringLiteral("Server base URL."), QStringLiteral("url"),
                                 QStringLiteral("http://127.0.0.1:8000"));
    const QCommandLineOption poll(QStringLiteral("poll"), QStringLiteral("Poll to vote on."),
                                  QStringLiteral("id"), QStringLiteral("caster"));
    const QCommandLineOption votes(QStringLiteral("votes"), QStringLiteral("Votes in the burst."),
                                   QStringLiteral("n"), QStringLiteral("100000"));
    const QCommandLineOption rate(QStringLiteral("rate"), QStringLiteral("Votes per second."),
                                  QStringLiteral("n"), QStringLiteral("20000"));
    const QCommandLineOption transport(QStringLiteral("transport"),
                                       QStringLiteral("bulk, single or websocket."),
                                       QStringLiteral("name"), QStringLiteral("bulk"));
    const QCommandLineOption timeout(QStringLiteral("timeout"),
                                     QStringLiteral("Seconds to wait for the burst to end."),
                                     QStringLiteral("s"), QStringLiteral("120"));
    parser.addOptions({url, poll, votes, rate, transport, timeout});
    parser.process(app);

    const QString transportName = parser.value(transport);
    const VoteBurst::Transport chosen =
        transportName == u"single"      ? VoteBurst::Transport::RestSingle
        : transportName == u"websocket" ? VoteBurst::Transport::WebSocket
                                        : VoteBurst::Transport::RestBulk;
    const QString pollId = parser.value(poll);

    MainWindow window;
    window.resize(1280, 800);
    window.show();
    window.connectTo(QUrl(parser.value(url)));
    if (!waitFor([&] { return window.liveClient()->isConnected(); }, 15000)) {
        std::fprintf(stderr, "tally_caster: the console did not connect to %s\n",
                     qPrintable(parser.value(url)));
        return 1;
    }
    if (chosen == VoteBurst::Transport::WebSocket &&
        !waitFor([&] { return window.liveClient()->socketLive(); }, 15000)) {
        std::fprintf(stderr, "tally_caster: the console's WebSocket did not come up\n");
        return 1;
    }
    if (!waitFor([&] { return window.pollModel()->rowOf(pollId) >= 0; }, 15000)) {
        std::fprintf(stderr, "tally_caster: no poll %s on the server\n", qPrintable(pollId));
        return 1;
    }
    window.pollsView()->selectPoll(pollId);

    VoteCaster *caster = window.voteCaster();
    caster->countBox()->setValue(parser.value(votes).toInt());
    caster->rateBox()->setValue(parser.value(rate).toInt());
    caster->transportBox()->setCurrentIndex(caster->transportBox()->findData(int(chosen)));
    if (caster->transportBox()->currentData().toInt() != int(chosen)) {
        std::fprintf(stderr, "tally_caster: the caster does not offer transport %s\n",
                     qPrintable(transportName));
        return 1;
    }
    caster->startButton()->click();
    VoteBurst *burst = caster->burst();
    if (!burst->isRunning()) {
        std::fprintf(stderr, "tally_caster: the burst did not start: %s\n",
                     qPrintable(caster->burstLabel()->text()));
        return 1;
    }
    const bool finished =
        waitFor([&] { return !burst->isRunning(); }, parser.value(timeout).toInt() * 1000);
    if (!finished)
        burst->cancel();
    const LagMeter *lag = caster->lagMeter();
    std::printf("%s\n%s\n", qPrintable(caster->burstLabel()->text()),
                qPrintable(caster->lagLabel()->text()));
    std::printf("RESULT transport=%s votes=%d rate=%d accepted=%d errors=%d retried=%d "
                "seconds=%.2f votes_per_s=%.0f lag_max_ms=%.1f lag_avg_ms=%.2f lag_samples=%d "
                "finished=%d\n",
                qPrintable(transportName), burst->plan().count, burst->plan().ratePerSecond,
                burst->accepted(), burst->errors(), burst->retried(),
                double(burst->elapsedMs()) / 1000.0, burst->achievedRate(), lag->maxMs(),
                lag->averageMs(), lag->samples(), finished ? 1 : 0);
    return finished && burst->errors() == 0 ? 0 : 1;
}
