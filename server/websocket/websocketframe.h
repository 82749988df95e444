#pragma once

#include <QByteArray>
#include <QByteArrayView>

// A whole unmasked WebSocket text frame (RFC 6455, what a server sends): the header and
// the payload in one buffer, so a live message is framed once and the same bytes go to
// every subscriber's socket.
class WebSocketFrame {
public:
    static QByteArray text(QByteArrayView payload);
    // The payload of a frame made by text().
    static QByteArrayView payload(const QByteArray &frame);
};
