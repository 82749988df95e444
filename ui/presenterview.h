#pragma once

#include "pollinfo.h"
#include "ratemeter.h"

#include <QImage>
#include <QJsonObject>
#include <QUrl>
#include <QWidget>

class QLabel;
class QTimer;
class ResultsChart;

// The full-screen view of one poll for a projector: the question, a large live
// results chart, the join URL with its QR code, the total and votes per second.
// Esc leaves it. It is fed by the main window (poll, results, join URL).
class PresenterView : public QWidget {
    Q_OBJECT
public:
    explicit PresenterView(QWidget *parent = nullptr);

    void setPoll(const PollInfo &poll);
    void setResults(const QJsonObject &results, qint64 total);
    void setJoinUrl(const QUrl &url);
    // The poll was deleted: the view says so and keeps the last results.
    void showPollGone();

    QString pollId() const { return m_poll.id; }
    QUrl joinUrl() const { return m_joinUrl; }
    qint64 total() const { return m_total; }
    ResultsChart *chart() const { return m_chart; }
    QLabel *questionLabel() const { return m_question; }
    QLabel *stateLabel() const { return m_state; }
    QLabel *joinLabel() const { return m_joinLabel; }
    QLabel *totalLabel() const { return m_totalLabel; }
    QLabel *rateLabel() const { return m_rateLabel; }
    QLabel *qrLabel() const { return m_qrLabel; }
    // The QR code as drawn on screen (quiet zone included).
    QImage qrImage() const { return m_qrImage; }

protected:
    void keyPressEvent(QKeyEvent *event) override;
    void resizeEvent(QResizeEvent *event) override;

private:
    void updateQrCode();
    void updateNumbers();

    PollInfo m_poll;
    QUrl m_joinUrl;
    qint64 m_total = -1;
    RateMeter m_rate;
    QTimer *m_rateTimer;
    QLabel *m_question;
    QLabel *m_state;
    ResultsChart *m_chart;
    QLabel *m_qrLabel;
    QLabel *m_joinTitle;
    QLabel *m_joinLabel;
    QLabel *m_totalLabel;
    QLabel *m_rateLabel;
    QLabel *m_hint;
    QImage m_qrImage;
};
