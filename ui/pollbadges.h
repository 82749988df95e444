#pragma once

#include "pollinfo.h"

#include <QWidget>

class QLabel;
class QTimer;

// The settings of the selected poll that change what voters and the audience see, as
// small badges under its question: how many choices a vote may make, whether the
// audience sees the counts, a countdown to a timed close, and the last reset.
class PollBadges : public QWidget {
    Q_OBJECT
public:
    explicit PollBadges(QWidget *parent = nullptr);

    void setPoll(const PollInfo &poll);
    void clear();

    QLabel *choicesBadge() const { return m_choices; }
    QLabel *hiddenBadge() const { return m_hidden; }
    QLabel *countdownLabel() const { return m_countdown; }
    QLabel *resetLabel() const { return m_reset; }
    // The countdown as shown at `now`, e.g. "Closes in 4:59"; empty without a close time.
    static QString countdownText(const PollInfo &poll, const QDateTime &now);

private:
    void updateCountdown();

    PollInfo m_poll;
    QLabel *m_choices;
    QLabel *m_hidden;
    QLabel *m_countdown;
    QLabel *m_reset;
    QTimer *m_timer;
};
