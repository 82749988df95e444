// tally_fanout: how fast do live results reach many WebSocket subscribers?
//
// Opens S subscribers to one poll (in batches: each batch waits for its initial
// snapshots before the next starts), then casts R votes per second for D seconds over
// REST (or over one WebSocket of its own) and stamps each vote with its send time.
// When a subscriber receives a snapshot with total t, the delivery latency is
// now - sendTime(vote number t): the time from the vote that brought the count to t to
// that count arriving. A second figure follows every vote: for each subscriber, the time
// from sending vote n to the first snapshot with a total of n or more. Reports p50, p90,
// p99 and max of both, snapshots per second delivered, connection failures, and whether
// every subscriber ends at the final count.
//
// Threads: votes are sent from a thread of their own (so a busy subscriber loop cannot
// delay them), subscribers are spread over --threads threads. On a small machine the
// tool and the server compete for the same cores; the figures include that.
// Each subscriber needs a file descriptor: the tool raises its soft RLIMIT_NOFILE to the
// hard limit (see `ulimit -Hn`); the server needs as many (`ulimit -n` before starting it).
#include <QCommandLineParser>
#include <QCoreApplication>
#include <QElapsedTimer>
#include <QEventLoop>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QNetworkAccessManager>
#include <QNetworkReply>
#include <QNetworkRequest>
#include <QSocketNotifier>
#include <QThread>
#include <QTimer>
#include <QWebSocket>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <cstdio>
#include <memory>
#include <string_view>
#include <vector>

namespace {

struct Settings {
    QUrl url;
    int subscribers = 1000;
    int rate = 200;
    int durationS = 10;
    int batch = 250;
    int threads = 1;
    int connectTimeoutMs = 15000;
    int drainMs = 10000;
    int restPools = 8; // QNetworkAccessManager opens at most 6 connections per host each
    bool voteOverWebSocket = false;
    QString pollId;
    int options = 4;
    QByteArray token;
};

// Latencies in 0.1 ms buckets up to 60 s: constant memory however many samples.
class Histogram {
public:
    void add(double ms)
    {
        const size_t bucket = std::min(m_counts.size() - 1, size_t(std::max(0.0, ms) * 10.0));
        ++m_counts[bucket];
        ++m_samples;
        m_max = std::max(m_max, ms);
    }
    void merge(const Histogram &other)
    {
        for (size_t i = 0; i < m_counts.size(); ++i)
            m_counts[i] += other.m_counts[i];
        m_samples += other.m_samples;
        m_max = std::max(m_max, other.m_max);
    }
    quint64 samples() const { return m_samples; }
    double max() const { return m_max; }
    double percentile(double p) const
    {
        if (m_samples == 0)
            return 0;
        const quint64 rank = std::min(m_samples - 1, quint64(p / 100.0 * double(m_samples)));
        quint64 seen = 0;
        for (size_t i = 0; i < m_counts.size(); ++i) {
            seen += m_counts[i];
            if (seen > rank)
                return double(i) / 10.0;
        }
        return m_max;
    }

private:
    std::vector<quint64> m_counts = std::vector<quint64>(600000);
    quint64 m_samples = 0;
    double m_max = 0;
};

// State shared by every thread.
struct Shared {
    explicit Shared(qint64 votes) : sentAtNs(size_t(votes + 1)) { clock.start(); }
    QElapsedTimer clock;
    std::vector<std::atomic<qint64>> sentAtNs; // index: vote number (1-based); 0 = not sent
    std::atomic<qint64> sent{0};
    std::atomic<qint64> accepted{0};
    std::atomic<qint64> rejected{0};
    std::atomic<qint64> answered{0};
};

QUrl wsUrl(const QUrl &base)
{
    QUrl url = base;
    url.setScheme(url.scheme() == u"https" ? QStringLiteral("wss") : QStringLiteral("ws"));
    url.setPath(QStringLiteral("/api/v1/ws"));
    return url;
}

QNetworkRequest jsonRequest(const Settings &settings, const QString &path)
{
    QUrl url = settings.url;
    url.setPath(path);
    QNetworkRequest request(url);
    request.setHeader(QNetworkRequest::ContentTypeHeader, QByteArrayLiteral("application/json"));
    if (!settings.token.isEmpty())
        request.setRawHeader("Authorization", "Bearer " + settings.token);
    return request;
}

QString compact(const QJsonObject &object)
{
    return QString::fromUtf8(QJsonDocument(object).toJson(QJsonDocument::Compact));
}

// Sends the votes at the requested rate from its own thread.
class VoteSender : public QObject {
public:
    VoteSender(const Settings &settings, Shared &shared) : m_settings(settings), m_shared(shared) {}

    // Sender thread. Opens the voting WebSocket if asked; true when ready.
    bool prepare()
    {
        if (!m_settings.voteOverWebSocket) {
            for (int i = 0; i < m_settings.restPools; ++i)
                m_pools.push_back(new QNetworkAccessManager(this));
            return true;
        }
        m_voter = new QWebSocket(QString(), QWebSocketProtocol::VersionLatest, this);
        connect(m_voter, &QWebSocket::textMessageReceived, this, [this](const QString &text) {
            if (text.contains(u"\"type\":\"ack\"")) {
                ++m_shared.accepted;
                ++m_shared.answered;
            } else if (text.contains(u"\"type\":\"error\"")) {
                ++m_shared.rejected;
                ++m_shared.answered;
            }
        });
        QEventLoop loop;
        connect(m_voter, &QWebSocket::connected, &loop, &QEventLoop::quit);
        connect(m_voter, &QWebSocket::disconnected, &loop, &QEventLoop::quit);
        QTimer::singleShot(10000, &loop, &QEventLoop::quit);
        m_voter->open(wsUrl(m_settings.url));
        loop.exec();
        return m_voter->state() == QAbstractSocket::ConnectedState;
    }

    // Sender thread. Sends what is due every 2 ms, so the rate holds even when late.
    void start()
    {
        m_phase.start();
        m_pacer = new QTimer(this);
        m_pacer->setTimerType(Qt::PreciseTimer);
        connect(m_pacer, &QTimer::timeout, this, [this] {
            const qint64 target = qint64(m_settings.rate) * m_settings.durationS;
            const qint64 due =
                std::min(target, m_phase.nsecsElapsed() * m_settings.rate / 1000000000);
            while (m_shared.sent.load() < due)
                cast(m_shared.sent.load() + 1);
            if (m_shared.sent.load() >= target)
                m_pacer->stop();
        });
        m_pacer->start(2);
    }

    void stop()
    {
        if (m_voter)
            m_voter->abort();
    }

private:
    void cast(qint64 number)
    {
        const QString option(QChar(u'A' + int(number % m_settings.options)));
        m_shared.sentAtNs[size_t(number)].store(m_shared.clock.nsecsElapsed());
        m_shared.sent.store(number);
        if (m_voter) {
            m_voter->sendTextMessage(compact({{QStringLiteral("type"), QStringLiteral("vote")},
                                              {QStringLiteral("poll_id"), m_settings.pollId},
                                              {QStringLiteral("option_id"), option},
                                              {QStringLiteral("ref"), number}}));
            return;
        }
        QNetworkAccessManager *pool = m_pools[size_t(number % qint64(m_pools.size()))];
        QNetworkReply *reply =
            pool->post(jsonRequest(m_settings, QStringLiteral("/api/v1/vote/") + m_settings.pollId),
                       compact({{QStringLiteral("option_id"), option}}).toUtf8());
        connect(reply, &QNetworkReply::finished, this, [this, reply] {
            if (reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt() == 202)
                ++m_shared.accepted;
            else
                ++m_shared.rejected;
            ++m_shared.answered;
            reply->deleteLater();
        });
    }

    const Settings &m_settings;
    Shared &m_shared;
    std::vector<QNetworkAccessManager *> m_pools;
    QWebSocket *m_voter = nullptr;
    QTimer *m_pacer = nullptr;
    QElapsedTimer m_phase;
};

// The subscribers of one thread, without QWebSocket: every frame the server sends is
// received and checked here, so this is the tool's hot path. Plain non-blocking sockets
// in one epoll set per thread (the thread's Qt event loop watches only the epoll
// descriptor), a minimal RFC 6455 client (handshake, unmasked text frames from the
// server, masked frames to it, ping/pong, close) and a results parser that reads the
// fields it checks straight from the UTF-8 bytes.
class SubscriberGroup : public QObject {
public:
    SubscriberGroup(const Settings &settings, Shared &shared)
        : m_settings(settings), m_shared(shared), m_epoll(epoll_create1(EPOLL_CLOEXEC))
    {
        m_latencyMs.reserve(size_t(settings.subscribers / std::max(1, settings.threads) + 1) *
                            size_t(settings.durationS) * 12);
        const QUrl ws = wsUrl(settings.url);
        m_address.sin_family = AF_INET;
        m_address.sin_port = htons(quint16(ws.port()));
        inet_pton(AF_INET, qPrintable(ws.host()), &m_address.sin_addr);
        m_handshake = "GET " + ws.path().toUtf8() +
                      " HTTP/1.1\r\nHost: " + ws.authority().toUtf8() +
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
    ~SubscriberGroup() override
    {
        closeAll();
        ::close(m_epoll);
    }

    std::atomic<int> ready{0};
    std::atomic<int> failed{0};
    std::atomic<int> dropped{0};

    // Group thread. Opens `count` more subscribers.
    void open(int count)
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

    // Group thread. Gives up on subscribers that are not ready yet.
    void abandonPending()
    {
        for (Subscriber &s : m_subscribers)
            if (!s.ready && !s.gone)
                gone(s);
    }

    // Group thread. Live subscribers whose last total is below `total`.
    int behind(qint64 total) const
    {
        int count = 0;
        for (const Subscriber &s : m_subscribers)
            if (s.ready && !s.gone && s.lastTotal < total)
                ++count;
        return count;
    }

    void closeAll()
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

    static QByteArray clientFrame(int opcode, const QByteArray &payload)
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

    void gone(Subscriber &s)
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

    // Small frames and the handshake fit an empty send buffer: a short write is a failure.
    bool sendAll(Subscriber &s, const QByteArray &bytes)
    {
        return ::send(s.fd, bytes.constData(), size_t(bytes.size()), MSG_NOSIGNAL | MSG_DONTWAIT) ==
               bytes.size();
    }

    void onEvents()
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

    void onSocket(Subscriber &s, quint32 events)
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

    void readFrom(Subscriber &s)
    {
        for (;;) {
            const ssize_t got = ::recv(s.fd, m_buffer, sizeof m_buffer, 0);
            if (got == 0 ||
                (got < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)) {
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

    // Handles every whole frame in [data, data + size); returns the bytes used.
    size_t readFrames(Subscriber &s, const char *data, size_t size)
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
                sendAll(s, clientFrame(
                               0x8, QByteArray(payload, qsizetype(std::min<quint64>(length, 2)))));
                gone(s);
                return at;
            }
        }
        return at;
    }

    // The digits after `"key":` in `text`, or -1.
    static qint64 number(std::string_view text, std::string_view key)
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

    // Sum of the option counts of `"results":{"A":1,...}`, or -1 when unreadable.
    static qint64 countsSum(std::string_view text)
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

    void onText(Subscriber &subscriber, std::string_view text)
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
                std::fprintf(stderr, "seq %lld after %lld (subscriber %zu, at %.1f ms): %.*s\n",
                             seq, subscriber.lastSeq, size_t(&subscriber - m_subscribers.data()),
                             double(nowNs) / 1e6, int(text.size()), text.data());
        }
        subscriber.lastSeq = std::max(seq, subscriber.lastSeq);
        if (total <= subscriber.lastTotal) {
            ++(total == subscriber.lastTotal ? stale : backwards);
            if (total < subscriber.lastTotal && qEnvironmentVariableIsSet("FANOUT_DEBUG"))
                std::fprintf(stderr, "backwards: %lld after %lld: %.*s\n", total,
                             subscriber.lastTotal, int(text.size()), text.data());
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

double percentile(const std::vector<double> &sorted, double p)
{
    if (sorted.empty())
        return 0;
    return sorted[std::min(sorted.size() - 1, size_t(p / 100.0 * double(sorted.size())))];
}

rlim_t raiseFileLimit()
{
    rlimit limit{};
    if (getrlimit(RLIMIT_NOFILE, &limit) != 0)
        return 0;
    if (limit.rlim_cur < limit.rlim_max) {
        limit.rlim_cur = limit.rlim_max;
        setrlimit(RLIMIT_NOFILE, &limit);
        getrlimit(RLIMIT_NOFILE, &limit);
    }
    return limit.rlim_cur;
}

// Runs `call` on `object`'s thread and waits for it.
template <typename Object, typename Call> void onThreadOf(Object *object, Call call)
{
    QMetaObject::invokeMethod(
        object, [object, call] { call(object); }, Qt::BlockingQueuedConnection);
}

// The main thread has no sockets of its own: waiting is polling shared counters.
bool waitUntil(const std::function<bool()> &done, int timeoutMs)
{
    QElapsedTimer elapsed;
    elapsed.start();
    while (!done()) {
        if (elapsed.elapsed() >= timeoutMs)
            return false;
        QThread::msleep(5);
    }
    return true;
}

bool createPoll(const Settings &settings)
{
    QJsonArray options;
    for (int i = 0; i < settings.options; ++i)
        options.append(QStringLiteral("Option %1").arg(i + 1));
    QNetworkAccessManager http;
    QNetworkReply *reply =
        http.post(jsonRequest(settings, QStringLiteral("/api/v1/polls")),
                  compact({{QStringLiteral("id"), settings.pollId},
                           {QStringLiteral("question"), QStringLiteral("Fan-out benchmark")},
                           {QStringLiteral("theme"), QStringLiteral("bench")},
                           {QStringLiteral("options"), options}})
                      .toUtf8());
    QEventLoop loop;
    QObject::connect(reply, &QNetworkReply::finished, &loop, &QEventLoop::quit);
    QTimer::singleShot(10000, &loop, &QEventLoop::quit);
    loop.exec();
    const int status = reply->attribute(QNetworkRequest::HttpStatusCodeAttribute).toInt();
    const QByteArray answer = reply->readAll();
    delete reply;
    if (status != 201) {
        std::fprintf(stderr, "tally_fanout: creating poll %s answered %d: %s\n",
                     qPrintable(settings.pollId), status, answer.left(300).constData());
        return false;
    }
    return true;
}

int run(const Settings &settings)
{
    if (!createPoll(settings))
        return 1;
    const qint64 target = qint64(settings.rate) * settings.durationS;
    Shared shared(target);

    std::vector<std::unique_ptr<QThread>> threads;
    auto startThread = [&threads](QObject *object) {
        threads.push_back(std::make_unique<QThread>());
        object->moveToThread(threads.back().get());
        threads.back()->start();
    };
    std::vector<std::unique_ptr<SubscriberGroup>> groups;
    for (int t = 0; t < settings.threads; ++t) {
        groups.push_back(std::make_unique<SubscriberGroup>(settings, shared));
        startThread(groups.back().get());
    }
    VoteSender sender(settings, shared);
    startThread(&sender);

    // Subscribers, a batch at a time, spread over the groups.
    auto settled = [&] {
        int count = 0;
        for (const auto &group : groups)
            count += group->ready.load() + group->failed.load();
        return count;
    };
    QElapsedTimer connecting;
    connecting.start();
    for (int first = 0; first < settings.subscribers; first += settings.batch) {
        const int count = std::min(settings.batch, settings.subscribers - first);
        for (int t = 0; t < settings.threads; ++t) {
            const int share = count / settings.threads + (t < count % settings.threads ? 1 : 0);
            onThreadOf(groups[size_t(t)].get(), [share](SubscriberGroup *g) { g->open(share); });
        }
        if (!waitUntil([&] { return settled() >= first + count; }, settings.connectTimeoutMs))
            for (auto &group : groups)
                onThreadOf(group.get(), [](SubscriberGroup *g) { g->abandonPending(); });
    }
    int ready = 0, failures = 0;
    for (const auto &group : groups) {
        ready += group->ready.load();
        failures += group->failed.load();
    }
    std::printf(
        "subscribers: %d ready, %d failed to connect, in %lld ms (batches of %d, %d thread%s)\n",
        ready, failures, connecting.elapsed(), settings.batch, settings.threads,
        settings.threads == 1 ? "" : "s");
    std::fflush(stdout);

    bool prepared = false;
    onThreadOf(&sender, [&prepared](VoteSender *s) { prepared = s->prepare(); });
    if (!prepared) {
        std::fprintf(stderr, "tally_fanout: the voting WebSocket did not connect\n");
        return 1;
    }

    // Votes, then every answer, then every subscriber at the final count.
    QElapsedTimer phase;
    phase.start();
    onThreadOf(&sender, [](VoteSender *s) { s->start(); });
    waitUntil([&] { return shared.sent.load() >= target; }, settings.durationS * 1000 + 5000);
    const qint64 sendMs = phase.elapsed();
    waitUntil([&] { return shared.answered.load() >= shared.sent.load(); }, 30000);
    const qint64 answerMs = phase.elapsed();
    const qint64 finalTotal = shared.accepted.load();
    auto behind = [&] {
        int count = 0;
        for (auto &group : groups)
            onThreadOf(group.get(), [&count, finalTotal](SubscriberGroup *g) {
                count += g->behind(finalTotal);
            });
        return count;
    };
    QElapsedTimer drain;
    drain.start();
    waitUntil([&] { return behind() == 0; }, settings.drainMs);
    const qint64 drainMs = drain.elapsed();
    const double windowS = double(phase.elapsed()) / 1000.0;
    const int stillBehind = behind();

    onThreadOf(&sender, [](VoteSender *s) { s->stop(); });
    std::vector<double> latencies;
    Histogram everyVote;
    qint64 delivered = 0, stale = 0, backwards = 0, seqErrors = 0, badCounts = 0, frames = 0;
    int dropped = 0;
    ready = 0;
    for (auto &group : groups) {
        onThreadOf(group.get(), [](SubscriberGroup *g) { g->closeAll(); });
        latencies.insert(latencies.end(), group->m_latencyMs.begin(), group->m_latencyMs.end());
        everyVote.merge(group->m_everyVote);
        delivered += group->delivered;
        stale += group->stale;
        backwards += group->backwards;
        seqErrors += group->seqErrors;
        badCounts += group->badCounts;
        frames += group->frames;
        dropped += group->dropped.load();
        ready += group->ready.load();
    }
    const int live = ready - dropped;
    const int converged = live - stillBehind;
    std::sort(latencies.begin(), latencies.end());
    const double p50 = percentile(latencies, 50), p90 = percentile(latencies, 90),
                 p99 = percentile(latencies, 99), max = latencies.empty() ? 0 : latencies.back();
    const double perSecond = double(delivered) / windowS;
    std::printf("votes: %lld sent in %lld ms (%s), %lld accepted, %lld refused, last answer after "
                "%lld ms\n",
                shared.sent.load(), sendMs, settings.voteOverWebSocket ? "WebSocket" : "REST",
                shared.accepted.load(), shared.rejected.load(), answerMs);
    std::printf(
        "snapshots delivered: %lld (%.0f/s over %.1f s, %.1f per subscriber); %lld repeated the "
        "last total, %lld went backwards, %lld did not raise seq, %lld had counts not adding up "
        "to their total (%lld frames in all)\n",
        delivered, perSecond, windowS, live > 0 ? double(delivered) / live : 0.0, stale, backwards,
        seqErrors, badCounts, frames);
    std::printf("latency vote -> snapshot with its total: p50 %.1f ms, p90 %.1f ms, p99 %.1f ms, "
                "max %.1f ms "
                "(%zu samples)\n",
                p50, p90, p99, max, latencies.size());
    std::printf("latency vote -> first snapshot showing it, every vote and subscriber: p50 %.1f "
                "ms, p90 %.1f ms, "
                "p99 %.1f ms, max %.1f ms (%llu samples)\n",
                everyVote.percentile(50), everyVote.percentile(90), everyVote.percentile(99),
                everyVote.max(), static_cast<unsigned long long>(everyVote.samples()));
    std::printf(
        "converged: %d of %d live subscribers show all %lld votes (%lld ms after the last answer); "
        "%d dropped during the run\n",
        converged, live, finalTotal, drainMs, dropped);
    std::printf(
        "RESULT subscribers=%d ready=%d connect_failures=%d dropped=%d votes=%lld accepted=%lld "
        "p50_ms=%.1f p90_ms=%.1f p99_ms=%.1f max_ms=%.1f msgs_per_s=%.0f converged=%d "
        "vote_p50_ms=%.1f vote_p99_ms=%.1f repeated=%lld backwards=%lld seq_errors=%lld "
        "bad_counts=%lld\n",
        settings.subscribers, live, failures, dropped, shared.sent.load(), shared.accepted.load(),
        p50, p90, p99, max, perSecond, converged, everyVote.percentile(50),
        everyVote.percentile(99), stale, backwards, seqErrors, badCounts);
    std::fflush(stdout);

    for (auto &thread : threads) {
        thread->quit();
        thread->wait();
    }
    return 0;
}

} // namespace

int main(int argc, char **argv)
{
    // Qt's default (GLib) event dispatcher registers and unregisters socket notifiers
    // in linear lists: with thousands of sockets per thread that dominates the profile.
    // The plain UNIX dispatcher does not; it must be chosen before the application object.
    if (!qEnvironmentVariableIsSet("QT_NO_GLIB"))
        qputenv("QT_NO_GLIB", "1");
    QCoreApplication app(argc, argv);
    QCoreApplication::setApplicationName(QStringLiteral("tally_fanout"));
    QCommandLineParser parser;
    parser.setApplicationDescription(QStringLiteral(
        "Live fan-out benchmark: S WebSocket subscribers on one poll, R votes/s for D seconds; "
        "reports vote-to-snapshot latency. Raise `ulimit -n` for large S (the tool raises its soft "
        "limit to the hard one)."));
    parser.addHelpOption();
    const QCommandLineOption url({QStringLiteral("u"), QStringLiteral("url")},
                                 QStringLiteral("Server base URL."), QStringLiteral("url"),
                                 QStringLiteral("http://127.0.0.1:8000"));
    const QCommandLineOption subscribers({QStringLiteral("s"), QStringLiteral("subscribers")},
                                         QStringLiteral("WebSocket subscribers."),
                                         QStringLiteral("n"), QStringLiteral("1000"));
    const QCommandLineOption rate({QStringLiteral("r"), QStringLiteral("rate")},
                                  QStringLiteral("Votes per second."), QStringLiteral("n"),
                                  QStringLiteral("200"));
    const QCommandLineOption duration({QStringLiteral("d"), QStringLiteral("duration")},
                                      QStringLiteral("Seconds of voting."), QStringLiteral("s"),
                                      QStringLiteral("10"));
    const QCommandLineOption batch(QStringLiteral("batch"),
                                   QStringLiteral("Subscribers connected at a time."),
                                   QStringLiteral("n"), QStringLiteral("250"));
    const QCommandLineOption threads(QStringLiteral("threads"),
                                     QStringLiteral("Threads for the subscribers."),
                                     QStringLiteral("n"), QStringLiteral("1"));
    const QCommandLineOption drain(
        QStringLiteral("drain"),
        QStringLiteral("Seconds to wait for every subscriber to show the final count."),
        QStringLiteral("s"), QStringLiteral("10"));
    const QCommandLineOption voteWs(
        QStringLiteral("vote-ws"),
        QStringLiteral("Vote over a WebSocket of its own instead of REST."));
    const QCommandLineOption poll(QStringLiteral("poll"),
                                  QStringLiteral("Poll id to create (default: fanout-<pid>)."),
                                  QStringLiteral("id"));
    const QCommandLineOption options(QStringLiteral("options"),
                                     QStringLiteral("Options of the poll (2-10)."),
                                     QStringLiteral("n"), QStringLiteral("4"));
    const QCommandLineOption token(QStringLiteral("token"),
                                   QStringLiteral("Admin token, to create the poll."),
                                   QStringLiteral("token"));
    parser.addOptions(
        {url, subscribers, rate, duration, batch, threads, drain, voteWs, poll, options, token});
    parser.process(app);

    Settings settings;
    settings.url = QUrl(parser.value(url));
    settings.subscribers = std::max(1, parser.value(subscribers).toInt());
    settings.rate = std::max(1, parser.value(rate).toInt());
    settings.durationS = std::max(1, parser.value(duration).toInt());
    settings.batch = std::max(1, parser.value(batch).toInt());
    settings.threads = std::clamp(parser.value(threads).toInt(), 1, 64);
    settings.drainMs = std::max(0, parser.value(drain).toInt()) * 1000;
    settings.voteOverWebSocket = parser.isSet(voteWs);
    settings.pollId = parser.isSet(poll)
                          ? parser.value(poll)
                          : QStringLiteral("fanout-%1").arg(QCoreApplication::applicationPid());
    settings.options = std::clamp(parser.value(options).toInt(), 2, 10);
    settings.token = parser.value(token).toUtf8();
    if (!settings.url.isValid() || settings.url.port() <= 0) {
        std::fprintf(stderr, "tally_fanout: give --url http://host:port\n");
        return 2;
    }

    const rlim_t files = raiseFileLimit();
    std::printf(
        "tally_fanout: %d subscribers, %d votes/s for %d s over %s against %s (file limit %llu)\n",
        settings.subscribers, settings.rate, settings.durationS,
        settings.voteOverWebSocket ? "WebSocket" : "REST", qPrintable(settings.url.toString()),
        static_cast<unsigned long long>(files));
    if (files != RLIM_INFINITY && rlim_t(settings.subscribers) + 64 > files)
        std::fprintf(
            stderr,
            "tally_fanout: warning: %d subscribers need more descriptors than the limit %llu; "
            "raise it with `ulimit -n` (hard limit: `ulimit -Hn`)\n",
            settings.subscribers, static_cast<unsigned long long>(files));
    std::fflush(stdout);
    return run(settings);
}
