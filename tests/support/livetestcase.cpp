#include "livetestcase.h"

#include "livetestkit.h"

#include <QTest>

using namespace LiveKit;

void LiveTestCase::startServer()
{
    m_server = std::make_unique<TallyProcess>(QStringList{
        str("--live-interval"), QString::number(LiveIntervalMs), str("--workers"), str("2")});
    QVERIFY2(m_server->start(), qPrintable(m_server->diagnostics()));
    m_http = std::make_unique<HttpClient>(m_server->url());
}

void LiveTestCase::stopServer()
{
    if (m_server)
        QCOMPARE(m_server->stop(), 0);
}

void LiveTestCase::open(WsClient &ws)
{
    QVERIFY2(ws.open(WsClient::wsUrl(m_server->url())), qPrintable(ws.errorString()));
}

void LiveTestCase::createPoll(const QString &id, const QStringList &options)
{
    const HttpResponse created = m_http->postJson(str("/api/v1/polls"), pollBody(id, options));
    VERIFY_STATUS(created, 201);
}

void LiveTestCase::castRest(const QString &pollId, const QString &options)
{
    const QList<HttpResponse> answers = m_http->sendAll(voteRequests(pollId, options), 4);
    for (const HttpResponse &answer : answers)
        VERIFY_STATUS(answer, 202);
}

void LiveTestCase::subscribe(WsClient &ws, const QString &pollId, QJsonObject *snapshot)
{
    ws.send(subscribePoll(pollId));
    const std::optional<QJsonObject> first = ws.next(resultsFor(pollId));
    QVERIFY2(first, qPrintable(str("no snapshot of poll %1").arg(pollId)));
    if (snapshot)
        *snapshot = *first;
}
