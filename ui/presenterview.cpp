#include "presenterview.h"
#include "qrcode.h"
#include "resultschart.h"
#include "uitext.h"

#include <QHBoxLayout>
#include <QKeyEvent>
#include <QLabel>
#include <QLocale>
#include <QTimer>
#include <QVBoxLayout>

namespace {
constexpr int RateTickMs = 500;
constexpr double ChartZoom = 2.0;

QLabel *plainLabel(QWidget *parent, const QString &name, double scale, bool bold = false)
{
    auto *label = new QLabel(parent);
    label->setObjectName(name);
    label->setTextFormat(Qt::PlainText); // poll text is shown literally
    label->setWordWrap(true);
    QFont font = label->font();
    font.setPointSizeF(font.pointSizeF() * scale);
    font.setBold(bold);
    label->setFont(font);
    return label;
}
} // namespace

PresenterView::PresenterView(QWidget *parent)
    : QWidget(parent, Qt::Window), m_rateTimer(new QTimer(this)),
      m_question(plainLabel(this, QStringLiteral("presenterQuestion"), 2.6, true)),
      m_state(plainLabel(this, QStringLiteral("presenterState"), 1.4)),
      m_chart(new ResultsChart(this)), m_qrLabel(new QLabel(this)),
      m_joinTitle(plainLabel(this, QStringLiteral("presenterJoinTitle"), 1.6, true)),
      m_joinLabel(plainLabel(this, QStringLiteral("presenterJoinUrl"), 1.6)),
      m_totalLabel(plainLabel(this, QStringLiteral("presenterTotal"), 2.0, true)),
      m_rateLabel(plainLabel(this, QStringLiteral("presenterRate"), 2.0)),
      m_hint(plainLabel(this, QStringLiteral("presenterHint"), 1.0))
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
    m_chart->setZoom(ChartZoom);
    m_chart->setMinimumHeight(200);
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
    join->addWidget(m_joinTitle);
    join->addWidget(m_qrLabel, 1);
    join->addWidget(m_joinLabel);
    auto *middle = new QHBoxLayout;
    middle->addWidget(m_chart, 3);
    middle->addSpacing(32);
    middle->addLayout(join, 1);
    auto *numbers = new QHBoxLayout;
    numbers->addWidget(m_totalLabel);
    numbers->addSpacing(48);
    numbers->addWidget(m_rateLabel);
    numbers->addStretch(1);
    numbers->addWidget(m_hint);
    auto *layout = new QVBoxLayout(this);
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
    m_state->setText(poll.isOpen() ? tr("Voting is open") : tr("Voting is closed · final results"));
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
    if (m_total < 0)
        m_totalLabel->setText(tr("… votes"));
    else
        m_totalLabel->setText(m_total == 1 ? tr("1 vote") : tr("%1 votes").arg(UiText::number(m_total)));
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
    if (!m_joinUrl.isEmpty())
        updateQrCode();
}

void PresenterView::keyPressEvent(QKeyEvent *event)
{
    if (event->key() == Qt::Key_Escape) {
        close();
        return;
    }
    QWidget::keyPressEvent(event);
}
