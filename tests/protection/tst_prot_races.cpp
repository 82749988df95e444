// Votes racing poll changes: six clients vote option J of poll "r" as fast as they can
// while an admin loop deletes "r" and re-creates it with 10 and 2 options in turn (2 last). Each
// vote must be judged and counted against one consistent view of the poll: the server
// keeps running, every answer is a clean 202, 404 or 422, and the counts of the final
// poll hold no vote for an option it does not have.
#include "protkit.h"

#include <QElapsedTimer>
#include <QJsonArray>

#include <atomic>
#include <thread>
#include <vector>

using namespace prot;

namespace {

constexpr int Voters = 6;
// Delete/re-create cycles: up to MaxCycles, for at most CyclingMs (a slow machine
// still gets a test of a few seconds; the old defect crashed within the first second).
constexpr int MaxCycles = 1000;
constexpr qint64 CyclingMs = 4000;

struct VoterTally {
    int accepted = 0;
    int notFound = 0;
    int unknownOption = 0;
    QStringList unexpected;
};

// Votes J on "r" over one keep-alive connection (reconnecting when the server closes
// it) until `stop` is set.
void voteUntilStopped(quint16 port, const std::atomic<bool> &stop, VoterTally &tally)
{
    const QByteArray vote = RawSocket::httpRequest("POST", "/api/v1/vote/r", voteBody("J"));
    RawSocket socket;
    while (!stop.load()) {
        if (!socket.isOpen() && !socket.connectTo(port)) {
            tally.unexpected.append(QStringLiteral("connect: %1").arg(socket.errorString()));
            return;
        }
        const RawResponse answer = socket.request(vote, 10000);
        if (answer.status == 202)
            ++tally.accepted;
        else if (answer.status == 404 && answer.errorCode() == u"poll_not_found")
            ++tally.notFound;
        else if (answer.status == 422 && answer.errorCode() == u"unknown_option")
            ++tally.unknownOption;
        else {
            tally.unexpected.append(answer.describe());
            return;
        }
        if (answer.header("Connection").toLower() == "close")
            socket.close();
    }
}

} // namespace

class TestRaces : public QObject {
    Q_OBJECT

private slots:
    void votesRacingDeleteAndRecreate();
};

void TestRaces::votesRacingDeleteAndRecreate()
{
    // Default settings, embedded storage.
    TallyProcess tally;
    PROT_START(tally);
    HttpClient admin(tally.url());
    PROT_STATUS(admin.postJson(Polls, pollBody(QStringLiteral("r"), 10)), 201);

    std::atomic<bool> stop = false;
    std::vector<VoterTally> tallies(Voters);
    std::vector<std::thread> voters;
    for (int i = 0; i < Voters; ++i)
        voters.emplace_back(voteUntilStopped, tally.port(), std::cref(stop),
                            std::ref(tallies[size_t(i)]));

    // Admin calls go over a connection of their own, byte for byte.
    QStringList adminErrors;
    RawSocket adminSocket;
    const auto adminCall = [&](const QByteArray &method, const QByteArray &target,
                               const QByteArray &body, int expected) {
        if (!adminSocket.isOpen() && !adminSocket.connectTo(tally.port())) {
            adminErrors.append(QStringLiteral("connect: %1").arg(adminSocket.errorString()));
            return;
        }
        const RawResponse answer =
            adminSocket.request(RawSocket::httpRequest(method, target, body), 30000);
        if (answer.status != expected)
            adminErrors.append(QString::fromLatin1(method + ' ' + target + ": ") +
                               answer.describe());
    };
    QElapsedTimer cycling;
    cycling.start();
    int cycles = 0;
    for (; cycles < MaxCycles && adminErrors.isEmpty() &&
           (cycles % 2 == 1 || cycling.elapsed() < CyclingMs);
         ++cycles) {
        adminCall("DELETE", "/api/v1/polls/r", {}, 204);
        adminCall("POST", "/api/v1/polls",
                  compact(pollBody(QStringLiteral("r"), cycles % 2 == 0 ? 10 : 2)), 201);
    }
    stop = true;
    for (std::thread &voter : voters)
        voter.join();

    QVERIFY2(tally.isRunning(), qPrintable(tally.diagnostics()));
    QVERIFY2(adminErrors.isEmpty(), qPrintable(adminErrors.join(u'\n')));
    int accepted = 0;
    int refused = 0;
    for (const VoterTally &voter : tallies) {
        QVERIFY2(voter.unexpected.isEmpty(), qPrintable(voter.unexpected.join(u'\n')));
        accepted += voter.accepted;
        refused += voter.notFound + voter.unknownOption;
    }
    qInfo("%d cycles: %d votes accepted, %d refused", cycles, accepted, refused);
    // Both kinds of answer happened, so the votes really raced the changes.
    QVERIFY(accepted > 0);
    QVERIFY(refused > 0);

    // The last poll has two options: J is not one of them, before or after a flush.
    const HttpResponse poll = admin.get(Polls + QStringLiteral("/r"));
    PROT_STATUS(poll, 200);
    QCOMPARE(poll.json.value("options").toArray().size(), 2);
    const HttpResponse vote = admin.post(Vote + QStringLiteral("r"), voteBody("J"));
    PROT_STATUS(vote, 422);
    QCOMPARE(vote.errorCode(), QStringLiteral("unknown_option"));
    const HttpResponse results = admin.get(Results + QStringLiteral("r"));
    PROT_STATUS(results, 200);
    QCOMPARE(results.json.value("results").toObject().keys(), (QStringList{"A", "B"}));
    QCOMPARE(total(results.json), 0);
    QCOMPARE(tally.stop(), 0);
}

QTEST_GUILESS_MAIN(TestRaces)
#include "tst_prot_races.moc"
