#include "samplepoll.h"
#include "serverclient.h"

#include <QJsonArray>
#include <QTimer>

namespace {
constexpr int MaxIdAttempts = 20;
// How the sample votes lean, so that the bars differ: option i gets Weights[i] of 10.
constexpr int Weights[] = {4, 3, 2, 1};
} // namespace

SamplePoll::SamplePoll(ServerClient *client, QObject *parent)
    : QObject(parent), m_client(client), m_timer(new QTimer(this))
{
    m_timer->setInterval(RoundIntervalMs);
    connect(m_timer, &QTimer::timeout, this, &SamplePoll::sendRound);
}

QString SamplePoll::question()
{
    return tr("Sample poll: which fruit do you like best?");
}

QStringList SamplePoll::options()
{
    return {tr("Apples"), tr("Bananas"), tr("Cherries"), tr("Grapes")};
}

void SamplePoll::create()
{
    tryCreate(1);
}

void SamplePoll::tryCreate(int attempt)
{
    const QString id =
        attempt == 1 ? QStringLiteral("sample") : QStringLiteral("sample-%1").arg(attempt);
    const QJsonObject body{{QStringLiteral("id"), id},
                           {QStringLiteral("question"), question()},
                           {QStringLiteral("theme"), QStringLiteral("sample")},
                           {QStringLiteral("options"), QJsonArray::fromStringList(options())}};
    m_client->adminPost(m_client->api(Protocol::PollsPath), body, this,
                        [this, attempt, id](const ApiReply &reply) {
                            if (reply.status == 409 && attempt < MaxIdAttempts) {
                                tryCreate(attempt + 1); // an earlier sample keeps its id
                                return;
                            }
                            if (!reply.ok()) {
                                Q_EMIT failed(reply.errorMessage());
                                return;
                            }
                            m_pollId = id;
                            Q_EMIT created(reply.body);
                            m_timer->start();
                        });
}

void SamplePoll::sendRound()
{
    if (++m_round > Rounds) {
        m_timer->stop();
        Q_EMIT finished();
        return;
    }
    // Spread the round's votes by the weights, starting at a different option each
    // round so every bar moves.
    QJsonArray votes;
    for (int i = 0; i < VotesPerRound; ++i) {
        const int slot = (m_round * VotesPerRound + i) % 10;
        int option = 0;
        for (int sum = Weights[0]; slot >= sum; sum += Weights[++option]) {
        }
        votes.append(QJsonObject{{QStringLiteral("poll_id"), m_pollId},
                                 {QStringLiteral("option_id"), QString(QChar(u'A' + option))}});
    }
    m_client->post(m_client->api(Protocol::BulkVotesPath), {{QStringLiteral("votes"), votes}}, this,
                   [this](const ApiReply &reply) {
                       if (!reply.reachable()) {
                           m_timer->stop();
                           Q_EMIT finished();
                       }
                   });
}
