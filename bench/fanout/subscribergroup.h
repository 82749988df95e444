#pragma once

#include "histogram.h"
#include "settings.h"
#include "shared.h"

#include <QByteArray>
#include <QObject>

#include <netinet/in.h>

#include <atomic>
#include <string_view>
#include <vector>

class QSocketNotifier;

// The subscribers of one thread, without QWebSocket: every frame the server sends is
// received and checked here, so this is the tool's hot path. Plain non-blocking sockets
// in one epoll set per thread (the thread's Qt event loop watches only the epoll
// descriptor), a minimal RFC 6455 client (handshake, unmasked text frames from the
// server, masked frames to it, ping/pong, close) and a results parser that reads the
// fields it checks straight from the UTF-8 bytes.
class SubscriberGroup : public QObject {
public:
    SubscriberGroup(const Settings &settings, Shared &shared);
    ~SubscriberGroup() override;

    std::atomic<int> ready{0};
    std::atomic<int> failed{0};
    std::atomic<int> dropped{0};

    // Group thread. Opens `count` more subscribers.
    void open(int count);

    // Group thread. Gives up on subscribers that are not ready yet.
    void abandonPending();

    // Group thread. Live subscribers whose last total is below `total`.
    int behind(qint64 total) const;

    void closeAll();

    qint64 delivered = 0;
    qint64 stale = 0;     // snapshots that repeated a subscriber's last total
    qint64 backwards = 0; // snapshots with a lower total than one already received
    qint64 seqErrors = 0; // snapshots whose seq did not grow
    qint64 badCounts =
        0;             // snapshots whose option counts do not add up to their total, or unreadable
    qint64 frames = 0; // every frame received, whatever its type
    std::vector<double> m_latencyMs;
    Histogram m_everyVote;

private:
    struct Subscriber {
        int fd = -1;
        bool handshakeSent = false;
        bool open = false; // the handshake is answered
        bool ready = false;
        bool gone = false;
        bool closing = false;
        qint64 lastTotal = -1;
        qint64 lastSeq = -1;
        QByteArray pending; // received bytes not yet a whole frame (or the handshake answer)
    };

    static QByteArray clientFrame(int opcode, const QByteArray &payload);

    void gone(Subscriber &s);

    // Small frames and the handshake fit an empty send buffer: a short write is a failure.
    bool sendAll(Subscriber &s, const QByteArray &bytes);

    void onEvents();

    void onSocket(Subscriber &s, quint32 events);

    void readFrom(Subscriber &s);

    // Handles every whole frame in [data, data + size); returns the bytes used.
    size_t readFrames(Subscriber &s, const char *data, size_t size);

    // The digits after `"key":` in `text`, or -1.
    static qint64 number(std::string_view text, std::string_view key);

    // Sum of the option counts of `"results":{"A":1,...}`, or -1 when unreadable.
    static qint64 countsSum(std::string_view text);

    void onText(Subscriber &subscriber, std::string_view text);

    const Settings &m_settings;
    Shared &m_shared;
    int m_epoll;
    QSocketNotifier *m_events = nullptr;
    sockaddr_in m_address{};
    QByteArray m_handshake;
    QByteArray m_subscribe;
    char m_buffer[64 * 1024];
    std::vector<Subscriber> m_subscribers; // it grows: epoll keeps indexes, not references
};
