#pragma once

#include "pollinfo.h"

#include <QMap>
#include <QWidget>

class LagMeter;
class LiveClient;
class QComboBox;
class QGridLayout;
class QLabel;
class QProgressBar;
class QPushButton;
class QSpinBox;
class QTimer;
class ServerClient;
class VoteBurst;

// Votes on the selected poll from the console: one click on an option's button casts
// one vote (POST /api/v1/vote/{id}); a burst sends N votes at R votes/s over REST
// (bulk or single) or the WebSocket, spread over the options by weight (a vote on a
// multiple-choice poll selects 1..max choices options, in turn), with
// progress, the rate achieved, errors and a Cancel button. While a burst runs the
// panel also shows how late the GUI event loop runs (a 10 ms timer's lateness).
class VoteCaster : public QWidget {
    Q_OBJECT
public:
    VoteCaster(ServerClient *client, LiveClient *live, QWidget *parent = nullptr);

    void setPoll(const PollInfo &poll);
    void clearPoll();

    QPushButton *optionButton(const QString &optionId) const { return m_buttons.value(optionId); }
    QSpinBox *weightBox(const QString &optionId) const { return m_weights.value(optionId); }
    QSpinBox *countBox() const { return m_count; }
    QSpinBox *rateBox() const { return m_rate; }
    QComboBox *transportBox() const { return m_transport; }
    QPushButton *startButton() const { return m_start; }
    QPushButton *cancelButton() const { return m_cancel; }
    QProgressBar *progressBar() const { return m_progress; }
    QLabel *feedbackLabel() const { return m_feedback; }
    QLabel *burstLabel() const { return m_burstLabel; }
    QLabel *lagLabel() const { return m_lagLabel; }
    VoteBurst *burst() const { return m_burst; }
    LagMeter *lagMeter() const { return m_lag; }
    // The caster's focusable widgets in reading order.
    QList<QWidget *> tabChain() const;
    // Single votes sent and accepted since the poll was selected.
    int singleVotesAccepted() const { return m_singleAccepted; }

protected:
    bool eventFilter(QObject *watched, QEvent *event) override;

Q_SIGNALS:
    // A single vote was accepted: the results are worth fetching now.
    void voted(const QString &pollId);

private:
    void rebuildOptions();
    void elide(QPushButton *button);
    void castVote(const QString &optionId);
    void startBurst();
    void updateBurst();
    void updateEnabled();
    void updateTransports();
    void saveSettings() const;

    ServerClient *m_client;
    LiveClient *m_live;
    VoteBurst *m_burst;
    LagMeter *m_lag;
    QTimer *m_refreshTimer;
    PollInfo m_poll;
    QGridLayout *m_optionGrid;
    QMap<QString, QPushButton *> m_buttons;
    QMap<QString, QSpinBox *> m_weights;
    QList<QWidget *> m_optionWidgets;
    QLabel *m_feedback;
    QSpinBox *m_count;
    QSpinBox *m_rate;
    QComboBox *m_transport;
    QPushButton *m_start;
    QPushButton *m_cancel;
    QProgressBar *m_progress;
    QLabel *m_burstLabel;
    QLabel *m_lagLabel;
    int m_singleAccepted = 0;
    int m_singlePending = 0;
};
