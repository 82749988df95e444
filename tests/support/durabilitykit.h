#pragma once

// Helpers shared by the durability tests: a client that keeps many vote requests in
// flight and books every answer (or the lack of one), and readers of what the server
// counted.
#include "httpclient.h"
#include "testkit.h"

#include <QJsonObject>
#include <QList>
#include <QMap>
#include <QObject>
#include <QRandomGenerator>
#include <QString>
#include <QStringList>
#include <QUrl>
#include <memory>
#include <vector>

class QNetworkAccessManager;
class QNetworkReply;

// What happened to the votes a client sent for one option.
struct VoteRecord {
    qint64 acknowledged = 0; // answered 202 (for bulk: the item was "accepted")
    qint64 unanswered = 0;   // no HTTP answer arrived: may or may not be counted
    qint64 rejected = 0;     // a definite "no" (e.g. 503 overloaded): never counted
};
using OptionBook = QMap<QString, VoteRecord>; // option id -> record
using VoteBook = QMap<QString, OptionBook>;   // poll id -> options
using Counts = QMap<QString, qint64>;         // option id -> votes
using PollCounts = QMap<QString, Counts>;     // poll id -> counts

struct PollTarget {
    QString id;
    QStringList options; // "A", "B", ...
};

// Keeps `connections` vote requests in flight against one server (several
// QNetworkAccessManagers, so several keep-alive connections), mostly single votes and
// some bulk requests, each for a random poll and option drawn from `targets` with the
// given generator. Every answer is booked per poll and option.
class VoteStorm : public QObject {
public:
    VoteStorm(const QList<PollTarget> &targets, QRandomGenerator *random, int connections,
              QObject *parent = nullptr);
    ~VoteStorm() override;

    void start(const QUrl &base);
    // No new requests; those in flight still end (answered, refused or timed out).
    void stopSending();
    int inFlight() const { return m_inFlight; }
    // Runs the event loop until nothing is in flight; false at the deadline.
    bool waitIdle(int timeoutMs);
    // Runs the event loop until at least `votes` votes were acknowledged since start().
    bool waitAcknowledged(qint64 votes, int timeoutMs);

    const VoteBook &book() const { return m_book; }
    void addToBook(VoteBook &book) const;
    qint64 acknowledgedSinceStart() const { return m_acknowledgedSinceStart; }
    qint64 requestsSent() const { return m_sent; }
    // Answers that are neither 202 nor a 503 "overloaded", described.
    QStringList unexpected() const { return m_unexpected; }

private:
    struct Pending {
        QList<QPair<QString, QString>> votes; // poll, option
        bool bulk = false;
    };
    void sendOne();
    void finished(QNetworkReply *reply, const Pending &pending);

    const QList<PollTarget> m_targets;
    QRandomGenerator *m_random;
    const int m_connections;
    std::vector<std::unique_ptr<QNetworkAccessManager>> m_managers;
    size_t m_nextManager = 0;
    QUrl m_base;
    bool m_sending = false;
    int m_inFlight = 0;
    qint64 m_sent = 0;
    qint64 m_acknowledgedSinceStart = 0;
    VoteBook m_book;
    QStringList m_unexpected;
};

namespace DurabilityKit {

using TestKit::Api;
using TestKit::compact;
using TestKit::pollBody;
using TestKit::statValue;

QStringList optionIds(int count);
HttpRequest voteRequest(const QString &pollId, const QString &optionId);

// GET /api/v1/results/<id> -> option -> votes; `ok` false (and an explanation in
// `error`) when the answer is not a 200 with a results object.
Counts readResults(HttpClient &client, const QString &pollId, bool *ok, QString *error);

// Every violation of acknowledged <= counted <= acknowledged + unanswered, and of
// counted == acknowledged for options without unanswered votes, one line each; empty
// when all hold. With `upperOnly` (--durability async, where a crash may lose the votes
// acknowledged in the last few milliseconds) only counted <= acknowledged + unanswered.
QStringList checkBounds(const VoteBook &book, const PollCounts &counted, bool upperOnly = false);
// Acknowledged votes missing from `counted`, summed over every option.
qint64 missing(const VoteBook &book, const PollCounts &counted);
// Sums over a book.
VoteRecord totals(const VoteBook &book);
QString describe(const VoteBook &book, const PollCounts &counted);

// The "Journal: N file(s) read in X ms: R vote(s) replayed, S already stored" line of a
// server's output: true when present, with its numbers.
struct JournalLine {
    bool present = false;
    int files = 0;
    qint64 ms = 0;
    qint64 replayed = 0;
    qint64 stored = 0;
};
JournalLine journalLine(const QString &output);
// "*.log" files of `<dataDir>/journal`, oldest epoch first.
QStringList journalFiles(const QString &dataDir);

} // namespace DurabilityKit
