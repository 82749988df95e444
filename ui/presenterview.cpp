#include "presenterview.h"
#include "qrcode.h"
#include "resultschart.h"
#include "uitext.h"

#include <QFrame>
#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLocale>
#include <QTimer>
#include <QVBoxLayout>

namespace {
constexpr int RateTickMs = 500;
constexpr double ChartZoomPerPixel = 1.0 / 400.0; // 2.7x the console's chart at 1080 pixels

QLabel *plainLabel(QWidget *parent, const QString &name)
{
    auto *label = new QLabel(parent);
    label->setObjectName(name);
    label->setTextFormat(Qt::PlainText); // poll text is shown literally
    return label;
}

// Text sized for the back of the room: a fraction of the view's height.
void setTextHeight(QLabel *label, int height, double fraction, bool bold)
{
    QFont font = label->font();
    font.setPixelSize(qMax(10, int(height * fraction)));
    font.setBold(bold);
    label->setFont(font);
}
} // namespace

PresenterView::PresenterView(QWidget *parent)
    : QWidget(parent, Qt::Window), m_rateTimer(new QTimer(this)),
      m_question(plainLabel(this, QStringLiteral("presenterQuestion"))),
      m_state(plainLabel(this, QStringLiteral("presenterState"))), m_chart(new ResultsChart(this)),
      m_qrLabel(new QLabel(this)),
      m_joinTitle(plainLabel(this, QStringLiteral("presenterJoinTitle"))),
      m_joinLabel(plainLabel(this, QStringLiteral("presenterJoinUrl"))),
      m_totalLabel(plainLabel(this, QStringLiteral("presenterTotal"))),
      m_rateLabel(plainLabel(this, QStringLiteral("presenterRate"))),
      m_hint(plainLabel(this, QStringLiteral("presenterHint")))
{
    setObjectName(QStringLiteral("presenterView"));
    setWindowTitle(tr("Tally — Presenting"));
    // A projector wants the most contrast there is: black on white, whatever the theme.
    QPalette pal = palette();
    for (QPalette::ColorGroup group : {QPalette::Active, QPalette::Inactive, QPalette::Disabled}) {
        pal.setColor(group, QPalette::Window, Qt::white);
        pal.setColor(group, QPalette::Base, Qt::white);
        pal.setColor(group, QPalette::WindowText, QColor(0x17, 0x20, 0x2a));
        pal.setColor(group, QPalette::Text, QColor(0x17, 0x20, 0x2a));
        pal.setColor(group, QPalette::Highlight, QColor(0x1b, 0x5a, 0x92));
    }
    setPalette(pal);
    setAutoFillBackground(true);
    m_question->setWordWrap(true);
    m_chart->setMinimumHeight(200);
    m_chart->setFrameShape(QFrame::NoFrame);
    m_qrLabel->setObjectName(QStringLiteral("presenterQrCode"));
    m_qrLabel->setAlignment(Qt::AlignCenter);
    m_joinTitle->setText(tr("Vote at"));
    m_joinTitle->setAlignment(Qt::AlignHCenter);
    m_joinLabel->setAlignment(Qt::AlignHCenter);
    m_joinLabel->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_hint->setText(tr("Esc leaves the presenter view"));
    m_hint->setEnabled(false);
    m_hint->setAlignment(Qt::AlignRight | Qt::AlignVCenter);

    auto *join = new QVBoxLayout;
    join->setSpacing(12);
    join->addStretch(1);
    join->addWidget(m_joinTitle);
    join->addWidget(m_qrLabel, 0, Qt::AlignHCenter);
    join->addWidget(m_joinLabel);
    join->addStretch(1);
    auto *middle = new QHBoxLayout;
    middle->addWidget(m_chart, 1);
    middle->addSpacing(32);
    middle->addLayout(join);
    auto *numbers = new QHBoxLayout;
    numbers->addWidget(m_totalLabel);
    numbers->addSpacing(48);
    numbers->addWidget(m_rateLabel);
    numbers->addStretch(1);
    numbers->addWidget(m_hint);
    auto *layout = new QVBoxLayout(this);
    // The window is as big as its screen; the content adapts, never the other way.
    layout->setSizeConstraint(QLayout::SetNoConstraint);
    layout->setContentsMargins(48, 36, 48, 24);
    layout->setSpacing(16);
    layout->addWidget(m_question);
    layout->addWidget(m_state);
    layout->addLayout(middle, 1);
    layout->addLayout(numbers);

    m_rateTimer->setInterval(RateTickMs);
    connect(m_rateTimer, &QTimer::timeout, this, [this] {
        // No news is a reading too: the rate falls to zero when the votes stop.
        if (m_total >= 0)
            m_rate.add(m_total);
        updateNumbers();
    });
    m_rateTimer->start();
    updateNumbers();
}

void PresenterView::setPoll(const PollInfo &poll)
{
    if (poll.id != m_poll.id) {
        m_total = -1;
        m_rate.reset();
    }
    m_poll = poll;
    m_question->setText(poll.question);
    if (poll.resultsHidden())
        m_state->setText(poll.isOpen() ? tr("Voting is open · results are hidden for now")
                                       : tr("Voting is closed · results are hidden for now"));
    else
        m_state->setText(poll.isOpen() ? tr("Voting is open")
                                       : tr("Voting is closed · final results"));
    // A projector shows what the audience may see: no counts while they are hidden.
    m_chart->setVisible(!poll.resultsHidden());
    m_chart->setPoll(poll);
    updateNumbers();
}

void PresenterView::setResults(const QJsonObject &results, qint64 total)
{
    m_chart->setResults(results, total);
    if (total != m_total) {
        m_total = total;
        m_rate.add(total);
        updateNumbers();
    }
}

void PresenterView::setJoinUrl(const QUrl &url)
{
    if (url == m_joinUrl)
        return;
    m_joinUrl = url;
    m_joinLabel->setText(url.toString());
    updateQrCode();
}

void PresenterView::showPollGone()
{
    m_state->setText(tr("This poll was deleted"));
}

void PresenterView::updateNumbers()
{
    m_rateLabel->setVisible(!m_poll.resultsHidden());
    if (m_poll.resultsHidden())
        m_totalLabel->setText(tr("Results hidden"));
    else if (m_total < 0)
        m_totalLabel->setText(tr("… votes"));
    else
        m_totalLabel->setText(m_total == 1 ? tr("1 vote")
                                           : tr("%1 votes").arg(UiText::number(m_total)));
    m_rateLabel->setText(tr("%1 votes/s").arg(QLocale().toString(m_rate.rate(), 'f', 1)));
}

void PresenterView::updateQrCode()
{
    const QrCode code(m_joinUrl.toString());
    // A quarter of the width: readable from the back of a room, clear of the chart.
    const int side = qBound(120, qMin(width() / 4, height() / 2), 900);
    m_qrImage = code.image(side);
    m_qrLabel->setPixmap(QPixmap::fromImage(m_qrImage));
    m_qrLabel->setAccessibleName(tr("QR code of %1").arg(m_joinUrl.toString()));
}

void PresenterView::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    const int h = height();
    setTextHeight(m_question, h, 0.06, true);
    setTextHeight(m_state, h, 0.03, false);
    setTextHeight(m_joinTitle, h, 0.035, true);
    setTextHeight(m_joinLabel, h, 0.028, true);
    setTextHeight(m_totalLabel, h, 0.045, true);
    setTextHeight(m_rateLabel, h, 0.045, false);
    setTextHeight(m_hint, h, 0.018, false);
    m_chart->setZoom(qMax(1.0, h * ChartZoomPerPixel));
    if (!m_joinUrl.isEmpty())
        updateQrCode();
    // The sizes just changed: place everything for them now, not on a later pass.
    layout()->activate();
}

void PresenterView::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Escape) {
        close();
        return;
    }
    QWidget::keyPressEvent(event);
}
