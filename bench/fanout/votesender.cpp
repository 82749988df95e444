#include "votesender.h"

#include <QEventLoop>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QTimer>
#include <QWebSocket>

#include <algorithm>

bool VoteSender::prepare()
{
    if (!m_settings.voteOverWebSocket) {
        for (int i = 0; i < m_settings.restPools; ++i)
            m_pools.push_back(new QNetworkAccessManager(this));
        return true;
    }
    m_voter = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
    connect(m_voter, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
        if (text.contains(u"\"type\":\"ack\"")) {
            ++m_shared.accepted;
            ++m_shared.answered;
        } else if (text.contains(u"\"type\":\"error\"")) {
            ++m_shared.rejected;
            ++m_shared.answered;
        }
    });
    QEventLoop loop;
    connect(m_voter, &QWebSocket::connected, &loop, &QEventLoop::quit);
    connect(m_voter, &QWebSocket::disconnected, &loop, &QEventLoop::quit);
    QTimer::singleShot(10000, &loop, &QEventLoop::quit);
    m_voter->open(wsUrl(m_settings.url));
    loop.exec();
    return m_voter->state() == QAbstractSocket::ConnectedState;
}

void VoteSender::start()
{
    m_phase.start();
    m_pacer = new QTimer(this);
    m_pacer->setTimerType(Qt::PreciseTimer);
    connect(m_pacer, &QTimer::timeout, this, [this] {
        const qint64 target = qint64(m_settings.rate) * m_settings.durationS;
        const qint64 due = std::min(target, m_phase.nsecsElapsed() * m_settings.rate / 1000000000);
        while (m_shared.sent.load() < due)
            cast(m_shared.sent.load() + 1);
        if (m_shared.sent.load() >= target)
            m_pacer->stop();
    });
    m_pacer->start(2);
}

void VoteSender::stop()
{
    if (m_voter)
        m_voter->abort();
}

void VoteSender::cast(qint64 number)
{
    const QString option(QChar(u'A' + int(number % m_settings.options)));
    m_shared.sentAtNs[size_t(number)].store(m_shared.clock.nsecsElapsed());
    m_shared.sent.store(number);
    if (m_voter) {
        m_voter->sendTextMessage(compact({{QStringLiteral("type"), QStringLiteral("vote")},
                                          {QStringLiteral("poll_id"), m_settings.pollId},
                                          {QStringLiteral("option_id"), option},
                                          {QStringLiteral("ref"), number}}));
        return;
    }
    QNetworkAccessManager *pool = m_pools[size_t(number % qint64(m_pools.size()))];
    QNetworkReply *reply =
        pool->post(jsonRequest(m_settings, QStringLiteral("/api/v1/vote/") + m_settings.pollId),
                   compact({{QStringLiteral("option_id"), option}}).toUtf8());
    connect(reply, &QNetworkReply::finished, this, [this, reply] {
        if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 202)
            ++m_shared.accepted;
        else
            ++m_shared.rejected;
        ++m_shared.answered;
        reply->deleteLater();
    });
}
