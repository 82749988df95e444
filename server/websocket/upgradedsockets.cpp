#include "upgradedsockets.h"

#include <QPointer>
#include <QTcpSocket>
#include <QWebSocket>
#include <vector>

namespace {
// Handshakes that fail are never taken: their sockets go away (the pointers turn null and
// are dropped), and the list never holds more than this many.
constexpr size_t MaxOffered = 4096;

std::vector<QPointer<QTcpSocket>> &offered()
{
    thread_local std::vector<QPointer<QTcpSocket>> sockets;
    return sockets;
}
} // namespace

void UpgradedSockets::offer(QTcpSocket *socket)
{
    std::vector<QPointer<QTcpSocket>> &sockets = offered();
    std::erase_if(sockets, [](const QPointer<QTcpSocket> &s) { return s.isNull(); });
    if (sockets.size() >= MaxOffered)
        sockets.erase(sockets.begin());
    sockets.emplace_back(socket);
}

QTcpSocket *UpgradedSockets::take(const QWebSocket &webSocket)
{
    std::vector<QPointer<QTcpSocket>> &sockets = offered();
    const quint16 peerPort = webSocket.peerPort();
    const quint16 localPort = webSocket.localPort();
    const QHostAddress peer = webSocket.peerAddress();
    for (auto it = sockets.begin(); it != sockets.end(); ++it) {
        QTcpSocket *socket = *it;
        if (socket && socket->peerPort() == peerPort && socket->localPort() == localPort &&
            socket->peerAddress() == peer) {
            sockets.erase(it);
            return socket;
        }
    }
    return nullptr;
}
