// Sends the votes at the requested rate from its own thread.
#pragma once

#include "settings.h"
#include "shared.h"

#include <QElapsedTimer>
#include <QObject>

#include <vector>

class QNetworkAccessManager;
class QTimer;
class QWebSocket;

class VoteSender : public QObject {
public:
    VoteSender(const Settings &settings, Shared &shared) : m_settings(settings), m_shared(shared) {}

    // Sender thread. Opens the voting WebSocket if asked; true when ready.
    bool prepare();

    // Sender thread. Sends what is due every 2 ms, so the rate holds even when late.
    void start();

    void stop();

private:
    void cast(qint64 number);

    const Settings &m_settings;
    Shared &m_shared;
    std::vector<QNetworkAccessManager *> m_pools;
    QWebSocket *m_voter = nullptr;
    QTimer *m_pacer = nullptr;
    QElapsedTimer m_phase;
};
