#include "votecaster.h"
#include "lagmeter.h"
#include "liveclient.h"
#include "serverclient.h"
#include "uitext.h"
#include "voteburst.h"

#include <QComboBox>
#include <QEvent>
#include <QGridLayout>
#include <QHBoxLayout>
#include <QJsonObject>
#include <QLabel>
#include <QLocale>
#include <QProgressBar>
#include <QPushButton>
#include <QSettings>
#include <QSpinBox>
#include <QStandardItemModel>
#include <QStyle>
#include <QStyleOptionButton>
#include <QTimer>
#include <QVBoxLayout>

namespace {
constexpr int OptionsPerRow = 5;
constexpr int MinButtonChars = 10; // an option button shows at least this much text
constexpr int ProgressRefreshMs = 100;
const QString SettingsGroup = QStringLiteral("caster");
} // namespace

VoteCaster::VoteCaster(ServerClient *client, LiveClient *live, QWidget *parent)
    : QWidget(parent), m_client(client), m_live(live), m_burst(new VoteBurst(live, this)),
      m_lag(new LagMeter(this)), m_refreshTimer(new QTimer(this)), m_optionGrid(new QGridLayout),
      m_feedback(new QLabel(this)), m_count(new QSpinBox(this)), m_rate(new QSpinBox(this)),
      m_transport(new QComboBox(this)), m_start(new QPushButton(tr("Sta&rt burst"), this)),
      m_cancel(new QPushButton(tr("Cance&l"), this)), m_progress(new QProgressBar(this)),
      m_burstLabel(new QLabel(this)), m_lagLabel(new QLabel(this))
{
    QSettings settings;
    settings.beginGroup(SettingsGroup);
    m_count->setObjectName(QStringLiteral("burstCount"));
    m_count->setRange(1, 1000000);
    m_count->setGroupSeparatorShown(true);
    m_count->setValue(settings.value(QStringLiteral("count"), 1000).toInt());
    m_count->setToolTip(tr("How many votes the burst sends"));
    m_count->setAccessibleName(tr("Burst size in votes"));
    m_rate->setObjectName(QStringLiteral("burstRate"));
    m_rate->setRange(1, 50000);
    m_rate->setGroupSeparatorShown(true);
    m_rate->setValue(settings.value(QStringLiteral("rate"), 200).toInt());
    m_rate->setToolTip(tr("Target rate in votes per second"));
    m_rate->setAccessibleName(tr("Burst rate in votes per second"));
    m_transport->setObjectName(QStringLiteral("burstTransport"));
    m_transport->addItem(tr("REST bulk"), int(VoteBurst::Transport::RestBulk));
    m_transport->addItem(tr("REST single"), int(VoteBurst::Transport::RestSingle));
    m_transport->addItem(tr("WebSocket"), int(VoteBurst::Transport::WebSocket));
    m_transport->setToolTip(tr("REST bulk: POST /api/v1/votes in chunks of up to %1 votes\n"
                               "REST single: one POST /api/v1/vote/{id} per vote\n"
                               "WebSocket: vote messages on the live connection")
                                .arg(VoteBurst::MaxBulkChunk));
    m_transport->setAccessibleName(tr("Burst transport"));
    m_transport->setCurrentIndex(
        qBound(0, settings.value(QStringLiteral("transport"), 0).toInt(), 2));
    m_start->setObjectName(QStringLiteral("burstStart"));
    m_start->setToolTip(tr("Send the votes at the chosen rate, spread over the options by weight; "
                           "on a multiple-choice poll each vote selects 1 to its maximum of "
                           "options, in turn"));
    m_cancel->setObjectName(QStringLiteral("burstCancel"));
    m_cancel->setToolTip(tr("Stop sending; votes already sent stay counted"));
    m_progress->setObjectName(QStringLiteral("burstProgress"));
    m_progress->setRange(0, 1);
    m_progress->setValue(0);
    m_progress->setFormat(tr("No burst yet"));
    m_progress->setAccessibleName(tr("Burst progress"));
    for (QLabel *label : {m_feedback, m_burstLabel, m_lagLabel}) {
        label->setTextFormat(Qt::PlainText);
        label->setWordWrap(true);
    }
    m_feedback->setObjectName(QStringLiteral("voteFeedback"));
    m_burstLabel->setObjectName(QStringLiteral("burstStatus"));
    m_lagLabel->setObjectName(QStringLiteral("lagLabel"));
    m_lagLabel->setToolTip(tr("How late a 10 ms timer fires on the console's event loop: "
                              "low numbers mean the window stays responsive"));

    auto *burstRow = new QHBoxLayout;
    auto *countLabel = new QLabel(tr("B&urst:"), this);
    countLabel->setBuddy(m_count);
    auto *rateLabel = new QLabel(tr("v&otes at"), this);
    rateLabel->setBuddy(m_rate);
    auto *transportLabel = new QLabel(tr("votes/s v&ia"), this);
    transportLabel->setBuddy(m_transport);
    burstRow->addWidget(countLabel);
    burstRow->addWidget(m_count);
    burstRow->addWidget(rateLabel);
    burstRow->addWidget(m_rate);
    burstRow->addWidget(transportLabel);
    burstRow->addWidget(m_transport);
    burstRow->addStretch(1);
    burstRow->addWidget(m_start);
    burstRow->addWidget(m_cancel);
    auto *progressRow = new QHBoxLayout;
    progressRow->addWidget(m_progress, 2);
    progressRow->addWidget(m_burstLabel, 3);

    m_optionGrid->setHorizontalSpacing(6);
    m_optionGrid->setVerticalSpacing(2);
    auto *layout = new QVBoxLayout(this);
    layout->setContentsMargins(0, 0, 0, 0);
    layout->addLayout(m_optionGrid);
    layout->addWidget(m_feedback);
    layout->addLayout(burstRow);
    layout->addLayout(progressRow);
    layout->addWidget(m_lagLabel);

    m_refreshTimer->setInterval(ProgressRefreshMs);
    connect(m_refreshTimer, &QTimer::timeout, this, &VoteCaster::updateBurst);
    connect(m_start, &QPushButton::clicked, this, &VoteCaster::startBurst);
    connect(m_cancel, &QPushButton::clicked, m_burst, &VoteBurst::cancel);
    connect(m_burst, &VoteBurst::finished, this, [this](bool cancelled) {
        m_lag->stop();
        m_refreshTimer->stop();
        updateBurst();
        if (cancelled)
            m_burstLabel->setText(m_burstLabel->text() + tr(" — cancelled"));
        updateEnabled();
        if (!m_burst->plan().pollId.isEmpty())
            Q_EMIT voted(m_burst->plan().pollId);
    });
    connect(m_live, &LiveClient::stateChanged, this, &VoteCaster::updateTransports);
    for (QSpinBox *box : {m_count, m_rate})
        connect(box, &QSpinBox::valueChanged, this, &VoteCaster::saveSettings);
    connect(m_transport, &QComboBox::currentIndexChanged, this, &VoteCaster::saveSettings);
    m_lagLabel->setText(tr("Event loop delay: measured during a burst"));
    updateTransports();
    clearPoll();
}

void VoteCaster::saveSettings() const
{
    QSettings settings;
    settings.beginGroup(SettingsGroup);
    settings.setValue(QStringLiteral("count"), m_count->value());
    settings.setValue(QStringLiteral("rate"), m_rate->value());
    settings.setValue(QStringLiteral("transport"), m_transport->currentIndex());
}

void VoteCaster::updateTransports()
{
    auto *model = qobject_cast<QStandardItemModel *>(m_transport->model());
    const bool live = m_live->socketLive();
    const bool bulk = !m_poll.oneVotePerVoter;
    if (QStandardItem *item = model ? model->item(0) : nullptr) {
        item->setEnabled(bulk);
        item->setToolTip(bulk ? QString()
                              : tr("One vote per voter: each vote needs its own voter id"));
    }
    if (QStandardItem *item = model ? model->item(2) : nullptr) {
        item->setEnabled(live);
        item->setToolTip(live ? QString() : tr("The WebSocket is not connected"));
    }
    // Only a transport that cannot run is replaced: the operator's choice stays otherwise.
    if (!live && m_transport->currentIndex() == 2)
        m_transport->setCurrentIndex(bulk ? 0 : 1);
    if (!bulk && m_transport->currentIndex() == 0)
        m_transport->setCurrentIndex(1);
}

void VoteCaster::setPoll(const PollInfo &poll)
{
    const bool rebuild = poll.id != m_poll.id || poll.options.size() != m_poll.options.size();
    if (poll.id != m_poll.id) {
        m_singleAccepted = 0;
        m_feedback->setText(tr("Click an option to cast one vote; weights shape a burst."));
    }
    m_poll = poll;
    if (rebuild)
        rebuildOptions();
    updateTransports();
    updateEnabled();
}

void VoteCaster::clearPoll()
{
    m_poll = PollInfo();
    rebuildOptions();
    m_feedback->setText(tr("Select a poll to vote on it."));
    updateEnabled();
}

void VoteCaster::rebuildOptions()
{
    qDeleteAll(m_optionWidgets);
    m_optionWidgets.clear();
    m_buttons.clear();
    m_weights.clear();
    if (m_poll.options.isEmpty())
        return;
    const int blocks = int((m_poll.options.size() + OptionsPerRow - 1) / OptionsPerRow);
    for (int block = 0; block < blocks; ++block) {
        auto *voteLabel = new QLabel(tr("Vote:"), this);
        auto *weightLabel = new QLabel(tr("Weight:"), this);
        weightLabel->setToolTip(tr("Relative share of each option in a burst"));
        m_optionGrid->addWidget(voteLabel, block * 2, 0);
        m_optionGrid->addWidget(weightLabel, block * 2 + 1, 0);
        m_optionWidgets << voteLabel << weightLabel;
    }
    for (int i = 0; i < m_poll.options.size(); ++i) {
        const PollInfo::Option &option = m_poll.options.at(i);
        const QString full = QStringLiteral("%1 · %2").arg(option.id, option.text);
        auto *button = new QPushButton(this);
        button->setObjectName(QStringLiteral("vote_%1").arg(option.id));
        button->setProperty("fullText", full);
        button->setMinimumWidth(button->fontMetrics().averageCharWidth() * MinButtonChars);
        elide(button);
        button->installEventFilter(this);
        button->setToolTip(UiText::forToolTip(tr("One vote for: %1").arg(option.text)));
        button->setAccessibleName(tr("Vote for %1").arg(full));
        button->setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Fixed);
        connect(button, &QPushButton::clicked, this, [this, id = option.id] { castVote(id); });
        auto *weight = new QSpinBox(this);
        weight->setObjectName(QStringLiteral("weight_%1").arg(option.id));
        weight->setRange(0, 1000);
        weight->setValue(1);
        weight->setSizePolicy(QSizePolicy::Fixed, QSizePolicy::Fixed);
        weight->setToolTip(UiText::forToolTip(tr("Burst weight of %1").arg(option.text)));
        weight->setAccessibleName(tr("Burst weight of %1").arg(full));
        const int row = (i / OptionsPerRow) * 2;
        const int column = 1 + i % OptionsPerRow;
        m_optionGrid->addWidget(button, row, column);
        m_optionGrid->addWidget(weight, row + 1, column, Qt::AlignLeft);
        m_buttons.insert(option.id, button);
        m_weights.insert(option.id, weight);
        m_optionWidgets << button << weight;
    }
    for (int column = 1; column <= OptionsPerRow; ++column)
        m_optionGrid->setColumnStretch(column, 1);
}

QList<QWidget *> VoteCaster::tabChain() const
{
    QList<QWidget *> chain;
    for (const PollInfo::Option &option : m_poll.options) {
        if (QPushButton *button = m_buttons.value(option.id))
            chain << button << m_weights.value(option.id);
    }
    chain << m_count << m_rate << m_transport << m_start << m_cancel;
    return chain;
}

void VoteCaster::elide(QPushButton *button)
{
    const QString full = button->property("fullText").toString();
    // The text's room: the button without its frame and margins, as the style says
    // (measured around a wide text, so a style's minimum button width does not count).
    QStyleOptionButton option;
    option.initFrom(button);
    option.text = full;
    const QSize wide(button->fontMetrics().averageCharWidth() * 40, button->fontMetrics().height());
    const int padding =
        button->style()->sizeFromContents(QStyle::CT_PushButton, &option, wide, button).width() -
        wide.width();
    const int width = qMax(button->minimumWidth(), button->width()) - padding;
    const QString shown =
        UiText::forButton(button->fontMetrics().elidedText(full, Qt::ElideRight, width));
    if (button->text() != shown)
        button->setText(shown);
}

bool VoteCaster::eventFilter(QObject *watched, QEvent *event)
{
    // The grid's columns decide a button's width; its text is elided to fit.
    if (event->type() == QEvent::Resize) {
        if (auto *button = qobject_cast<QPushButton *>(watched))
            elide(button);
    }
    return QWidget::eventFilter(watched, event);
}

void VoteCaster::updateEnabled()
{
    const bool open = !m_poll.id.isEmpty() && m_poll.isOpen();
    for (QPushButton *button : std::as_const(m_buttons))
        button->setEnabled(open);
    const bool running = m_burst->isRunning();
    m_start->setEnabled(open && !running);
    m_cancel->setEnabled(running);
    for (QWidget *input : {static_cast<QWidget *>(m_count), static_cast<QWidget *>(m_rate),
                           static_cast<QWidget *>(m_transport)})
        input->setEnabled(!running);
    if (!m_poll.id.isEmpty() && !m_poll.isOpen())
        m_feedback->setText(tr("This poll is closed: open it to vote."));
    else if (!m_poll.id.isEmpty() &&
             m_feedback->text() == tr("This poll is closed: open it to vote."))
        m_feedback->setText(tr("Click an option to cast one vote; weights shape a burst."));
}

void VoteCaster::castVote(const QString &optionId)
{
    const QString pollId = m_poll.id;
    const QString text = m_poll.optionText(optionId);
    ++m_singlePending;
    QJsonObject body{{QStringLiteral("option_id"), optionId}};
    if (m_poll.oneVotePerVoter)
        body.insert(QStringLiteral("voter_id"), VoteBurst::newVoterId()); // a new voter per click
    m_client->post(ServerClient::apiPath(m_client->api(Protocol::VotePath), pollId), body, this,
                   [this, pollId, optionId, text](const ApiReply &reply) {
                       --m_singlePending;
                       if (pollId != m_poll.id)
                           return;
                       if (reply.ok()) {
                           ++m_singleAccepted;
                           m_feedback->setText(
                               UiText::plural(tr("Vote for %1 (%2) accepted — %Ln vote(s) from "
                                                 "this console.",
                                                 nullptr, m_singleAccepted),
                                              m_singleAccepted)
                                   .arg(optionId, text));
                           Q_EMIT voted(pollId);
                       } else {
                           m_feedback->setText(
                               tr("Vote for %1 refused: %2").arg(optionId, reply.errorMessage()));
                       }
                   });
}

void VoteCaster::startBurst()
{
    VoteBurst::Plan plan;
    plan.pollId = m_poll.id;
    for (const PollInfo::Option &option : std::as_const(m_poll.options)) {
        plan.optionIds.append(option.id);
        plan.weights.append(m_weights.value(option.id) ? m_weights.value(option.id)->value() : 0);
    }
    plan.count = m_count->value();
    plan.ratePerSecond = m_rate->value();
    plan.transport = VoteBurst::Transport(m_transport->currentData().toInt());
    plan.uniqueVoters = m_poll.oneVotePerVoter;
    plan.maxChoices = m_poll.maxChoices;
    QString error;
    if (!m_burst->start(plan, m_client->baseUrl(), &error)) {
        m_burstLabel->setText(error);
        return;
    }
    m_progress->setRange(0, plan.count);
    m_progress->setValue(0);
    m_progress->setFormat(QStringLiteral("%v / %m"));
    m_lag->start();
    m_refreshTimer->start();
    updateEnabled();
    updateBurst();
}

void VoteCaster::updateBurst()
{
    const QLocale locale;
    m_progress->setValue(m_burst->accepted() + m_burst->errors());
    QString text =
        tr("Sent %1 of %2 · accepted %3 · errors %4 · %5 votes/s achieved")
            .arg(locale.toString(m_burst->dispatched()), locale.toString(m_burst->plan().count),
                 locale.toString(m_burst->accepted()), locale.toString(m_burst->errors()),
                 locale.toString(m_burst->achievedRate(), 'f', 1));
    if (m_burst->retried() > 0)
        text += tr(" · %1 resent after the server asked to wait")
                    .arg(locale.toString(m_burst->retried()));
    if (!m_burst->lastError().isEmpty())
        text += tr("\nLast problem: %1").arg(m_burst->lastError());
    m_burstLabel->setText(text);
    if (m_lag->samples() > 0)
        m_lagLabel->setText(tr("Event loop delay during the burst: avg %1 ms · max %2 ms")
                                .arg(locale.toString(m_lag->averageMs(), 'f', 2),
                                     locale.toString(m_lag->maxMs(), 'f', 1)));
}
