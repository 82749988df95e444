#include "resultservice.h"
#include "core/poll.h"
#include "core/pollcatalog.h"
#include "core/voteledger.h"
#include "storage/storageengine.h"

#include <QPointer>

ResultService::ResultService(const PollCatalog &catalog, VoteLedger &ledger, StorageEngine &storage)
    : m_catalog(catalog), m_ledger(ledger), m_storage(storage)
{
}

QJsonObject ResultService::json(const QString &pollId, const OptionCounts &counts, int optionCount,
                                const QString &servedVia, qint64 voters)
{
    QJsonObject results;
    qint64 total = 0;
    for (int i = 0; i < optionCount; ++i) {
        const qint64 votes = i < counts.size() ? counts[i] : 0;
        results.insert(Poll::optionId(i), votes);
        total += votes;
    }
    return {{QStringLiteral("poll_id"), pollId},
            {QStringLiteral("results"), results},
            {QStringLiteral("total"), total},
            {QStringLiteral("voters"), voters < 0 ? total : voters},
            {QStringLiteral("served_via"), servedVia}};
}

PollCatalog::Snapshot ResultService::poll(const QString &pollId) const
{
    return m_catalog.snapshot(pollId);
}

std::optional<OptionCounts> ResultService::cached(const Poll &poll, bool countStats) const
{
    return m_ledger.readCached(poll.countKey(), int(poll.options.size()), countStats);
}

void ResultService::read(const QString &pollId, const PollCatalog::Snapshot &poll, QObject *context,
                         Done done) const
{
    // One snapshot: the option count of the answer is the one of the poll looked up.
    if (!poll) {
        done(TallyError::pollNotFound(pollId.left(Poll::MaxIdLength)));
        return;
    }
    const int options = int(poll->options.size());
    if (std::optional<OptionCounts> counts = cached(*poll)) {
        const qint64 voters = poll->voters(*counts);
        done(Results{std::move(*counts), options, QStringLiteral("app_cache"), voters});
        return;
    }
    readStored(pollId, context, [poll, done = std::move(done)](Outcome<Results> read) {
        if (read)
            read.value().voters = poll->voters(read.value().counts);
        done(std::move(read));
    });
}

void ResultService::readStored(const QString &pollId, QObject *context, Done done) const
{
    using Read = Outcome<StorageEngine::ResultRead>;
    const auto deliver = [done = std::move(done)](const Read &read) {
        // The storage thread read the poll as it is there; its option count goes with
        // the counts it read.
        if (read)
            done(Results{read.value().counts, read.value().optionCount, read.value().servedVia});
        else
            done(read.error());
    };
    if (!context) {
        m_storage.readResults(pollId, deliver);
        return;
    }
    QPointer<QObject> target = context;
    m_storage.readResults(pollId, [target, deliver](Read read) {
        if (target)
            QMetaObject::invokeMethod(
                target.data(), [deliver, read = std::move(read)] { deliver(read); },
                Qt::QueuedConnection);
    });
}
