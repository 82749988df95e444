#include "durabilitykit.h"

#include <QDeadlineTimer>
#include <QDir>
#include <QJsonArray>
#include <QJsonDocument>
#include <QNetworkAccessManager>
#include <QNetworkProxy>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QRegularExpression>
#include <QTest>

namespace {

// Connections one QNetworkAccessManager opens to one host at most.
constexpr int ConnectionsPerManager = 6;
constexpr int TransferTimeoutMs = 8000;

} // namespace

VoteStorm::VoteStorm(const QList<PollTarget> &targets, QRandomGenerator *random, int connections,
                     QObject *parent)
    : QObject(parent), m_targets(targets), m_random(random), m_connections(connections)
{
    const int managers = (connections + ConnectionsPerManager - 1) / ConnectionsPerManager;
    for (int i = 0; i < managers; ++i) {
        auto manager = std::make_unique<QNetworkAccessManager>();
        manager->setProxy(QNetworkProxy::NoProxy);
        m_managers.push_back(std::move(manager));
    }
    for (const PollTarget &target : targets)
        for (const QString &option : target.options)
            m_book[target.id][option];
}

VoteStorm::~VoteStorm()
{
    stopSending();
    waitIdle(TransferTimeoutMs + 2000);
}

void VoteStorm::start(const QUrl &base)
{
    m_base = base;
    m_sending = true;
    m_acknowledgedSinceStart = 0;
    while (m_inFlight < m_connections)
        sendOne();
}

void VoteStorm::stopSending()
{
    m_sending = false;
}

bool VoteStorm::waitIdle(int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (m_inFlight > 0 && !deadline.hasExpired())
        QTest::qWait(5);
    return m_inFlight == 0;
}

bool VoteStorm::waitAcknowledged(qint64 votes, int timeoutMs)
{
    const QDeadlineTimer deadline(timeoutMs);
    while (m_acknowledgedSinceStart < votes && !deadline.hasExpired())
        QTest::qWait(2);
    return m_acknowledgedSinceStart >= votes;
}

void VoteStorm::addToBook(VoteBook &book) const
{
    for (auto poll = m_book.cbegin(); poll != m_book.cend(); ++poll)
        for (auto option = poll->cbegin(); option != poll->cend(); ++option) {
            VoteRecord &record = book[poll.key()][option.key()];
            record.acknowledged += option->acknowledged;
            record.unanswered += option->unanswered;
            record.rejected += option->rejected;
        }
}

void VoteStorm::sendOne()
{
    auto pick = [this] {
        const PollTarget &target = m_targets[int(m_random->bounded(m_targets.size()))];
        return qMakePair(target.id, target.options[int(m_random->bounded(target.options.size()))]);
    };
    Pending pending;
    QByteArray path;
    QByteArray body;
    // One request in five is a bulk request of 2 to 5 votes.
    if (m_random->bounded(5) == 0) {
        pending.bulk = true;
        QJsonArray votes;
        const int count = 2 + int(m_random->bounded(4));
        for (int i = 0; i < count; ++i) {
            const auto vote = pick();
            pending.votes.append(vote);
            votes.append(QJsonObject{{QStringLiteral("poll_id"), vote.first},
                                     {QStringLiteral("option_id"), vote.second}});
        }
        path = "/api/v1/votes";
        body = DurabilityKit::compact({{QStringLiteral("votes"), votes}});
    } else {
        const auto vote = pick();
        pending.votes.append(vote);
        path = "/api/v1/vote/" + vote.first.toUtf8();
        body = DurabilityKit::compact({{QStringLiteral("option_id"), vote.second}});
    }
    QNetworkRequest request(QUrl(m_base.toString(QUrl::FullyEncoded | QUrl::StripTrailingSlash) +
                                 QString::fromUtf8(path)));
    request.setAttribute(QNetworkRequest::Http2AllowedAttribute, false);
    request.setRawHeader("Content-Type", "application/json");
    request.setTransferTimeout(TransferTimeoutMs);
    QNetworkAccessManager *manager = m_managers[m_nextManager++ % m_managers.size()].get();
    QNetworkReply *reply = manager->post(request, body);
    ++m_inFlight;
    ++m_sent;
    connect(reply, &QNetworkReply::finished, this,
            [this, reply, pending] { finished(reply, pending); });
}

void VoteStorm::finished(QNetworkReply *reply, const Pending &pending)
{
    reply->deleteLater();
    --m_inFlight;
    const QVariant statusAttribute = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute);
    const int status = statusAttribute.isValid() ? statusAttribute.toInt() : 0;
    const QByteArray body = status == 0 ? QByteArray() : reply->readAll();
    const QJsonObject json = QJsonDocument::fromJson(body).object();

    if (status == 0) {
        // The server went away (or never answered): the votes may or may not count.
        for (const auto &vote : pending.votes)
            ++m_book[vote.first][vote.second].unanswered;
    } else if (status == 202 && !pending.bulk) {
        ++m_book[pending.votes[0].first][pending.votes[0].second].acknowledged;
        ++m_acknowledgedSinceStart;
    } else if (status == 202) {
        const QJsonArray results = json.value(QStringLiteral("results")).toArray();
        if (results.size() != pending.votes.size()) {
            // A 202 whose body did not arrive whole: item outcomes are unknown.
            for (const auto &vote : pending.votes)
                ++m_book[vote.first][vote.second].unanswered;
        } else {
            for (qsizetype i = 0; i < results.size(); ++i) {
                const auto &vote = pending.votes[i];
                const QJsonObject item = results[i].toObject();
                if (item.value(QStringLiteral("status")).toString() == u"accepted") {
                    ++m_book[vote.first][vote.second].acknowledged;
                    ++m_acknowledgedSinceStart;
                } else {
                    ++m_book[vote.first][vote.second].rejected;
                    const QString code = item.value(QStringLiteral("error"))
                                             .toObject()
                                             .value(QStringLiteral("code"))
                                             .toString();
                    if (code != u"overloaded")
                        m_unexpected.append(QStringLiteral("bulk item rejected: %1")
                                                .arg(QString::fromUtf8(QJsonDocument(item).toJson(
                                                    QJsonDocument::Compact))));
                }
            }
        }
    } else {
        for (const auto &vote : pending.votes)
            ++m_book[vote.first][vote.second].rejected;
        const QString code =
            json.value(QStringLiteral("error")).toObject().value(QStringLiteral("code")).toString();
        if (!(status == 503 && code == u"overloaded"))
            m_unexpected.append(
                QStringLiteral("HTTP %1: %2").arg(status).arg(QString::fromUtf8(body.left(300))));
    }
    if (m_sending)
        sendOne();
}

namespace DurabilityKit {

QStringList optionIds(int count)
{
    QStringList ids;
    for (int i = 0; i < count; ++i)
        ids.append(QString(QChar(u'A' + i)));
    return ids;
}

HttpRequest voteRequest(const QString &pollId, const QString &optionId)
{
    return HttpRequest{"POST", Api + QStringLiteral("/vote/") + pollId,
                       compact({{QStringLiteral("option_id"), optionId}})};
}

Counts readResults(HttpClient &client, const QString &pollId, bool *ok, QString *error)
{
    const HttpResponse response = client.get(Api + QStringLiteral("/results/") + pollId);
    Counts counts;
    *ok = response.status == 200 && response.json.value(QStringLiteral("results")).isObject();
    if (!*ok) {
        *error = QStringLiteral("GET results/%1: %2").arg(pollId, response.describe());
        return counts;
    }
    const QJsonObject results = response.json.value(QStringLiteral("results")).toObject();
    for (auto it = results.constBegin(); it != results.constEnd(); ++it)
        counts.insert(it.key(), it.value().toInteger(-1));
    return counts;
}

QStringList checkBounds(const VoteBook &book, const PollCounts &counted, bool upperOnly)
{
    QStringList violations;
    for (auto poll = book.cbegin(); poll != book.cend(); ++poll) {
        const Counts counts = counted.value(poll.key());
        for (auto option = poll->cbegin(); option != poll->cend(); ++option) {
            const VoteRecord &r = option.value();
            const qint64 c = counts.value(option.key(), -1);
            const QString where =
                QStringLiteral("%1/%2: counted %3, acknowledged %4, unanswered %5")
                    .arg(poll.key(), option.key())
                    .arg(c)
                    .arg(r.acknowledged)
                    .arg(r.unanswered);
            if (c > r.acknowledged + r.unanswered)
                violations.append(QStringLiteral("COUNTED TOO MANY: ") + where);
            else if (upperOnly)
                continue;
            else if (c < r.acknowledged)
                violations.append(QStringLiteral("LOST acknowledged votes: ") + where);
            else if (r.unanswered == 0 && c != r.acknowledged)
                violations.append(QStringLiteral("NOT EXACT: ") + where);
        }
        for (auto it = counts.cbegin(); it != counts.cend(); ++it)
            if (!poll->contains(it.key()) && it.value() != 0)
                violations.append(QStringLiteral("%1/%2: %3 votes for an option never voted for")
                                      .arg(poll.key(), it.key())
                                      .arg(it.value()));
    }
    return violations;
}

qint64 missing(const VoteBook &book, const PollCounts &counted)
{
    qint64 sum = 0;
    for (auto poll = book.cbegin(); poll != book.cend(); ++poll)
        for (auto option = poll->cbegin(); option != poll->cend(); ++option)
            sum += std::max<qint64>(0, option->acknowledged -
                                           counted.value(poll.key()).value(option.key()));
    return sum;
}

VoteRecord totals(const VoteBook &book)
{
    VoteRecord sum;
    for (const OptionBook &options : book)
        for (const VoteRecord &record : options) {
            sum.acknowledged += record.acknowledged;
            sum.unanswered += record.unanswered;
            sum.rejected += record.rejected;
        }
    return sum;
}

QString describe(const VoteBook &book, const PollCounts &counted)
{
    QStringList lines;
    for (auto poll = book.cbegin(); poll != book.cend(); ++poll)
        for (auto option = poll->cbegin(); option != poll->cend(); ++option)
            lines.append(QStringLiteral("  %1/%2: acknowledged %3, unanswered %4, rejected %5, "
                                        "counted %6")
                             .arg(poll.key(), option.key())
                             .arg(option->acknowledged)
                             .arg(option->unanswered)
                             .arg(option->rejected)
                             .arg(counted.value(poll.key()).value(option.key(), -1)));
    return lines.join(u'\n');
}

JournalLine journalLine(const QString &output)
{
    static const QRegularExpression line(
        QStringLiteral("Journal: (\\d+) file\\(s\\) read in (\\d+) ms: (\\d+) vote\\(s\\) "
                       "replayed, (\\d+) already stored"));
    JournalLine result;
    const QRegularExpressionMatch match = line.match(output);
    if (!match.hasMatch())
        return result;
    result.present = true;
    result.files = match.captured(1).toInt();
    result.ms = match.captured(2).toLongLong();
    result.replayed = match.captured(3).toLongLong();
    result.stored = match.captured(4).toLongLong();
    return result;
}

QStringList journalFiles(const QString &dataDir)
{
    const QDir dir(QDir(dataDir).filePath(QStringLiteral("journal")));
    QStringList files;
    for (const QString &name : dir.entryList({QStringLiteral("*.log")}, QDir::Files, QDir::Name))
        files.append(dir.filePath(name));
    return files;
}

} // namespace DurabilityKit
