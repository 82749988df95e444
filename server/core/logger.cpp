#include "logger.h"

#include <QJsonDocument>
#include <QJsonObject>
#include <QThread>
#include <atomic>
#include <mutex>
#include <unistd.h>

namespace {

std::atomic<Logger::Format> currentFormat{Logger::Format::Text};
std::atomic<bool> accessEnabled{false};
std::mutex writeLock; // keeps lines whole when several threads log at once

QString timestamp(const QDateTime &time)
{
    return time.toUTC().toString(Qt::ISODateWithMs);
}

void writeLine(const QByteArray &line)
{
    const std::lock_guard lock(writeLock);
    qsizetype written = 0;
    while (written < line.size()) {
        const ssize_t n =
            ::write(STDERR_FILENO, line.constData() + written, size_t(line.size() - written));
        if (n <= 0)
            return; // stderr is gone; nothing better to do with a log line
        written += n;
    }
}

void handleMessage(QtMsgType type, const QMessageLogContext &context, const QString &message)
{
    writeLine(Logger::formatLine(currentFormat.load(std::memory_order_relaxed), type,
                                 Logger::componentOf(context.category), message,
                                 QDateTime::currentDateTimeUtc()));
    if (type == QtFatalMsg)
        std::abort();
}

} // namespace

void Logger::install(Format format, bool accessLog)
{
    currentFormat.store(format, std::memory_order_relaxed);
    accessEnabled.store(accessLog, std::memory_order_relaxed);
    qInstallMessageHandler(handleMessage);
}

bool Logger::accessLogEnabled()
{
    return accessEnabled.load(std::memory_order_relaxed);
}

void Logger::access(const AccessEntry &entry)
{
    writeLine(formatAccess(currentFormat.load(std::memory_order_relaxed), entry,
                           QDateTime::currentDateTimeUtc()));
}

QString Logger::escapeText(const QString &text)
{
    QString out;
    out.reserve(text.size());
    for (const QChar c : text) {
        const char16_t u = c.unicode();
        if (u == u'\\')
            out += QStringLiteral("\\\\");
        else if (u == u'\n')
            out += QStringLiteral("\\n");
        else if (u == u'\r')
            out += QStringLiteral("\\r");
        else if (u == u'\t')
            out += QStringLiteral("\\t");
        else if (u < 0x20 || u == 0x7f || (u >= 0x80 && u < 0xa0) || u == 0x2028 || u == 0x2029)
            out += QStringLiteral("\\x{%1}").arg(int(u), 2, 16, QLatin1Char('0'));
        else
            out += c;
    }
    return out;
}

QString Logger::levelName(QtMsgType type)
{
    switch (type) {
    case QtDebugMsg:
        return QStringLiteral("debug");
    case QtInfoMsg:
        return QStringLiteral("info");
    case QtWarningMsg:
        return QStringLiteral("warning");
    case QtCriticalMsg:
        return QStringLiteral("error");
    case QtFatalMsg:
        return QStringLiteral("fatal");
    }
    return QStringLiteral("info");
}

QString Logger::componentOf(const char *category)
{
    const QLatin1StringView name(category ? category : "default");
    if (name.startsWith(QLatin1StringView("tally.")))
        return QString(name.sliced(6));
    if (name != QLatin1StringView("default"))
        return QString(name); // Qt's own categories, e.g. qt.network.ssl
    // Messages without a category: the thread tells which part of Tally wrote them.
    const QString thread =
        QThread::currentThread() ? QThread::currentThread()->objectName() : QString();
    if (thread.startsWith(QLatin1StringView("tally-http")))
        return QStringLiteral("http");
    if (thread == QLatin1StringView("tally-storage"))
        return QStringLiteral("storage");
    return QStringLiteral("app");
}

QByteArray Logger::formatLine(Format format, QtMsgType type, const QString &component,
                              const QString &message, const QDateTime &time)
{
    if (format == Format::Json) {
        const QJsonObject line{{QStringLiteral("time"), timestamp(time)},
                               {QStringLiteral("level"), levelName(type)},
                               {QStringLiteral("component"), component},
                               {QStringLiteral("message"), message}};
        return QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n';
    }
    return QStringLiteral("%1 %2 %3: %4\n")
        .arg(timestamp(time), levelName(type), escapeText(component), escapeText(message))
        .toUtf8();
}

QByteArray Logger::formatAccess(Format format, const AccessEntry &entry, const QDateTime &time)
{
    // Concatenated, not QString::arg(): a path may itself contain "%1".
    const QString message = entry.method + u' ' + entry.path + u' ' + QString::number(entry.status);
    if (format == Format::Json) {
        const QJsonObject line{{QStringLiteral("time"), timestamp(time)},
                               {QStringLiteral("level"), QStringLiteral("info")},
                               {QStringLiteral("component"), QStringLiteral("access")},
                               {QStringLiteral("message"), message},
                               {QStringLiteral("method"), entry.method},
                               {QStringLiteral("route"), entry.route},
                               {QStringLiteral("path"), entry.path},
                               {QStringLiteral("status"), entry.status},
                               {QStringLiteral("duration_ms"), entry.durationMs},
                               {QStringLiteral("client"), entry.client}};
        return QJsonDocument(line).toJson(QJsonDocument::Compact) + '\n';
    }
    return (timestamp(time) + QStringLiteral(" info access: ") + escapeText(message) +
            QStringLiteral(" route=") + escapeText(entry.route) + QStringLiteral(" duration_ms=") +
            QString::number(entry.durationMs, 'f', 3) + QStringLiteral(" client=") +
            escapeText(entry.client) + u'\n')
        .toUtf8();
}
