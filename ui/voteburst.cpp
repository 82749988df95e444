#include "voteburst.h"
#include "liveclient.h"
#include "serverclient.h"

#include <QAtomicInteger>
#include <QJsonArray>
#include <QJsonDocument>
#include <QRandomGenerator>
#include <QTimer>

#include <algorithm>

namespace {
// A vote's options as the API takes them: option_id for one (what every server
// understands), option_ids for several.
void putOptions(QJsonObject &body, const VoteBurst::Ballot &ballot)
{
    if (ballot.size() == 1)
        body.insert(QStringLiteral("option_id"), ballot.constFirst());
    else
        body.insert(QStringLiteral("option_ids"), QJsonArray::fromStringList(ballot));
}
} // namespace

VoteBurst::VoteBurst(LiveClient *live, QObject *parent)
    : QObject(parent), m_live(live), m_rest(new ServerClient(this)), m_timer(new QTimer(this))
{
    m_timer->setTimerType(Qt::PreciseTimer);
    m_timer->setInterval(TickMs);
    connect(m_timer, &QTimer::timeout, this, &VoteBurst::tick);
    connect(m_live, &LiveClient::voteAcked, this, &VoteBurst::onAck);
    connect(m_live, &LiveClient::voteRejected, this, &VoteBurst::onSocketError);
    connect(m_live, &LiveClient::stateChanged, this, [this](LiveClient::State state) {
        if (!m_running || m_plan.transport != Transport::WebSocket ||
            state == LiveClient::State::Live)
            return;
        // Votes without an answer may or may not have been counted: report them as
        // errors, with those waiting to be sent again and those never sent.
        const int lost = int(m_outstanding.size() + m_retry.size());
        m_outstanding.clear();
        m_retry.clear();
        m_inFlight = 0;
        fail(lost + (m_plan.count - m_dispatched), tr("The WebSocket closed during the burst."));
        m_dispatched = m_plan.count;
        checkDone();
    });
}

bool VoteBurst::start(const Plan &plan, const QUrl &baseUrl, QString *error)
{
    if (m_running) {
        *error = tr("A burst is already running.");
        return false;
    }
    int sum = 0;
    for (int weight : plan.weights)
        sum += qMax(0, weight);
    if (plan.pollId.isEmpty() || plan.optionIds.isEmpty() ||
        plan.weights.size() != plan.optionIds.size()) {
        *error = tr("Select a poll first.");
        return false;
    }
    if (sum <= 0) {
        *error = tr("Give at least one option a weight above zero.");
        return false;
    }
    if (plan.count <= 0 || plan.ratePerSecond <= 0) {
        *error = tr("The number of votes and the rate must be above zero.");
        return false;
    }
    if (plan.uniqueVoters && plan.transport == Transport::RestBulk) {
        *error = tr("This poll allows one vote per voter: send REST single or WebSocket votes.");
        return false;
    }
    if (plan.transport == Transport::WebSocket && !m_live->socketLive()) {
        *error = tr("The WebSocket is not connected; send over REST instead.");
        return false;
    }
    m_plan = plan;
    m_weightSum = sum;
    m_current.fill(0, plan.weights.size());
    m_rest->setBaseUrl(baseUrl);
    m_rest->setApiPrefix(m_live->apiPrefix());
    ++m_generation;
    m_dispatched = m_accepted = m_errors = m_inFlight = 0;
    m_finishedAtMs = -1;
    m_outstanding.clear();
    m_perOption.clear();
    m_lastError.clear();
    m_retry.clear();
    m_resumeAtMs = 0;
    m_retried = 0;
    m_running = true;
    m_bulkChunk = 0;
    m_socketWindow = socketWindowFor(plan.ratePerSecond);
    m_socketVotesPerTick = socketVotesPerTickFor(plan.ratePerSecond);
    m_clock.start();
    m_timer->start();
    if (plan.transport == Transport::RestBulk) {
        // Bulk requests must fit the server's limits, which only the server knows.
        const int generation = m_generation;
        m_rest->get(m_rest->api(Protocol::StatsPath), this,
                    [this, generation](const ApiReply &reply) {
                        if (generation == m_generation)
                            learnLimits(reply.ok() ? reply.body : QJsonObject());
                    });
    }
    Q_EMIT progressed();
    return true;
}

int VoteBurst::bulkChunkFor(const QString &pollId, int maxVotes, qint64 maxBodyBytes,
                            int maxChoices)
{
    // The largest item: the poll id and the most one-letter options a vote may carry.
    const qint64 envelope = QJsonDocument(QJsonObject{{QStringLiteral("votes"), QJsonArray()}})
                                .toJson(QJsonDocument::Compact)
                                .size();
    QJsonObject largest{{QStringLiteral("poll_id"), pollId}};
    putOptions(largest, Ballot(qMax(1, maxChoices), QStringLiteral("A")));
    const qint64 item =
        QJsonDocument(largest).toJson(QJsonDocument::Compact).size() + 1; // the comma
    const qint64 fitting = (maxBodyBytes - envelope) / item;
    const qint64 cap = qMin(maxVotes, MaxBulkChunk);
    return int(qBound(qint64(1), qMin(fitting, cap), qint64(MaxBulkChunk)));
}

int VoteBurst::socketWindowFor(int ratePerSecond)
{
    return int(qBound(qint64(MinSocketWindow), qint64(ratePerSecond) * SocketWindowMs / 1000,
                      qint64(MaxSocketWindow)));
}

int VoteBurst::socketVotesPerTickFor(int ratePerSecond)
{
    return int(qMax(qint64(MinSocketWindow), 2 * qint64(ratePerSecond) * TickMs / 1000));
}

void VoteBurst::learnLimits(const QJsonObject &stats)
{
    // A server that does not say keeps to the defaults of servers that did not either:
    // 16 KiB bodies and 1000 votes per bulk request.
    const QJsonObject limits = stats.value(QStringLiteral("limits")).toObject();
    const qint64 bodyBytes = limits.value(QStringLiteral("bulk_body_bytes")).toInteger(16384);
    const int votes = limits.value(QStringLiteral("bulk_votes")).toInt(1000);
    m_bulkChunk = bulkChunkFor(m_plan.pollId, votes, bodyBytes, m_plan.maxChoices);
}

void VoteBurst::cancel()
{
    if (!m_running)
        return;
    m_running = false;
    ++m_generation; // answers still on their way are ignored
    m_timer->stop();
    m_outstanding.clear();
    m_inFlight = 0;
    m_finishedAtMs = m_clock.elapsed();
    Q_EMIT progressed();
    Q_EMIT finished(true);
}

qint64 VoteBurst::elapsedMs() const
{
    if (!m_clock.isValid())
        return 0;
    return m_finishedAtMs >= 0 ? m_finishedAtMs : m_clock.elapsed();
}

double VoteBurst::achievedRate() const
{
    const qint64 ms = elapsedMs();
    return ms > 0 ? double(m_accepted) * 1000.0 / double(ms) : 0.0;
}

QString VoteBurst::newVoterId()
{
    static const QString session =
        QString::number(QRandomGenerator::global()->generate64() & 0xffffffffffffULL, 36);
    static QAtomicInteger<quint64> next = 0;
    return QStringLiteral("console-%1-%2").arg(session).arg(++next);
}

QJsonObject VoteBurst::voteBody(const Ballot &ballot) const
{
    QJsonObject body;
    putOptions(body, ballot);
    if (m_plan.uniqueVoters)
        body.insert(QStringLiteral("voter_id"), newVoterId());
    return body;
}

qint64 VoteBurst::waitingMs() const
{
    return m_running && m_clock.isValid() ? qMax<qint64>(0, m_resumeAtMs - m_clock.elapsed()) : 0;
}

QList<VoteBurst::Ballot> VoteBurst::takeVotes(int count)
{
    QList<Ballot> ballots;
    while (ballots.size() < count && !m_retry.isEmpty())
        ballots.append(m_retry.takeFirst());
    while (ballots.size() < count) {
        ballots.append(pickBallot());
        ++m_dispatched;
    }
    return ballots;
}

void VoteBurst::retryLater(const QList<Ballot> &options, int seconds)
{
    // Not counted as errors: the same votes go again once the server is ready.
    m_retry.append(options);
    m_retried += int(options.size());
    m_resumeAtMs = qMax(m_resumeAtMs, m_clock.elapsed() + qint64(qMax(1, seconds)) * 1000);
    m_lastError =
        tr("The server asked to slow down; resending in %n s.", nullptr, qMax(1, seconds));
}

VoteBurst::Ballot VoteBurst::pickBallot()
{
    // A multiple-choice vote selects 1, 2, ... up to max choices options in turn, so a
    // burst of N votes counts a known number of selections.
    int weighted = 0;
    for (int weight : std::as_const(m_plan.weights))
        weighted += weight > 0 ? 1 : 0;
    const int most = qBound(1, qMin(m_plan.maxChoices, weighted), int(m_plan.optionIds.size()));
    const int choices = 1 + m_dispatched % most;
    // Smooth weighted round robin for k selections at once: every option earns its
    // weight k times, the k richest (distinct by construction) are chosen and pay the
    // weight sum each. Over any stretch of votes the options get their weights' shares,
    // evenly interleaved; with one choice this is the classic one-at-a-time scheme.
    QList<int> order;
    for (int i = 0; i < m_current.size(); ++i) {
        if (m_plan.weights.at(i) <= 0)
            continue;
        m_current[i] += m_plan.weights.at(i) * choices;
        order.append(i);
    }
    std::stable_sort(order.begin(), order.end(),
                     [this](int a, int b) { return m_current.at(a) > m_current.at(b); });
    Ballot ballot;
    for (int i = 0; i < choices; ++i) {
        const int option = order.at(i);
        m_current[option] -= m_weightSum;
        ballot.append(m_plan.optionIds.at(option));
        ++m_perOption[m_plan.optionIds.at(option)];
    }
    return ballot;
}

void VoteBurst::tick()
{
    if (!m_running)
        return;
    if (m_clock.elapsed() < m_resumeAtMs) {
        Q_EMIT progressed();
        return; // the server asked to wait
    }
    const qint64 due =
        qMin<qint64>(m_plan.count, qint64(m_plan.ratePerSecond) * m_clock.elapsed() / 1000);
    int ready = int(due - m_dispatched + m_retry.size());
    switch (m_plan.transport) {
    case Transport::RestBulk:
        while (m_bulkChunk > 0 && ready > 0 && m_inFlight < MaxBulkInFlight) {
            const int chunk = qMin(ready, m_bulkChunk);
            sendBulk(takeVotes(chunk));
            ready -= chunk;
        }
        break;
    case Transport::RestSingle:
        for (; ready > 0 && m_inFlight < MaxSingleInFlight; --ready)
            sendSingle(takeVotes(1).constFirst());
        break;
    case Transport::WebSocket:
        for (int budget = m_socketVotesPerTick;
             ready > 0 && budget > 0 && m_inFlight < m_socketWindow && m_running; --ready, --budget)
            sendSocket(takeVotes(1).constFirst());
        break;
    }
    Q_EMIT progressed();
    checkDone();
}

void VoteBurst::sendBulk(const QList<Ballot> &options)
{
    QJsonArray items;
    for (const Ballot &ballot : options) {
        QJsonObject item{{QStringLiteral("poll_id"), m_plan.pollId}};
        putOptions(item, ballot);
        items.append(item);
    }
    ++m_inFlight;
    const int generation = m_generation;
    m_rest->post(
        m_rest->api(Protocol::BulkVotesPath), {{QStringLiteral("votes"), items}}, this,
        [this, generation, options](const ApiReply &reply) {
            if (generation != m_generation)
                return;
            --m_inFlight;
            if (reply.retryLater()) {
                retryLater(options, reply.retryAfterSeconds);
            } else if (reply.ok()) {
                m_accepted += reply.body.value(QStringLiteral("accepted")).toInt();
                // Items over the client's vote budget go again later; other
                // refusals are errors.
                const QJsonArray results = reply.body.value(QStringLiteral("results")).toArray();
                QList<Ballot> limited;
                int rejected = 0;
                QString message;
                for (qsizetype i = 0; i < results.size() && i < options.size(); ++i) {
                    const QJsonObject error =
                        results.at(i).toObject().value(QStringLiteral("error")).toObject();
                    if (error.isEmpty())
                        continue;
                    if (error.value(QStringLiteral("code")).toString() == u"rate_limited") {
                        limited.append(options.at(i));
                        continue;
                    }
                    ++rejected;
                    if (message.isEmpty())
                        message = error.value(QStringLiteral("message")).toString();
                }
                if (!limited.isEmpty())
                    retryLater(limited, qMax(1, reply.retryAfterSeconds));
                if (rejected > 0)
                    fail(rejected, message);
            } else {
                fail(int(options.size()), reply.errorMessage());
            }
            checkDone();
        });
}

void VoteBurst::sendSingle(const Ballot &option)
{
    ++m_inFlight;
    const int generation = m_generation;
    m_rest->post(ServerClient::apiPath(m_rest->api(Protocol::VotePath), m_plan.pollId),
                 voteBody(option), this, [this, generation, option](const ApiReply &reply) {
                     if (generation != m_generation)
                         return;
                     --m_inFlight;
                     if (reply.retryLater())
                         retryLater({option}, reply.retryAfterSeconds);
                     else if (reply.ok())
                         ++m_accepted;
                     else
                         fail(1, reply.errorMessage());
                     checkDone();
                 });
}

void VoteBurst::sendSocket(const Ballot &ballot)
{
    const qint64 ref = m_nextRef++;
    if (!m_live->sendVote(m_plan.pollId, ballot, ref,
                          m_plan.uniqueVoters ? newVoterId() : QString())) {
        fail(1, tr("The WebSocket is not connected."));
        return;
    }
    m_outstanding.insert(ref, ballot);
    ++m_inFlight;
}

void VoteBurst::onAck(qint64 ref)
{
    if (!m_outstanding.remove(ref))
        return;
    --m_inFlight;
    ++m_accepted;
    checkDone();
}

void VoteBurst::onSocketError(qint64 ref, const QString &, const QString &message,
                              int retryAfterSeconds)
{
    const auto it = m_outstanding.constFind(ref);
    if (it == m_outstanding.cend())
        return;
    const Ballot ballot = it.value();
    m_outstanding.erase(it);
    --m_inFlight;
    // As over REST: a refusal that names a time to wait (over the vote budget, a poll
    // being reset) is sent again then; a refused vote never used up its voter.
    if (retryAfterSeconds > 0)
        retryLater({ballot}, retryAfterSeconds);
    else
        fail(1, message);
    checkDone();
}

void VoteBurst::fail(int votes, const QString &message)
{
    m_errors += votes;
    if (!message.isEmpty())
        m_lastError = message;
}

void VoteBurst::checkDone()
{
    if (!m_running || m_dispatched < m_plan.count || m_inFlight > 0 || !m_retry.isEmpty())
        return;
    m_running = false;
    m_timer->stop();
    m_finishedAtMs = m_clock.elapsed();
    Q_EMIT progressed();
    Q_EMIT finished(false);
}
