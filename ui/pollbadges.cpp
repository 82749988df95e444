#include "pollbadges.h"
#include "chartstyle.h"

#include <QHBoxLayout>
#include <QLabel>
#include <QLocale>
#include <QTimer>

namespace {
constexpr int CountdownTickMs = 1000;

QLabel *badge(QWidget *parent, const QString &name)
{
    auto *label = new QLabel(parent);
    label->setObjectName(name);
    label->setTextFormat(Qt::PlainText);
    label->setFrameShape(QFrame::StyledPanel);
    label->setMargin(2);
    label->hide();
    return label;
}
} // namespace

PollBadges::PollBadges(QWidget *parent)
    : QWidget(parent), m_choices(badge(this, QStringLiteral("choicesBadge"))),
      m_hidden(badge(this, QStringLiteral("hiddenBadge"))),
      m_countdown(badge(this, QStringLiteral("countdownLabel"))),
      m_reset(badge(this, QStringLiteral("resetLabel"))), m_timer(new QTimer(this))
{
    ChartStyle::markAsWarning(m_hidden);
    m_hidden->setToolTip(tr("The audience does not see the counts; this console does. "
                            "Poll › Reveal results shows them to everyone."));
    m_countdown->setToolTip(tr("The poll closes by itself at this time"));
    auto *layout = new QHBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    for (QLabel *label : {m_choices, m_hidden, m_countdown, m_reset})
        layout->addWidget(label);
    layout->addStretch(1);
    m_timer->setInterval(CountdownTickMs);
    connect(m_timer, &QTimer::timeout, this, &PollBadges::updateCountdown);
    clear();
}

void PollBadges::setPoll(const PollInfo &poll)
{
    m_poll = poll;
    m_choices->setVisible(poll.isMultipleChoice());
    m_choices->setText(tr("Up to %1 choices per vote").arg(poll.maxChoices));
    m_hidden->setVisible(poll.resultsHidden());
    m_hidden->setText(poll.resultsVisibility == u"after_close"
                          ? tr("Results hidden until the poll closes")
                          : tr("Results hidden"));
    m_reset->setVisible(poll.resetAt.isValid());
    m_reset->setText(
        tr("Reset %1").arg(QLocale().toString(poll.resetAt.toLocalTime(), QLocale::ShortFormat)));
    updateCountdown();
    setVisible(poll.isMultipleChoice() || poll.resultsHidden() || poll.resetAt.isValid() ||
               (poll.closesAt.isValid() && poll.isOpen()));
}

void PollBadges::clear()
{
    setPoll(PollInfo());
}

QString PollBadges::countdownText(const PollInfo &poll, const QDateTime &now)
{
    if (!poll.closesAt.isValid() || !poll.isOpen())
        return {};
    const qint64 seconds = qMax<qint64>(0, (now.msecsTo(poll.closesAt) + 999) / 1000);
    if (seconds == 0)
        return tr("Closing…");
    const qint64 hours = seconds / 3600;
    const QString minutesSeconds =
        QStringLiteral("%1:%2")
            .arg(seconds / 60 % 60, hours > 0 ? 2 : 1, 10, QLatin1Char('0'))
            .arg(seconds % 60, 2, 10, QLatin1Char('0'));
    return tr("Closes in %1")
        .arg(hours > 0 ? QStringLiteral("%1:%2").arg(hours).arg(minutesSeconds) : minutesSeconds);
}

void PollBadges::updateCountdown()
{
    const QString text = countdownText(m_poll, QDateTime::currentDateTimeUtc());
    m_countdown->setText(text);
    m_countdown->setVisible(!text.isEmpty());
    if (!text.isEmpty())
        m_countdown->setAccessibleDescription(tr("at %1").arg(
            QLocale().toString(m_poll.closesAt.toLocalTime(), QLocale::ShortFormat)));
    // Ticks only while there is a countdown on screen.
    if (!text.isEmpty() && !m_timer->isActive())
        m_timer->start();
    else if (text.isEmpty())
        m_timer->stop();
}
