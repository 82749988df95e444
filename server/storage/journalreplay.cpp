#include "journalreplay.h"
#include "core/logcategories.h"
#include "core/serverstats.h"

#include <QElapsedTimer>

JournalReplay::JournalReplay(Journal &journal, ServerStats &stats, Routing routing)
    : m_journal(journal), m_stats(stats), m_routing(std::move(routing))
{
}

Outcome<Journal::Recovery> JournalReplay::run(const QHash<QString, quint64> &applied,
                                              quint64 upToEpoch)
{
    QElapsedTimer timer;
    timer.start();
    const Outcome<Journal::Recovery> recovered = m_journal.recover(
        m_routing.shardOf, applied, m_routing.isCurrent, upToEpoch, m_routing.movedFrom);
    if (!recovered)
        return recovered;
    const Journal::Recovery &recovery = recovered.value();
    for (const QString &problem : recovery.problems)
        qCWarning(lcJournal, "Journal: %s", qPrintable(problem));
    if (recovery.files > 0)
        qCInfo(lcJournal,
               "Journal: %d file(s) read in %lld ms: %lld vote(s) replayed, %lld already stored",
               recovery.files, timer.elapsed(), recovery.replayed, recovery.skipped);
    m_stats.votesRecovered.storeRelaxed(quint64(recovery.replayed));
    return recovered;
}
