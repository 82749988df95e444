#pragma once

#include <QJsonObject>
#include <QObject>
#include <QString>

class QTimer;
class ServerClient;

// "Create a sample poll": an ordinary poll whose question says it is a sample, plus a
// short trickle of votes so that a new user sees the charts move within seconds.
class SamplePoll : public QObject {
    Q_OBJECT
public:
    static constexpr int Rounds = 40; // vote requests after the poll exists
    static constexpr int RoundIntervalMs = 250;
    static constexpr int VotesPerRound = 5;

    explicit SamplePoll(ServerClient *client, QObject *parent = nullptr);

    // Creates the poll (id "sample", or "sample-2", … when taken) and starts the votes.
    void create();
    QString pollId() const { return m_pollId; }
    static QString question();
    static QStringList options();

Q_SIGNALS:
    void created(const QJsonObject &poll);
    void failed(const QString &message);
    // Every vote was sent (or the server stopped answering).
    void finished();

private:
    void tryCreate(int attempt);
    void sendRound();

    ServerClient *m_client;
    QTimer *m_timer;
    QString m_pollId;
    int m_round = 0;
};
