#pragma once

#include "httpclient.h"
#include "tallyprocess.h"
#include "wsclient.h"

#include <QJsonObject>
#include <QObject>
#include <QStringList>

#include <memory>

// The base of the live-update tests: one real tally process (embedded storage, results
// every LiveIntervalMs) for the whole test case, and the steps the tests repeat on it.
// The helpers fail the running test (QVERIFY); call them through CHECKED.
class LiveTestCase : public QObject {
protected:
    static constexpr int LiveIntervalMs = 200;

    void startServer();
    void stopServer();

    void open(WsClient &ws);
    void createPoll(const QString &id, const QStringList &options);
    void castRest(const QString &pollId, const QString &options);
    // Subscribes and returns the initial snapshot (checked to be for `pollId`).
    void subscribe(WsClient &ws, const QString &pollId, QJsonObject *snapshot = nullptr);

    std::unique_ptr<TallyProcess> m_server;
    std::unique_ptr<HttpClient> m_http;
};
