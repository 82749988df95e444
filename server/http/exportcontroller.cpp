#include "exportcontroller.h"
#include "core/config.h"
#include "core/pollcatalog.h"
#include "core/voteledger.h"
#include "pollcontroller.h"
#include "storage/storageengine.h"

#include <QJsonArray>
#include <QJsonDocument>

void ExportController::registerRoutes(Router &router, const QString &prefix)
{
    router.add(
        Router::Method::Get, prefix + QStringLiteral("/polls/{id}/export"),
        [this](const HttpExchange &e, const QStringList &p) { exportPoll(e, p[0]); },
        Router::Budget::Admin);
}

QByteArray ExportController::csvField(const QString &text)
{
    QString field = text;
    // A cell starting like a formula (or with a tab or carriage return, which some
    // spreadsheets skip before one) is read as text once it starts with an apostrophe.
    static const QString formulaStarts = QStringLiteral("=+-@\t\r");
    if (!field.isEmpty() && formulaStarts.contains(field.front()))
        field.prepend(u'\'');
    if (field.contains(u',') || field.contains(u'"') || field.contains(u'\n') ||
        field.contains(u'\r')) {
        field.replace(QStringLiteral("\""), QStringLiteral("\"\""));
        field = u'"' + field + u'"';
    }
    return field.toUtf8();
}

QString ExportController::percent(qint64 votes, qint64 voters)
{
    if (voters <= 0)
        return QStringLiteral("0.00");
    // Integer arithmetic, rounded half up, so the text is exact and the same everywhere.
    const qint64 hundredths = (votes * 20000 / voters + 1) / 2;
    return QStringLiteral("%1.%2")
        .arg(hundredths / 100)
        .arg(hundredths % 100, 2, 10, QLatin1Char('0'));
}

QByteArray ExportController::csv(const Poll &poll, const OptionCounts &counts)
{
    const qint64 voters = poll.voters(counts);
    QByteArray out = QByteArrayLiteral("option_id,option_text,votes,percent\r\n");
    for (int i = 0; i < poll.options.size(); ++i) {
        const qint64 votes = i < counts.size() ? counts[i] : 0;
        out += csvField(Poll::optionId(i)) + ',' + csvField(poll.options[i]) + ',' +
               QByteArray::number(votes) + ',' + percent(votes, voters).toLatin1() + "\r\n";
    }
    return out;
}

QJsonObject ExportController::json(const Poll &poll, const OptionCounts &counts)
{
    const qint64 voters = poll.voters(counts);
    QJsonArray options;
    qint64 total = 0;
    for (int i = 0; i < poll.options.size(); ++i) {
        const qint64 votes = i < counts.size() ? counts[i] : 0;
        total += votes;
        options.append(QJsonObject{{QStringLiteral("option_id"), Poll::optionId(i)},
                                   {QStringLiteral("option_text"), poll.options[i]},
                                   {QStringLiteral("votes"), votes},
                                   {QStringLiteral("percent"), percent(votes, voters)}});
    }
    return {{QStringLiteral("poll"), poll.toJson()},
            {QStringLiteral("exported_at"),
             QDateTime::currentDateTimeUtc().toString(Qt::ISODateWithMs)},
            {QStringLiteral("results"), options},
            {QStringLiteral("total"), total},
            {QStringLiteral("voters"), voters}};
}

void ExportController::reply(const HttpExchange &exchange, const Poll &poll,
                             const OptionCounts &counts, bool asCsv)
{
    const QByteArray fileName =
        "poll-" + poll.id.toUtf8() + (asCsv ? "-results.csv" : "-results.json");
    const QByteArray body = asCsv
                                ? csv(poll, counts)
                                : QJsonDocument(json(poll, counts)).toJson(QJsonDocument::Indented);
    exchange.replyWithHeaders(
        HttpExchange::Status::Ok,
        {{QByteArrayLiteral("Content-Type"),
          asCsv ? QByteArrayLiteral("text/csv; charset=utf-8; header=present")
                : QByteArrayLiteral("application/json")},
         {QByteArrayLiteral("Content-Disposition"), "attachment; filename=\"" + fileName + '"'},
         {QByteArrayLiteral("Cache-Control"), QByteArrayLiteral("no-store")}},
        body, exchange.method() == Router::Method::Head);
}

void ExportController::exportPoll(const HttpExchange &exchange, const QString &pollId) const
{
    if (const std::optional<TallyError> denied =
            PollController::checkAdmin(exchange, m_scope.server.config->adminToken())) {
        exchange.replyError(*denied);
        return;
    }
    const PollCatalog::Snapshot poll = m_scope.server.catalog->snapshot(pollId);
    if (!poll) {
        exchange.replyError(TallyError::pollNotFound(pollId.left(Poll::MaxIdLength)));
        return;
    }
    const QString format = exchange.queryValue(QStringLiteral("format"));
    if (format != u"csv" && format != u"json") {
        exchange.replyError(TallyError::invalid(QStringLiteral("invalid_format"),
                                                QStringLiteral("format must be 'csv' or 'json'.")));
        return;
    }
    const bool asCsv = format == u"csv";
    const int optionCount = int(poll->options.size());
    if (const std::optional<OptionCounts> cached =
            m_scope.server.ledger->readCached(poll->countKey(), optionCount, false)) {
        reply(exchange, *poll, *cached, asCsv);
        return;
    }
    using Read = Outcome<StorageEngine::ResultRead>;
    m_scope.server.storage->readResults(pollId,
                                        m_scope.onWorker<Read>([exchange, poll, asCsv](Read read) {
                                            if (read)
                                                reply(exchange, *poll, read.value().counts, asCsv);
                                            else
                                                exchange.replyError(read.error());
                                        }));
}
