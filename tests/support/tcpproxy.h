#pragma once

#include <QByteArray>
#include <QString>
#include <memory>

class QThread;

// A loopback TCP proxy in front of a Redis node, for tests of what Pub/Sub does when the
// network misbehaves. Connections that subscribed (sent SUBSCRIBE) can be made half-open
// (nothing passes either way, the sockets stay open), or lose chosen messages: the
// node's answers are read as RESP values, and a message whose payload contains a
// marker is dropped whole, so the stream stays well formed. It relays on a thread of
// its own, so it keeps working while the test blocks (e.g. waiting for a server to start).
class TcpProxy {
public:
    explicit TcpProxy(quint16 targetPort);
    ~TcpProxy();
    TcpProxy(const TcpProxy &) = delete;
    TcpProxy &operator=(const TcpProxy &) = delete;

    bool listen();
    quint16 port() const { return m_port; }
    QString url() const;

    // Every subscribed connection stops passing bytes; returns how many there were.
    int blackholeSubscribers();
    // The next `count` messages to subscribers whose payload contains `marker` are dropped.
    void dropMessages(const QByteArray &marker, int count);
    // Messages dropped so far.
    int dropped() const;
    // Subscribed connections still open.
    int subscribers() const;
    // Cut: every connection is closed and new ones are closed at once, as when the node
    // is unreachable for the client; false lets connections through again.
    void setCut(bool cut);

private:
    class Relay;
    std::unique_ptr<QThread> m_thread;
    Relay *m_relay; // lives on m_thread
    quint16 m_port = 0;
};
