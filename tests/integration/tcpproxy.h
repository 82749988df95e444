#pragma once

#include <QByteArray>
#include <QList>
#include <QObject>
#include <QTcpServer>
#include <memory>

class QTcpSocket;

// A loopback TCP proxy in front of a Redis node, for tests of what Pub/Sub does when the
// network misbehaves. Connections that subscribed (sent SUBSCRIBE) can be made half-open
// (nothing passes either way, the sockets stay open), or lose chosen messages: the
// node's answers are read as RESP values, and a message whose payload contains a
// marker is dropped whole, so the stream stays well formed. Runs on the test's event
// loop, which HttpClient and WsClient waits keep turning.
class TcpProxy : public QObject {
    Q_OBJECT
public:
    explicit TcpProxy(quint16 targetPort, QObject *parent = nullptr);
    ~TcpProxy() override;

    bool listen();
    quint16 port() const { return m_server.serverPort(); }
    QString url() const;

    // Every subscribed connection stops passing bytes; returns how many there were.
    int blackholeSubscribers();
    // The next `count` messages to subscribers whose payload contains `marker` are dropped.
    void dropMessages(const QByteArray &marker, int count);
    int dropped() const { return m_dropped; }
    int subscribers() const;

private:
    struct Link {
        QTcpSocket *client = nullptr;
        QTcpSocket *server = nullptr;
        bool subscriber = false;
        bool blackholed = false;
        QByteArray fromServer; // not yet forwarded (an incomplete RESP value)
    };
    void accept();
    void forwardToServer(Link *link);
    void forwardToClient(Link *link);

    QTcpServer m_server;
    quint16 m_targetPort;
    std::vector<std::unique_ptr<Link>> m_links;
    QByteArray m_dropMarker;
    int m_dropBudget = 0;
    int m_dropped = 0;
};
