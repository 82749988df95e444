#include "subscribergroup.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QSocketNotifier>

#include <arpa/inet.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

SubscriberGroup::SubscriberGroup(const Settings &settings, Shared &shared)
    : m_settings(settings), m_shared(shared), m_epoll(epoll_create1(EPOLL_CLOEXEC))
{
    m_latencyMs.reserve(size_t(settings.subscribers / std::max(1, settings.threads) + 1) *
                        size_t(settings.durationS) * 12);
    const QUrl ws = wsUrl(settings.url);
    m_address.sin_family = AF_INET;
    m_address.sin_port = htons(quint16(ws.port()));
    inet_pton(AF_INET, qPrintable(ws.host()), &m_address.sin_addr);
    m_handshake = "GET " + ws.path().toUtf8() + " HTTP/1.1\r\nHost: " + ws.authority().toUtf8() +
                  "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
                  "Sec-WebSocket-Version: 13\r\n\r\n";
    m_subscribe = clientFrame(
        0x1, QJsonDocument(QJsonObject{{QStringLiteral("type"), QStringLiteral("subscribe")},
                                       {QStringLiteral("poll_id"), settings.pollId}})
                 .toJson(QJsonDocument::Compact));
    m_events = new QSocketNotifier(m_epoll, QSocketNotifier::Read, this);
    connect(m_events, &QSocketNotifier::activated, this, &SubscriberGroup::onEvents);
}

SubscriberGroup::~SubscriberGroup()
{
    closeAll();
    ::close(m_epoll);
}

void SubscriberGroup::open(int count)
{
    for (int n = 0; n < count; ++n) {
        const size_t i = m_subscribers.size();
        m_subscribers.push_back({});
        Subscriber &s = m_subscribers[i];
        s.fd = ::socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        if (s.fd < 0) {
            gone(s);
            continue;
        }
        const int one = 1;
        setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        if (::connect(s.fd, reinterpret_cast<const sockaddr *>(&m_address), sizeof m_address) !=
                0 &&
            errno != EINPROGRESS) {
            gone(s);
            continue;
        }
        epoll_event event{};
        event.events = EPOLLOUT | EPOLLIN | EPOLLRDHUP;
        event.data.u64 = i;
        epoll_ctl(m_epoll, EPOLL_CTL_ADD, s.fd, &event);
    }
}

void SubscriberGroup::abandonPending()
{
    for (Subscriber &s : m_subscribers)
        if (!s.ready && !s.gone)
            gone(s);
}

int SubscriberGroup::behind(qint64 total) const
{
    int count = 0;
    for (const Subscriber &s : m_subscribers)
        if (s.ready && !s.gone && s.lastTotal < total)
            ++count;
    return count;
}

void SubscriberGroup::closeAll()
{
    for (Subscriber &s : m_subscribers) {
        s.closing = true; // not a drop: the run is over
        if (s.fd >= 0) {
            ::close(s.fd);
            s.fd = -1;
        }
        s.gone = true;
    }
}

QByteArray SubscriberGroup::clientFrame(int opcode, const QByteArray &payload)
{
    // Clients must mask; a zero mask keeps the payload as it is.
    QByteArray frame;
    frame.append(char(0x80 | opcode));
    if (payload.size() < 126) {
        frame.append(char(0x80 | payload.size()));
    } else {
        frame.append(char(0x80 | 126));
        frame.append(char(payload.size() >> 8));
        frame.append(char(payload.size() & 0xff));
    }
    frame.append(4, '\0');
    frame.append(payload);
    return frame;
}

void SubscriberGroup::gone(Subscriber &s)
{
    if (s.fd >= 0) {
        ::close(s.fd);
        s.fd = -1;
    }
    if (s.gone)
        return;
    s.gone = true;
    if (!s.closing)
        ++(s.ready ? dropped : failed);
}

bool SubscriberGroup::sendAll(Subscriber &s, const QByteArray &bytes)
{
    return ::send(s.fd, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL | MSG_DONTWAIT) ==
           bytes.size();
}

void SubscriberGroup::onEvents()
{
    epoll_event events[512];
    for (;;) {
        const int count = epoll_wait(m_epoll, events, 512, 0);
        for (int e = 0; e < count; ++e) {
            const size_t i = size_t(events[e].data.u64);
            if (i < m_subscribers.size() && !m_subscribers[i].gone)
                onSocket(m_subscribers[i], events[e].events);
        }
        if (count < 512)
            return;
    }
}

void SubscriberGroup::onSocket(Subscriber &s, quint32 events)
{
    if (!s.handshakeSent && (events & EPOLLOUT)) {
        int error = 0;
        socklen_t length = sizeof error;
        getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &error, &length);
        if (error != 0 || !sendAll(s, m_handshake)) {
            gone(s);
            return;
        }
        s.handshakeSent = true;
        epoll_event event{};
        event.events = EPOLLIN | EPOLLRDHUP;
        event.data.u64 = quint64(&s - m_subscribers.data());
        epoll_ctl(m_epoll, EPOLL_CTL_MOD, s.fd, &event);
    }
    if (events & (EPOLLIN | EPOLLRDHUP | EPOLLHUP | EPOLLERR))
        readFrom(s);
}

void SubscriberGroup::readFrom(Subscriber &s)
{
    for (;;) {
        const ssize_t got = ::recv(s.fd, m_buffer, sizeof m_buffer, 0);
        if (got == 0 || (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
            gone(s);
            return;
        }
        if (got < 0)
            return;
        const char *data = m_buffer;
        size_t size = size_t(got);
        if (!s.pending.isEmpty() || !s.open) {
            s.pending.append(m_buffer, got);
            data = s.pending.constData();
            size = size_t(s.pending.size());
        }
        size_t used = 0;
        if (!s.open) {
            const qsizetype end = s.pending.indexOf("\r\n\r\n");
            if (end < 0)
                continue;
            if (!s.pending.startsWith("HTTP/1.1 101")) {
                gone(s);
                return;
            }
            s.open = true;
            used = size_t(end + 4);
            if (!sendAll(s, m_subscribe)) {
                gone(s);
                return;
            }
        }
        used += readFrames(s, data + used, size - used);
        if (s.gone)
            return;
        if (data == m_buffer) {
            if (used < size)
                s.pending = QByteArray(data + used, qsizetype(size - used));
        } else {
            s.pending.remove(0, qsizetype(used));
        }
        if (size_t(got) < sizeof m_buffer)
            return;
    }
}

size_t SubscriberGroup::readFrames(Subscriber &s, const char *data, size_t size)
{
    size_t at = 0;
    while (size - at >= 2) {
        const auto *head = reinterpret_cast<const unsigned char *>(data + at);
        const int opcode = head[0] & 0x0f;
        quint64 length = head[1] & 0x7f;
        size_t header = 2;
        if (length == 126) {
            if (size - at < 4)
                break;
            length = (quint64(head[2]) << 8) | head[3];
            header = 4;
        } else if (length == 127) {
            if (size - at < 10)
                break;
            length = 0;
            for (int b = 0; b < 8; ++b)
                length = (length << 8) | head[2 + b];
            header = 10;
        }
        if (head[1] & 0x80) { // servers must not mask
            gone(s);
            return at;
        }
        if (size - at - header < length)
            break;
        const char *payload = data + at + header;
        at += header + size_t(length);
        ++frames;
        if (opcode == 0x1) {
            onText(s, std::string_view(payload, size_t(length)));
        } else if (opcode == 0x9) {
            sendAll(s, clientFrame(0xA, QByteArray(payload, qsizetype(length))));
        } else if (opcode == 0x8) {
            sendAll(s,
                    clientFrame(0x8, QByteArray(payload, qsizetype(std::min<quint64>(length, 2)))));
            gone(s);
            return at;
        }
    }
    return at;
}

qint64 SubscriberGroup::number(std::string_view text, std::string_view key)
{
    const size_t at = text.find(key);
    if (at == std::string_view::npos)
        return -1;
    qint64 value = 0;
    size_t i = at + key.size();
    if (i >= text.size() || text[i] < '0' || text[i] > '9')
        return -1;
    for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
        value = value * 10 + (text[i] - '0');
    return value;
}

qint64 SubscriberGroup::countsSum(std::string_view text)
{
    constexpr std::string_view key = "\"results\":{";
    const size_t at = text.find(key);
    if (at == std::string_view::npos)
        return -1;
    qint64 sum = 0;
    size_t i = at + key.size();
    while (i < text.size() && text[i] != '}') {
        const size_t colon = text.find(':', i);
        if (colon == std::string_view::npos)
            return -1;
        i = colon + 1;
        if (i >= text.size() || text[i] < '0' || text[i] > '9')
            return -1;
        qint64 value = 0;
        for (; i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
            value = value * 10 + (text[i] - '0');
        sum += value;
        if (i < text.size() && text[i] == ',')
            ++i;
    }
    return i < text.size() ? sum : -1;
}

void SubscriberGroup::onText(Subscriber &subscriber, std::string_view text)
{
    if (text.find("\"type\":\"results\"") == std::string_view::npos)
        return;
    const qint64 total = number(text, "\"total\":");
    const qint64 seq = number(text, "\"seq\":");
    if (total < 0 || seq < 0 || countsSum(text) != total) {
        ++badCounts;
        if (qEnvironmentVariableIsSet("FANOUT_DEBUG"))
            std::fprintf(stderr, "unreadable or inconsistent: %.*s\n", int(text.size()),
                         text.data());
        return;
    }
    const qint64 nowNs = m_shared.clock.nsecsElapsed();
    if (!subscriber.ready) {
        subscriber.ready = true;
        subscriber.lastTotal = total;
        subscriber.lastSeq = seq;
        ++ready;
        return;
    }
    ++delivered;
    if (seq <= subscriber.lastSeq) {
        ++seqErrors;
        if (qEnvironmentVariableIsSet("FANOUT_DEBUG"))
            std::fprintf(stderr, "seq %lld after %lld (subscriber %zu, at %.1f ms): %.*s\n", seq,
                         subscriber.lastSeq, size_t(&subscriber - m_subscribers.data()),
                         double(nowNs) / 1e6, int(text.size()), text.data());
    }
    subscriber.lastSeq = std::max(seq, subscriber.lastSeq);
    if (total <= subscriber.lastTotal) {
        ++(total == subscriber.lastTotal ? stale : backwards);
        if (total < subscriber.lastTotal && qEnvironmentVariableIsSet("FANOUT_DEBUG"))
            std::fprintf(stderr, "backwards: %lld after %lld: %.*s\n", total, subscriber.lastTotal,
                         int(text.size()), text.data());
        return;
    }
    const qint64 newest = std::min(total, qint64(m_shared.sentAtNs.size()) - 1);
    auto sentAt = [this](qint64 vote) {
        return m_shared.sentAtNs[size_t(vote)].load(std::memory_order_relaxed);
    };
    if (newest >= 1 && sentAt(newest) > 0)
        m_latencyMs.push_back(double(nowNs - sentAt(newest)) / 1e6);
    for (qint64 vote = std::max<qint64>(1, subscriber.lastTotal + 1); vote <= newest; ++vote)
        if (sentAt(vote) > 0)
            m_everyVote.add(double(nowNs - sentAt(vote)) / 1e6);
    subscriber.lastTotal = total;
}
