// The WebSocket protocol of docs/api.md ("WebSocket") against a real server (embedded storage):
// subscriptions, the stats and polls channels, ping, errors for bad messages, and the
// coalescing of result snapshots under a burst of votes. Votes over the WebSocket:
// tst_live_votes.
#include "livetestcase.h"
#include "livetestkit.h"

#include <QElapsedTimer>

using namespace LiveKit;

class TestLiveProtocol : public LiveTestCase {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase();
    void cleanupTestCase();

    void subscribeSendsExactSnapshot();
    void subscribeAcceptsNumericPollId();
    void subscribeUnknownPollIsAnError();
    void statsChannelSendsTheStatsBody();
    void pollsChannelFollowsRestChanges();
    void pingGetsPong();
    void unsubscribeStopsResults();
    void badMessagesAreErrorsAndTheConnectionStays();
    void subscriptionsPerConnectionAreBounded();
    void burstOfVotesIsCoalesced();
    void unchangedPollSendsOnlyTheInitialSnapshot();
};

void TestLiveProtocol::initTestCase()
{
    startServer();
}

void TestLiveProtocol::cleanupTestCase()
{
    stopServer();
}

void TestLiveProtocol::subscribeSendsExactSnapshot()
{
    CHECKED(createPoll(str("snap"), {str("Red"), str("Green"), str("Blue")}));
    CHECKED(castRest(str("snap"), str("AAAB")));

    WsClient ws;
    CHECKED(open(ws));
    QJsonObject snapshot;
    CHECKED(subscribe(ws, str("snap"), &snapshot));
    QCOMPARE(snapshot.value("type").toString(), str("results"));
    QCOMPARE(snapshot.value("poll_id").toString(), str("snap"));
    QCOMPARE(snapshot.value("results").toObject(), countsJson({3, 1, 0}));
    QCOMPARE(snapshot.value("total").toInteger(), 4);
    QVERIFY2(snapshot.value("seq").isDouble() && snapshot.value("seq").toInteger(-1) >= 0,
             qPrintable(describe(snapshot)));
    // The same body as GET /results, minus served_via, plus type and seq.
    QStringList keys = snapshot.keys();
    keys.sort();
    QCOMPARE(keys, (QStringList{str("poll_id"), str("results"), str("seq"), str("total"),
                                str("type"), str("voters")}));

    const HttpResponse rest = m_http->get(str("/api/v1/results/snap"));
    VERIFY_STATUS(rest, 200);
    QCOMPARE(rest.json.value("results").toObject(), snapshot.value("results").toObject());
    QCOMPARE(rest.json.value("total").toInteger(), 4);
}

void TestLiveProtocol::subscribeAcceptsNumericPollId()
{
    CHECKED(createPoll(str("42"), {str("Yes"), str("No")}));
    CHECKED(castRest(str("42"), str("B")));
    WsClient ws;
    CHECKED(open(ws));
    ws.send({{str("type"), str("subscribe")}, {str("poll_id"), 42}});
    const std::optional<QJsonObject> snapshot = ws.next(resultsFor(str("42")));
    QVERIFY(snapshot);
    QCOMPARE(snapshot->value("results").toObject(), countsJson({0, 1}));
    QCOMPARE(snapshot->value("total").toInteger(), 1);
}

void TestLiveProtocol::subscribeUnknownPollIsAnError()
{
    WsClient ws;
    CHECKED(open(ws));
    ws.send(subscribePoll(str("no-such-poll"), 5));
    const std::optional<QJsonObject> error = ws.nextOfType(str("error"));
    QVERIFY(error);
    QCOMPARE(error->value("code").toString(), str("poll_not_found"));
    QCOMPARE(error->value("ref").toInt(), 5);
    QVERIFY2(error->value("message").toString().contains(str("no-such-poll")),
             qPrintable(describe(*error)));
    // The same code as REST.
    QCOMPARE(m_http->get(str("/api/v1/results/no-such-poll")).errorCode(), str("poll_not_found"));
    // The connection is still usable.
    QVERIFY(ws.sync());
    QVERIFY(ws.isConnected());
    QCOMPARE(ws.unreadCount(str("results")), 0);
}

void TestLiveProtocol::statsChannelSendsTheStatsBody()
{
    const HttpResponse rest = m_http->get(str("/api/v1/stats"));
    VERIFY_STATUS(rest, 200);

    WsClient ws;
    CHECKED(open(ws));
    ws.send(channel(str("subscribe"), str("stats")));
    QList<QJsonObject> stats;
    QList<qint64> arrivals;
    for (int i = 0; i < 3; ++i) {
        const std::optional<QJsonObject> message = ws.nextOfType(str("stats"), 3000);
        QVERIFY2(message, qPrintable(str("stats message %1 did not arrive").arg(i + 1)));
        stats.append(*message);
        arrivals.append(QDateTime::currentMSecsSinceEpoch());
    }
    // Same body as GET /api/v1/stats, plus "type".
    QStringList restKeys = rest.json.keys();
    restKeys.append(str("type"));
    restKeys.sort();
    QStringList keys = stats.first().keys();
    keys.sort();
    QCOMPARE(keys, restKeys);
    QCOMPARE(stats.first().value("instance_id").toString(),
             rest.json.value("instance_id").toString());
    QCOMPARE(stats.first().value("version").toString(), rest.json.value("version").toString());
    QCOMPARE(stats.first().value("workers").toInt(), 2);
    QVERIFY(stats.first().value("votes").toObject().contains(str("accepted")));
    QVERIFY2(stats.first().value("websocket_clients").toInteger() >= 1,
             qPrintable(describe(stats.first())));
    // Every 500 ms: three messages span about two intervals.
    const qint64 span = arrivals.last() - arrivals.first();
    QVERIFY2(span >= 700 && span <= 3000, qPrintable(str("3 stats messages in %1 ms").arg(span)));

    // Unsubscribed: no more stats after the server handled it.
    ws.send(channel(str("unsubscribe"), str("stats")));
    QVERIFY(ws.sync());
    ws.takeUnread(str("stats"));
    QVERIFY2(!ws.waitUntil([&] { return ws.unreadCount(str("stats")) > 0; }, 1300),
             "a stats message arrived after unsubscribing");
}

void TestLiveProtocol::pollsChannelFollowsRestChanges()
{
    WsClient ws;
    WsClient control;
    CHECKED(open(ws));
    CHECKED(open(control));
    ws.send(channel(str("subscribe"), str("polls")));
    control.send(channel(str("subscribe"), str("polls")));
    QVERIFY(ws.sync());
    QVERIFY(control.sync());

    const HttpResponse created = m_http->postJson(
        str("/api/v1/polls"), pollBody(str("events"), {str("Tea"), str("Coffee")}));
    VERIFY_STATUS(created, 201);
    std::optional<QJsonObject> event = ws.nextOfType(str("poll_created"));
    QVERIFY(event);
    QCOMPARE(event->value("poll").toObject(), created.json);
    QCOMPARE(event->value("poll").toObject().value("status").toString(), str("open"));

    const HttpResponse closed = m_http->post(str("/api/v1/polls/events/close"));
    VERIFY_STATUS(closed, 200);
    event = ws.nextOfType(str("poll_updated"));
    QVERIFY(event);
    QCOMPARE(event->value("poll").toObject(), closed.json);
    QCOMPARE(event->value("poll").toObject().value("status").toString(), str("closed"));

    const HttpResponse reopened = m_http->post(str("/api/v1/polls/events/open"));
    VERIFY_STATUS(reopened, 200);
    event = ws.nextOfType(str("poll_updated"));
    QVERIFY(event);
    QCOMPARE(event->value("poll").toObject(), reopened.json);
    QCOMPARE(event->value("poll").toObject().value("status").toString(), str("open"));

    VERIFY_STATUS(m_http->del(str("/api/v1/polls/events")), 204);
    event = ws.nextOfType(str("poll_deleted"));
    QVERIFY(event);
    QCOMPARE(event->value("poll").toObject().value("id").toString(), str("events"));
    QCOMPARE(ws.unreadCount(), 0);

    // Unsubscribed: the control client sees the next event, this one does not.
    for (int i = 0; i < 4; ++i)
        QVERIFY(control.nextOfType(i < 1   ? str("poll_created")
                                   : i < 3 ? str("poll_updated")
                                           : str("poll_deleted")));
    ws.send(channel(str("unsubscribe"), str("polls")));
    QVERIFY(ws.sync());
    CHECKED(createPoll(str("events-2"), {str("Tea"), str("Coffee")}));
    event = control.nextOfType(str("poll_created"));
    QVERIFY(event);
    QCOMPARE(event->value("poll").toObject().value("id").toString(), str("events-2"));
    QVERIFY(ws.sync());
    QCOMPARE(ws.unreadCount(), 0);
}

void TestLiveProtocol::pingGetsPong()
{
    WsClient ws;
    CHECKED(open(ws));
    ws.send({{str("type"), str("ping")}});
    std::optional<QJsonObject> pong = ws.next([](const QJsonObject &) { return true; });
    QVERIFY(pong);
    QCOMPARE(*pong, (QJsonObject{{str("type"), str("pong")}}));
    ws.send({{str("type"), str("ping")}, {str("ref"), str("abc")}});
    pong = ws.next([](const QJsonObject &) { return true; });
    QVERIFY(pong);
    QCOMPARE(*pong, (QJsonObject{{str("type"), str("pong")}, {str("ref"), str("abc")}}));
    ws.send({{str("type"), str("ping")}, {str("ref"), 7}});
    pong = ws.next([](const QJsonObject &) { return true; });
    QVERIFY(pong);
    QCOMPARE(*pong, (QJsonObject{{str("type"), str("pong")}, {str("ref"), 7}}));
}

void TestLiveProtocol::unsubscribeStopsResults()
{
    CHECKED(createPoll(str("unsub"), {str("Left"), str("Right")}));
    WsClient subject;
    WsClient control;
    CHECKED(open(subject));
    CHECKED(open(control));
    CHECKED(subscribe(subject, str("unsub")));
    CHECKED(subscribe(control, str("unsub")));

    subject.send({{str("type"), str("unsubscribe")}, {str("poll_id"), str("unsub")}});
    // Unsubscribing from something never subscribed is not an error.
    subject.send({{str("type"), str("unsubscribe")}, {str("poll_id"), str("never-subscribed")}});
    QVERIFY(subject.sync());
    subject.takeUnread();

    // Two changes, two ticks apart: the control client sees both.
    CHECKED(castRest(str("unsub"), str("A")));
    QVERIFY(control.next(resultsWithTotal(str("unsub"), 1)));
    CHECKED(castRest(str("unsub"), str("B")));
    QVERIFY(control.next(resultsWithTotal(str("unsub"), 2)));
    QVERIFY(subject.sync());
    QCOMPARE(subject.unreadCount(str("results")), 0);
    QCOMPARE(subject.unreadCount(str("error")), 0);

    // Subscribing again brings the current state at once.
    QJsonObject snapshot;
    CHECKED(subscribe(subject, str("unsub"), &snapshot));
    QCOMPARE(snapshot.value("results").toObject(), countsJson({1, 1}));
    QCOMPARE(snapshot.value("total").toInteger(), 2);
}

void TestLiveProtocol::badMessagesAreErrorsAndTheConnectionStays()
{
    WsClient ws;
    CHECKED(open(ws));
    const QStringList malformed = {str("{nope"), str("[1,2]"), str("\"text\""), str("42"),
                                   QString()};
    for (const QString &text : malformed) {
        ws.sendText(text);
        const std::optional<QJsonObject> error = ws.nextOfType(str("error"));
        QVERIFY2(error, qPrintable(text));
        QCOMPARE(error->value("code").toString(), str("malformed_json"));
        QVERIFY(!error->contains(str("ref")));
    }
    ws.send({{str("type"), str("dance")}, {str("ref"), 9}});
    std::optional<QJsonObject> error = ws.nextOfType(str("error"));
    QVERIFY(error);
    QCOMPARE(error->value("code").toString(), str("unknown_type"));
    QCOMPARE(error->value("ref").toInt(), 9);
    QVERIFY(error->value("message").toString().contains(str("dance")));

    ws.send({{str("ref"), 10}});
    error = ws.nextOfType(str("error"));
    QVERIFY(error);
    QCOMPARE(error->value("code").toString(), str("unknown_type"));
    QCOMPARE(error->value("ref").toInt(), 10);

    ws.send({{str("type"), str("subscribe")}, {str("channel"), str("weather")}, {str("ref"), 11}});
    error = ws.nextOfType(str("error"));
    QVERIFY(error);
    QCOMPARE(error->value("code").toString(), str("invalid_subscription"));
    QCOMPARE(error->value("ref").toInt(), 11);

    ws.sendBinary(QByteArray("\x01\x02\x03", 3));
    error = ws.nextOfType(str("error"));
    QVERIFY(error);
    QCOMPARE(error->value("code").toString(), str("unsupported_frame"));

    // Still usable for real work.
    QVERIFY(ws.sync());
    QVERIFY(ws.isConnected());
    CHECKED(createPoll(str("after-errors"), {str("P"), str("Q")}));
    CHECKED(subscribe(ws, str("after-errors")));
    QCOMPARE(ws.unreadCount(str("error")), 0);
}

void TestLiveProtocol::subscriptionsPerConnectionAreBounded()
{
    QList<HttpRequest> creates;
    for (int i = 0; i <= 100; ++i)
        creates.append(
            HttpRequest{"POST", str("/api/v1/polls"),
                        QJsonDocument(pollBody(str("many-%1").arg(i), {str("A"), str("B")}))
                            .toJson(QJsonDocument::Compact)});
    for (const HttpResponse &created : m_http->sendAll(creates, 2))
        VERIFY_STATUS(created, 201);

    WsClient ws;
    CHECKED(open(ws));
    for (int i = 0; i < 100; ++i)
        ws.send(subscribePoll(str("many-%1").arg(i)));
    QVERIFY(ws.waitUntil([&] { return ws.unreadCount(str("results")) >= 100; }, 10000));
    ws.send(subscribePoll(str("many-100"), 77));
    const std::optional<QJsonObject> error = ws.nextOfType(str("error"));
    QVERIFY(error);
    QCOMPARE(error->value("code").toString(), str("too_many_subscriptions"));
    QCOMPARE(error->value("ref").toInt(), 77);
    // Dropping one makes room again.
    ws.send({{str("type"), str("unsubscribe")}, {str("poll_id"), str("many-0")}});
    CHECKED(subscribe(ws, str("many-100")));
}

void TestLiveProtocol::burstOfVotesIsCoalesced()
{
    constexpr int Votes = 500;
    CHECKED(createPoll(str("burst"), {str("A"), str("B"), str("C"), str("D")}));
    WsClient ws;
    CHECKED(open(ws));
    QJsonObject initial;
    CHECKED(subscribe(ws, str("burst"), &initial));
    QCOMPARE(initial.value("total").toInteger(), 0);
    const qsizetype firstIndex = ws.received().size();

    QString options;
    for (int i = 0; i < Votes; ++i)
        options.append(QChar(u'A' + i % 4));
    QElapsedTimer sending;
    sending.start();
    CHECKED(castRest(str("burst"), options));
    const qint64 sendMs = sending.elapsed();

    const std::optional<QJsonObject> last = ws.next(resultsWithTotal(str("burst"), Votes), 10000);
    QVERIFY2(last, qPrintable(str("no snapshot with total %1; last seen: %2")
                                  .arg(Votes)
                                  .arg(describe(ws.received().isEmpty() ? QJsonObject()
                                                                        : ws.received().last()))));
    QCOMPARE(last->value("results").toObject(), countsJson({125, 125, 125, 125}));
    // No change, no message: wait three intervals for a snapshot that must not come.
    const qsizetype seen = ws.received().size();
    ws.takeUnread(str("results"));
    if (ws.waitUntil([&] { return ws.unreadCount(str("results")) > 0; },
                     3 * LiveIntervalMs + 100)) {
        QStringList all;
        for (qsizetype i = 0; i < ws.received().size(); ++i)
            if (resultsFor(str("burst"))(ws.received()[i]))
                all.append((i < seen ? str("  ") : str("+ ")) + describe(ws.received()[i]));
        QFAIL(qPrintable(str("a snapshot arrived although the counts did not change:\n") +
                         all.join(u'\n')));
    }

    QList<QJsonObject> snapshots{initial};
    for (int i = int(firstIndex); i < seen; ++i) {
        if (resultsFor(str("burst"))(ws.received()[i])) {
            snapshots.append(ws.received()[i]);
        }
    }
    const int pushed = int(snapshots.size()) - 1;
    qInfo("%d votes sent in %lld ms; %d snapshots pushed (live interval %d ms)", Votes, sendMs,
          pushed, LiveIntervalMs);
    QVERIFY2(pushed >= 1 && pushed < 50,
             qPrintable(str("%1 snapshots for %2 votes").arg(pushed).arg(Votes)));
    QCOMPARE(snapshots.last().value("total").toInteger(), Votes);
    for (int i = 1; i < snapshots.size(); ++i) {
        const QJsonObject &before = snapshots[i - 1];
        const QJsonObject &after = snapshots[i];
        QVERIFY2(
            after.value("seq").toInteger() > before.value("seq").toInteger(),
            qPrintable(
                str("seq did not increase: %1 then %2").arg(describe(before), describe(after))));
        QVERIFY2(
            after.value("total").toInteger() >= before.value("total").toInteger(),
            qPrintable(str("total went back: %1 then %2").arg(describe(before), describe(after))));
        for (const QString &option : {str("A"), str("B"), str("C"), str("D")})
            QVERIFY(after.value("results").toObject().value(option).toInteger() >=
                    before.value("results").toObject().value(option).toInteger());
    }
    const HttpResponse rest = m_http->get(str("/api/v1/results/burst"));
    VERIFY_STATUS(rest, 200);
    QCOMPARE(rest.json.value("total").toInteger(), Votes);
}

void TestLiveProtocol::unchangedPollSendsOnlyTheInitialSnapshot()
{
    CHECKED(createPoll(str("quiet"), {str("A"), str("B")}));
    CHECKED(castRest(str("quiet"), str("AB")));
    WsClient ws;
    CHECKED(open(ws));
    QJsonObject snapshot;
    CHECKED(subscribe(ws, str("quiet"), &snapshot));
    QCOMPARE(snapshot.value("total").toInteger(), 2);
    const bool more =
        ws.waitUntil([&] { return ws.unreadCount(str("results")) > 0; }, 3 * LiveIntervalMs + 100);
    QVERIFY2(!more, qPrintable(str("after %1 came %2")
                                   .arg(describe(snapshot),
                                        describe(ws.takeUnread(str("results")).value(0)))));
}

QTEST_GUILESS_MAIN(TestLiveProtocol)
#include "tst_live_protocol.moc"
