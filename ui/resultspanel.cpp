#include "resultspanel.h"
#include "elidedlabel.h"
#include "pollbadges.h"
#include "resultschart.h"
#include "uitext.h"

#include <QAction>
#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QStackedWidget>
#include <QTimer>
#include <QToolButton>
#include <QVBoxLayout>

#include <utility>

namespace {
constexpr int RateTickMs = 500;

ElidedLabel *elidedLabel(QWidget *parent, const QString &name, int maxLines)
{
    auto *label = new ElidedLabel(maxLines, parent);
    label->setObjectName(name);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}

QLabel *plainLabel(QWidget *parent, const QString &name)
{
    auto *label = new QLabel(parent);
    label->setObjectName(name);
    label->setTextFormat(Qt::PlainText);
    label->setTextInteractionFlags(Qt::TextSelectableByMouse);
    return label;
}
} // namespace

ResultsPanel::ResultsPanel(QWidget *parent)
    : QWidget(parent), m_rateTimer(new QTimer(this)), m_stack(new QStackedWidget(this)),
      m_content(new QWidget(this)), m_emptyLabel(new QLabel(this)),
      m_question(elidedLabel(m_content, QStringLiteral("questionLabel"), 3)),
      m_details(elidedLabel(m_content, QStringLiteral("detailsLabel"), 2)),
      m_badges(new PollBadges(m_content)),
      m_totalLabel(plainLabel(m_content, QStringLiteral("totalLabel"))),
      m_rateLabel(plainLabel(m_content, QStringLiteral("rateLabel"))),
      m_actionsLayout(new QHBoxLayout), m_chart(new ResultsChart(m_content))
{
    QFont questionFont = m_question->font();
    questionFont.setPointSizeF(questionFont.pointSizeF() * 1.3);
    questionFont.setBold(true);
    m_question->setFont(questionFont);
    m_question->setAccessibleDescription(tr("The selected poll's question"));
    m_details->setEnabled(false); // secondary text in the palette's disabled colour
    m_details->setAccessibleDescription(tr("Theme, status, shard, id and creation time"));
    QFont totalFont = m_totalLabel->font();
    totalFont.setPointSizeF(totalFont.pointSizeF() * 1.15);
    totalFont.setBold(true);
    m_totalLabel->setFont(totalFont);
    m_totalLabel->setToolTip(tr("Votes counted so far (stored, in flight and buffered)"));
    m_rateLabel->setToolTip(tr("Votes per second on this poll over the last few seconds"));

    auto *top = new QHBoxLayout;
    top->addWidget(m_question, 1, Qt::AlignTop);
    m_actionsLayout->setSpacing(4);
    top->addLayout(m_actionsLayout);
    auto *numbers = new QHBoxLayout;
    numbers->addWidget(m_totalLabel);
    numbers->addSpacing(fontMetrics().averageCharWidth() * 3);
    numbers->addWidget(m_rateLabel);
    numbers->addStretch(1);

    auto *layout = new QVBoxLayout(m_content);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(top);
    layout->addWidget(m_details);
    layout->addWidget(m_badges);
    layout->addLayout(numbers);
    layout->addWidget(m_chart, 1);

    m_emptyLabel->setObjectName(QStringLiteral("resultsEmptyLabel"));
    m_emptyLabel->setTextFormat(Qt::PlainText);
    m_emptyLabel->setAlignment(Qt::AlignCenter);
    m_emptyLabel->setWordWrap(true);
    m_emptyLabel->setEnabled(false);
    m_stack->addWidget(m_emptyLabel);
    m_stack->addWidget(m_content);
    auto *outer = new QVBoxLayout(this);
    outer->setContentsMargins(0, 0, 0, 0);
    outer->addWidget(m_stack);

    m_rateTimer->setInterval(RateTickMs);
    connect(m_rateTimer, &QTimer::timeout, this, &ResultsPanel::updateRate);
    clearPoll(tr("Select a poll to see its results."));
}

void ResultsPanel::setActions(const QList<QAction *> &actions)
{
    for (QAction *action : actions) {
        auto *button = new QToolButton(this);
        button->setDefaultAction(action);
        button->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
        button->setFocusPolicy(Qt::StrongFocus); // tool buttons skip Tab by default
        m_actionsLayout->addWidget(button, 0, Qt::AlignTop);
        m_actionButtons.append(button);
    }
}

QList<QWidget *> ResultsPanel::tabChain() const
{
    return QList<QWidget *>(m_actionButtons) << m_chart;
}

void ResultsPanel::setPoll(const PollInfo &poll)
{
    const bool other = poll.id != m_poll.id;
    m_poll = poll;
    m_question->setFullText(poll.question);
    QStringList details{tr("Theme: %1").arg(poll.theme), poll.isOpen() ? tr("open") : tr("closed"),
                        tr("shard %1").arg(poll.shard), tr("id %1").arg(poll.id)};
    if (poll.oneVotePerVoter)
        details.append(tr("one vote per voter"));
    if (poll.createdAt.isValid())
        details.append(
            tr("created %1")
                .arg(QLocale().toString(poll.createdAt.toLocalTime(), QLocale::ShortFormat)));
    m_details->setFullText(details.join(QStringLiteral("  ·  ")));
    m_chart->setPoll(poll);
    m_badges->setPoll(poll);
    if (other) {
        m_total = -1;
        m_voters = -1;
        m_rate.reset();
        updateTotal();
        updateRate();
    }
    m_stack->setCurrentWidget(m_content);
    if (!m_outage && !m_paused)
        m_rateTimer->start();
}

void ResultsPanel::setPaused(bool paused)
{
    m_paused = paused;
    if (paused || m_outage || m_poll.id.isEmpty()) {
        m_rateTimer->stop();
    } else if (!m_rateTimer->isActive()) {
        m_rate.reset(); // the readings are stale
        m_rateStale = true;
        m_rateTimer->start();
    }
}

void ResultsPanel::setOutage(bool outage)
{
    if (outage == m_outage)
        return;
    m_outage = outage;
    m_rate.reset();
    m_rateStale = !outage; // the total shown is from before the outage
    if (outage || m_paused)
        m_rateTimer->stop();
    else if (!m_poll.id.isEmpty())
        m_rateTimer->start();
    updateRate();
}

void ResultsPanel::clearPoll(const QString &emptyText)
{
    m_poll = PollInfo();
    m_total = -1;
    m_voters = -1;
    m_badges->clear();
    m_rate.reset();
    m_rateTimer->stop();
    m_chart->clearPoll();
    m_emptyLabel->setText(emptyText);
    m_stack->setCurrentWidget(m_emptyLabel);
}

void ResultsPanel::setResults(const QJsonObject &results, qint64 total)
{
    if (m_poll.id.isEmpty())
        return;
    m_chart->setResults(results, total);
    if (total != m_total || m_rateStale) {
        m_total = total;
        if (std::exchange(m_rateStale, false))
            m_rate.reset();
        if (!m_outage)
            m_rate.add(total);
        updateTotal();
    }
}

void ResultsPanel::setVoters(qint64 voters)
{
    if (m_poll.id.isEmpty() || voters == m_voters)
        return;
    m_voters = voters;
    m_chart->setVoters(voters);
    updateTotal();
}

void ResultsPanel::setCountsHidden()
{
    if (m_poll.id.isEmpty() || m_total >= 0)
        return;
    m_totalLabel->setText(tr("Counts hidden: set the admin token (Ctrl+L) to see them"));
    m_totalLabel->setAccessibleName(m_totalLabel->text());
}

void ResultsPanel::updateTotal()
{
    const int shown = int(qMin<qint64>(m_total, INT_MAX));
    QString text;
    if (m_total < 0)
        text = tr("Total: …");
    else if (!m_poll.isMultipleChoice())
        text = UiText::plural(tr("Total: %Ln vote(s)", nullptr, shown), m_total);
    else if (m_voters < 0)
        text = UiText::plural(tr("Total: %Ln choice(s)", nullptr, shown), m_total);
    else
        text = tr("%1 · %2").arg(
            UiText::plural(tr("Total: %Ln choice(s)", nullptr, shown), m_total),
            UiText::plural(tr("%Ln voter(s)", nullptr, int(qMin<qint64>(m_voters, INT_MAX))),
                           m_voters));
    m_totalLabel->setText(text);
    m_totalLabel->setAccessibleName(m_totalLabel->text());
}

void ResultsPanel::updateRate()
{
    if (m_outage) {
        m_rateLabel->setText(tr("– votes/s (no connection)"));
        return;
    }
    // No news is a reading too: the rate falls to zero when the votes stop.
    if (m_total >= 0 && !m_rateStale)
        m_rate.add(m_total);
    m_rateLabel->setText(tr("%1 votes/s").arg(QLocale().toString(m_rate.rate(), 'f', 1)));
}
