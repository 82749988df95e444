#pragma once

#include <QDateTime>
#include <QString>
#include <QtGlobal>

// Formats every Qt log message as one line on stderr, as text or as JSON, and writes
// the optional access log. User-supplied text (a path, a poll id, a shard's error)
// can never break a line: control characters are escaped in both formats.
class Logger {
public:
    enum class Format { Text, Json };

    struct AccessEntry {
        QString method;
        QString route; // the route template, "unmatched" for unknown paths
        QString path;  // as sent (percent-encoded)
        int status = 0;
        double durationMs = 0;
        QString client;
    };

    // Installs the message handler for the whole process.
    static void install(Format format, bool accessLog);
    static bool accessLogEnabled();
    static void access(const AccessEntry &entry);

    // One line (with its '\n') as install() would write it.
    static QByteArray formatLine(Format format, QtMsgType type, const QString &component,
                                 const QString &message, const QDateTime &time);
    static QByteArray formatAccess(Format format, const AccessEntry &entry, const QDateTime &time);
    // Backslash and every control character escaped (\n, \t, \x1b ...).
    static QString escapeText(const QString &text);
    static QString levelName(QtMsgType type);
    // "tally.storage" -> "storage"; Qt's "default" category -> from the thread's name.
    static QString componentOf(const char *category);
};
