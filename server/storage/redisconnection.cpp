#include "redisconnection.h"

#include <QHostAddress>
#include <QHostInfo>
#include <QSocketNotifier>
#include <QTimer>

#include <cstring>

#include <hiredis/async.h>
#include <hiredis/hiredis.h>

namespace {

RedisReply copyReply(const redisReply *reply)
{
    RedisReply copy;
    switch (reply->type) {
    case REDIS_REPLY_STRING:
        copy.type = RedisReply::Type::String;
        copy.text = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_STATUS:
        copy.type = RedisReply::Type::Status;
        copy.text = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_ERROR:
        copy.type = RedisReply::Type::Error;
        copy.text = QByteArray(reply->str, qsizetype(reply->len));
        break;
    case REDIS_REPLY_INTEGER:
        copy.type = RedisReply::Type::Integer;
        copy.integer = reply->integer;
        break;
    case REDIS_REPLY_ARRAY:
        copy.type = RedisReply::Type::Array;
        for (size_t i = 0; i < reply->elements; ++i)
            copy.elements.append(copyReply(reply->element[i]));
        break;
    default:
        copy.type = RedisReply::Type::Nil;
    }
    return copy;
}

RedisConnection *owner(const redisAsyncContext *context)
{
    return static_cast<RedisConnection *>(context->data);
}

} // namespace

RedisConnection::RedisConnection(const QString &host, quint16 port, int connectTimeoutMs,
                                 int commandTimeoutMs, QObject *parent)
    : QObject(parent), m_host(host), m_port(port), m_connectTimeoutMs(connectTimeoutMs),
      m_commandTimeoutMs(commandTimeoutMs), m_deadlineTimer(new QTimer(this))
{
    m_clock.start();
    m_deadlineTimer->setInterval(std::max(10, std::min(connectTimeoutMs, commandTimeoutMs) / 4));
    connect(m_deadlineTimer, &QTimer::timeout, this, &RedisConnection::checkDeadlines);
}

RedisConnection::~RedisConnection()
{
    if (m_context) {
        // Handlers must not call back into a half-destroyed object.
        m_pending.clear();
        redisAsyncContext *context = m_context;
        m_context = nullptr;
        context->data = nullptr;
        redisAsyncFree(context);
    }
}

void RedisConnection::open()
{
    m_openedAt.start();
    // redisAsyncConnect resolves names synchronously: callers pass an IP address.
    m_context = redisAsyncConnect(m_host.toLatin1().constData(), m_port);
    if (!m_context || m_context->err) {
        const QString reason =
            m_context ? QString::fromLatin1(m_context->errstr) : QStringLiteral("out of memory");
        if (m_context)
            redisAsyncFree(m_context);
        m_context = nullptr;
        QTimer::singleShot(0, this, [this, reason] { finish(reason); });
        return;
    }
    m_context->data = this;
    m_context->ev.data = this;
    m_context->ev.addRead = &RedisConnection::addRead;
    m_context->ev.delRead = &RedisConnection::delRead;
    m_context->ev.addWrite = &RedisConnection::addWrite;
    m_context->ev.delWrite = &RedisConnection::delWrite;
    m_context->ev.cleanup = &RedisConnection::cleanup;
    redisAsyncSetConnectCallback(m_context, &RedisConnection::onConnect);
    redisAsyncSetDisconnectCallback(m_context, &RedisConnection::onDisconnect);
    // hiredis asked for write interest before the hooks existed.
    addWrite(this);
    m_deadlineTimer->start();
}

void RedisConnection::command(const QList<QByteArray> &arguments, Handler handler)
{
    if (!m_context || m_finished) {
        QTimer::singleShot(0, this, [handler] { handler(std::nullopt); });
        return;
    }
    std::vector<const char *> argv;
    std::vector<size_t> lengths;
    argv.reserve(size_t(arguments.size()));
    lengths.reserve(size_t(arguments.size()));
    for (const QByteArray &argument : arguments) {
        argv.push_back(argument.constData());
        lengths.push_back(size_t(argument.size()));
    }
    const quint64 id = m_nextId++;
    m_pending.insert(id, Pending{std::move(handler), m_clock.elapsed()});
    if (redisAsyncCommandArgv(m_context, &RedisConnection::onReply, reinterpret_cast<void *>(id),
                              int(argv.size()), argv.data(), lengths.data()) != REDIS_OK) {
        Handler failed = m_pending.take(id).handler;
        QTimer::singleShot(0, this, [failed] { failed(std::nullopt); });
    }
}

void RedisConnection::subscribe(const QByteArray &channel,
                                std::function<void(const QByteArray &)> onMessage,
                                std::function<void()> onSubscribed)
{
    if (!m_context || m_finished)
        return;
    const quint64 id = m_nextId++;
    m_subscriptions.insert(id, Subscription{std::move(onMessage), std::move(onSubscribed)});
    const char *argv[] = {"SUBSCRIBE", channel.constData()};
    const size_t lengths[] = {9, size_t(channel.size())};
    redisAsyncCommandArgv(m_context, &RedisConnection::onReply, reinterpret_cast<void *>(id), 2,
                          argv, lengths);
}

void RedisConnection::abort(const QString &reason)
{
    if (m_finished)
        return;
    m_failure = reason;
    if (m_context) {
        redisAsyncContext *context = m_context;
        m_context = nullptr;
        // Pending callbacks get NULL replies from inside this call.
        redisAsyncFree(context);
    }
    finish(reason);
}

void RedisConnection::checkDeadlines()
{
    if (m_finished)
        return;
    if (!m_connected) {
        if (m_openedAt.elapsed() > m_connectTimeoutMs)
            abort(QStringLiteral("connect timed out after %1 ms").arg(m_connectTimeoutMs));
        return;
    }
    const qint64 now = m_clock.elapsed();
    for (const Pending &pending : std::as_const(m_pending)) {
        if (now - pending.sentAtMs > m_commandTimeoutMs) {
            abort(QStringLiteral("no reply within %1 ms").arg(m_commandTimeoutMs));
            return;
        }
    }
}

void RedisConnection::finish(const QString &reason)
{
    if (m_finished)
        return;
    m_finished = true;
    m_connected = false;
    m_deadlineTimer->stop();
    // Anything still pending will never be answered.
    const QHash<quint64, Pending> pending = std::exchange(m_pending, {});
    for (const Pending &item : pending)
        item.handler(std::nullopt);
    Q_EMIT disconnected(reason);
}

void RedisConnection::onConnect(const redisAsyncContext *context, int status)
{
    RedisConnection *self = owner(context);
    if (!self)
        return;
    if (status != REDIS_OK) {
        // hiredis frees the context after this callback.
        self->m_context = nullptr;
        const QString reason = QString::fromLatin1(context->errstr);
        QTimer::singleShot(0, self, [self, reason] { self->finish(reason); });
        return;
    }
    // A stopped or wedged server's kernel still completes the TCP handshake (listen
    // backlog), so an open socket proves nothing: the node counts as connected once it
    // answers a PING. Until then the connect timeout applies.
    if (redisAsyncCommand(self->m_context, &RedisConnection::onHandshake, nullptr, "PING") !=
        REDIS_OK)
        QTimer::singleShot(0, self, [self] { self->abort(QStringLiteral("cannot send PING")); });
}

void RedisConnection::onHandshake(redisAsyncContext *context, void *reply, void *)
{
    RedisConnection *self = owner(context);
    // No reply: the context is being freed, and finish() reports why.
    if (!self || !reply || self->m_finished)
        return;
    const auto *answer = static_cast<const redisReply *>(reply);
    if (answer->type == REDIS_REPLY_ERROR) {
        // E.g. -LOADING while the server reads its data set: not usable yet.
        const QString reason = QStringLiteral("PING answered: %1")
                                   .arg(QString::fromLatin1(answer->str, qsizetype(answer->len)));
        QTimer::singleShot(0, self, [self, reason] { self->abort(reason); });
        return;
    }
    self->m_connected = true;
    Q_EMIT self->connected();
}

void RedisConnection::onDisconnect(const redisAsyncContext *context, int status)
{
    RedisConnection *self = owner(context);
    if (!self)
        return;
    self->m_context = nullptr;
    QString reason = self->m_failure;
    if (reason.isEmpty())
        reason =
            status == REDIS_OK ? QStringLiteral("closed") : QString::fromLatin1(context->errstr);
    // Defer: we are inside hiredis, which is about to free the context.
    QTimer::singleShot(0, self, [self, reason] { self->finish(reason); });
}

void RedisConnection::onReply(redisAsyncContext *context, void *reply, void *privdata)
{
    RedisConnection *self = owner(context);
    if (!self)
        return;
    const quint64 id = reinterpret_cast<quint64>(privdata);
    // Subscription callbacks stay registered: hiredis calls them for every message.
    const auto subscription = self->m_subscriptions.constFind(id);
    if (subscription != self->m_subscriptions.cend()) {
        const auto *message = static_cast<redisReply *>(reply);
        if (!message || message->type != REDIS_REPLY_ARRAY || message->elements != 3 ||
            message->element[0]->type != REDIS_REPLY_STRING)
            return;
        const char *kind = message->element[0]->str;
        if (std::strcmp(kind, "message") == 0 && message->element[2]->type == REDIS_REPLY_STRING) {
            subscription->onMessage(
                QByteArray(message->element[2]->str, qsizetype(message->element[2]->len)));
        } else if (std::strcmp(kind, "subscribe") == 0 && subscription->onSubscribed) {
            const std::function<void()> confirmed = subscription->onSubscribed;
            confirmed();
        }
        return;
    }
    auto it = self->m_pending.find(id);
    if (it == self->m_pending.end())
        return;
    Handler handler = std::move(it->handler);
    self->m_pending.erase(it);
    if (reply)
        handler(copyReply(static_cast<redisReply *>(reply)));
    else
        handler(std::nullopt);
}

void RedisConnection::addRead(void *data)
{
    auto *self = static_cast<RedisConnection *>(data);
    if (!self->m_readNotifier && self->m_context) {
        self->m_readNotifier =
            new QSocketNotifier(self->m_context->c.fd, QSocketNotifier::Read, self);
        connect(self->m_readNotifier, &QSocketNotifier::activated, self, [self] {
            if (self->m_context)
                redisAsyncHandleRead(self->m_context);
        });
    }
    if (self->m_readNotifier)
        self->m_readNotifier->setEnabled(true);
}

void RedisConnection::delRead(void *data)
{
    auto *self = static_cast<RedisConnection *>(data);
    if (self->m_readNotifier)
        self->m_readNotifier->setEnabled(false);
}

void RedisConnection::addWrite(void *data)
{
    auto *self = static_cast<RedisConnection *>(data);
    if (!self->m_writeNotifier && self->m_context) {
        self->m_writeNotifier =
            new QSocketNotifier(self->m_context->c.fd, QSocketNotifier::Write, self);
        connect(self->m_writeNotifier, &QSocketNotifier::activated, self, [self] {
            if (self->m_context)
                redisAsyncHandleWrite(self->m_context);
        });
    }
    if (self->m_writeNotifier)
        self->m_writeNotifier->setEnabled(true);
}

void RedisConnection::delWrite(void *data)
{
    auto *self = static_cast<RedisConnection *>(data);
    if (self->m_writeNotifier)
        self->m_writeNotifier->setEnabled(false);
}

void RedisConnection::cleanup(void *data)
{
    auto *self = static_cast<RedisConnection *>(data);
    // Called from inside hiredis, possibly from a notifier's own signal: defer deletion.
    for (QSocketNotifier *notifier : {self->m_readNotifier.data(), self->m_writeNotifier.data()}) {
        if (notifier) {
            notifier->setEnabled(false);
            notifier->deleteLater();
        }
    }
    self->m_readNotifier = nullptr;
    self->m_writeNotifier = nullptr;
}

QString RedisConnection::resolveHost(const QString &host)
{
    if (!QHostAddress(host).isNull())
        return host;
    const QHostInfo info = QHostInfo::fromName(host);
    for (const QHostAddress &address : info.addresses())
        if (address.protocol() == QAbstractSocket::IPv4Protocol)
            return address.toString();
    return info.addresses().isEmpty() ? host : info.addresses().constFirst().toString();
}
