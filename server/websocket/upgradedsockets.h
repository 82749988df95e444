#pragma once

class QTcpSocket;
class QWebSocket;

// The TCP sockets of WebSocket handshakes under way on the calling thread. QWebSocket does
// not expose the connection it was upgraded from; the hub finds it here, to write live
// frames to it directly (see LiveSession::sendFrame).
class UpgradedSockets {
public:
    // The socket's thread: its handshake request goes to QHttpServer now.
    static void offer(QTcpSocket *socket);
    // The same thread: the socket `webSocket` was upgraded from, taken off the list; null
    // when it was not offered.
    static QTcpSocket *take(const QWebSocket &webSocket);
};
