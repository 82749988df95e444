#pragma once

#include "core/poll.h"
#include "core/votecounts.h"
#include "router.h"
#include "workerscope.h"

// GET /polls/{id}/export?format=csv|json (admin): the poll's metadata and its exact
// per-option counts at that moment, as a download. CSV follows RFC 4180 (CRLF rows,
// fields quoted when they hold a comma, quote or line break) in UTF-8, and a text a
// spreadsheet would run as a formula is neutralised with a leading apostrophe.
class ExportController {
public:
    explicit ExportController(const WorkerScope &scope) : m_scope(scope) {}
    void registerRoutes(Router &router, const QString &prefix);

    // One CSV field: neutralised, then quoted when needed.
    static QByteArray csvField(const QString &text);
    static QByteArray csv(const Poll &poll, const OptionCounts &counts);
    static QJsonObject json(const Poll &poll, const OptionCounts &counts);
    // The share of votes cast that chose `votes`, with two decimals ("33.33").
    static QString percent(qint64 votes, qint64 voters);

private:
    void exportPoll(const HttpExchange &exchange, const QString &pollId) const;
    static void reply(const HttpExchange &exchange, const Poll &poll, const OptionCounts &counts,
                      bool asCsv);

    WorkerScope m_scope;
};
