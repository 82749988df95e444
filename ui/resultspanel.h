#pragma once

#include "pollinfo.h"
#include "ratemeter.h"

#include <QJsonObject>
#include <QWidget>

class ElidedLabel;
class PollBadges;
class QAction;
class QHBoxLayout;
class QLabel;
class QStackedWidget;
class QTimer;
class ResultsChart;

// The selected poll: its question, details, total, votes per second and the live
// bar chart; an empty state when no poll is selected.
class ResultsPanel : public QWidget {
    Q_OBJECT
public:
    explicit ResultsPanel(QWidget *parent = nullptr);

    // Shown as buttons next to the question (close / open / delete).
    void setActions(const QList<QAction *> &actions);
    void setPoll(const PollInfo &poll);
    void clearPoll(const QString &emptyText);
    void setResults(const QJsonObject &results, qint64 total);
    // Votes cast (the total counts selections: on a multiple-choice poll it is more).
    void setVoters(qint64 voters);
    // The server hides the counts from this console (no admin token that sees them).
    void setCountsHidden();
    // While the server is unreachable the rate is unknown, not zero; afterwards it
    // starts over, so the votes counted during the outage do not show as a spike.
    void setOutage(bool outage);
    // A minimised window: the rate is not redrawn.
    void setPaused(bool paused);

    QString pollId() const { return m_poll.id; }
    double votesPerSecond() const { return m_rate.rate(); }
    ResultsChart *chart() const { return m_chart; }
    // The panel's focusable widgets in reading order (action buttons, chart).
    QList<QWidget *> tabChain() const;
    ElidedLabel *questionLabel() const { return m_question; }
    ElidedLabel *detailsLabel() const { return m_details; }
    QLabel *totalLabel() const { return m_totalLabel; }
    QLabel *rateLabel() const { return m_rateLabel; }
    PollBadges *badges() const { return m_badges; }

private:
    void updateTotal();
    void updateRate();

    PollInfo m_poll;
    qint64 m_total = -1;
    qint64 m_voters = -1;
    bool m_outage = false;
    bool m_paused = false;
    bool m_rateStale = false; // the next total starts the rate over
    RateMeter m_rate;
    QTimer *m_rateTimer;
    QStackedWidget *m_stack;
    QWidget *m_content;
    QLabel *m_emptyLabel;
    ElidedLabel *m_question;
    ElidedLabel *m_details;
    PollBadges *m_badges;
    QLabel *m_totalLabel;
    QLabel *m_rateLabel;
    QHBoxLayout *m_actionsLayout;
    QList<QWidget *> m_actionButtons;
    ResultsChart *m_chart;
};
