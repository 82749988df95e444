#include "mainwindow.h"
#include "appearance.h"
#include "connectdialog.h"
#include "connectionmemory.h"
#include "createpolldialog.h"
#include "healthcharts.h"
#include "liveclient.h"
#include "pollactions.h"
#include "polllistmodel.h"
#include "pollsview.h"
#include "presenterview.h"
#include "resultschart.h"
#include "resultspanel.h"
#include "samplepoll.h"
#include "serverclient.h"
#include "shardview.h"
#include "timeserieschart.h"
#include "votecaster.h"
#include "windowlayout.h"

#include <QAction>
#include <QApplication>
#include <QCloseEvent>
#include <QComboBox>
#include <QDockWidget>
#include <QGroupBox>
#include <QLabel>
#include <QMenuBar>
#include <QSplitter>
#include <QStatusBar>
#include <QStyle>
#include <QTableView>
#include <QTableWidget>
#include <QTimer>
#include <QToolBar>
#include <QVBoxLayout>

#include <utility>

namespace {
constexpr int MessageMs = 8000;
} // namespace

MainWindow::MainWindow(const QString &adminToken, QWidget *parent)
    : QMainWindow(parent), m_adminToken(adminToken), m_client(new ServerClient(this)),
      m_live(new LiveClient(m_client, this)), m_model(new PollListModel(this)),
      m_polls(new PollsView(m_model, this)), m_results(new ResultsPanel(this)),
      m_caster(new VoteCaster(m_client, m_live, this)), m_shards(new ShardView(this)),
      m_health(new HealthCharts(this)), m_actions(new PollActions(m_client, this)),
      m_connectionLabel(new QLabel(this)), m_versionLabel(new QLabel(this)),
      m_statusTimer(new QTimer(this))
{
    setWindowTitle(tr("Tally"));
    m_client->setAdminToken(adminToken);

    auto *casterBox = new QGroupBox(tr("Cast votes"), this);
    auto *casterLayout = new QVBoxLayout(casterBox);
    casterLayout->addWidget(m_caster);
    auto *central = new QSplitter(Qt::Vertical, this);
    m_centralSplitter = central;
    central->setObjectName(QStringLiteral("centralSplitter"));
    central->setChildrenCollapsible(false);
    central->addWidget(m_results);
    central->addWidget(casterBox);
    central->setStretchFactor(0, 3);
    central->setStretchFactor(1, 0);
    auto *centralWidget = new QWidget(this);
    auto *centralLayout = new QVBoxLayout(centralWidget);
    centralLayout->setContentsMargins(6, 6, 6, 0);
    centralLayout->addWidget(central);
    setCentralWidget(centralWidget);

    m_results->setActions({m_actions->closePoll(), m_actions->openPoll(), m_actions->deletePoll()});
    m_polls->setContextActions({m_actions->present(), m_actions->copyJoinLink(),
                                m_actions->closePoll(), m_actions->openPoll(),
                                m_actions->resetPoll(), m_actions->revealResults(),
                                m_actions->exportResults(), m_actions->deletePoll()});
    buildMenus();
    buildDocks();

    m_connectionLabel->setObjectName(QStringLiteral("connectionLabel"));
    m_connectionLabel->setTextFormat(Qt::PlainText);
    m_versionLabel->setObjectName(QStringLiteral("versionLabel"));
    m_versionLabel->setTextFormat(Qt::PlainText);
    // No stretch: the room left of the permanent widgets is where showMessage() writes.
    statusBar()->addPermanentWidget(m_connectionLabel);
    statusBar()->addPermanentWidget(m_versionLabel);
    m_connectionLabel->setAccessibleName(tr("Connection"));
    m_versionLabel->setAccessibleName(tr("Server version"));
    m_statusTimer->setInterval(500); // the reconnect countdown, only while there is one
    connect(m_statusTimer, &QTimer::timeout, this, &MainWindow::updateConnectionStatus);

    connect(m_live, &LiveClient::stateChanged, this, [this](LiveClient::State state) {
        m_actions->setConnected(m_live->isConnected());
        const bool outage = state == LiveClient::State::Reconnecting;
        m_health->setOutage(outage);
        m_results->setOutage(outage);
        updateConnectionStatus();
        updatePaused();
    });
    connect(m_live, &LiveClient::pollsReceived, this, [this](const QJsonArray &polls) {
        m_model->setPolls(polls);
        m_listLoaded = true;
        m_polls->setLoading(false);
        // A notice about the deleted poll stays until the operator picks another one.
        if (m_deletedNotice.isEmpty())
            selectFirstPollIfNone();
        updateSampleAction();
    });
    connect(m_live, &LiveClient::pollEvent, this,
            [this](const QString &type, const QJsonObject &poll) {
                if (type == u"poll_deleted")
                    m_model->removePoll(poll.value(QStringLiteral("id")).toString());
                else
                    m_model->upsertPoll(poll);
            });
    connect(m_live, &LiveClient::pollGone, m_model, &PollListModel::removePoll);
    connect(m_live, &LiveClient::resultsReceived, this, &MainWindow::onResults);
    connect(m_live, &LiveClient::votersReceived, this,
            [this](const QString &pollId, qint64 voters) {
                if (pollId == m_selected)
                    m_results->setVoters(voters);
                if (m_presenter && pollId == m_presenter->pollId())
                    m_presenter->chart()->setVoters(voters);
            });
    connect(m_live, &LiveClient::resultsHidden, this, [this](const QString &pollId) {
        if (pollId == m_selected)
            m_results->setCountsHidden();
    });
    connect(m_live, &LiveClient::statsReceived, this, &MainWindow::onStats);
    connect(m_live, &LiveClient::ringReceived, m_shards, &ShardView::setRing);

    auto watch = [this] {
        m_live->setWatchedPolls(m_model->ids());
        updateSampleAction();
    };
    connect(m_model, &QAbstractItemModel::rowsInserted, this, watch);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, watch);
    connect(m_model, &QAbstractItemModel::modelReset, this, watch);
    connect(m_model, &PollListModel::pollChanged, this, &MainWindow::onPollChanged);
    // Before the selection empties: the shown poll is gone, so say so instead of
    // quietly showing nothing or another poll.
    connect(m_model, &QAbstractItemModel::rowsAboutToBeRemoved, this,
            [this](const QModelIndex &, int first, int last) {
                // The poll list has emptied its selection just before (PollsView).
                const QString shown = m_selected.isEmpty() ? m_previousSelected : m_selected;
                for (int row = first; row <= last; ++row) {
                    if (shown.isEmpty() || m_model->pollAt(row).id != shown)
                        continue;
                    m_deletedNotice =
                        tr("The poll “%1” was deleted.").arg(m_model->pollAt(row).question);
                    statusBar()->showMessage(m_deletedNotice, MessageMs);
                    if (m_selected.isEmpty())
                        m_results->clearPoll(m_deletedNotice);
                }
            });
    connect(m_polls, &PollsView::selectedPollChanged, this, &MainWindow::onSelectionChanged);

    connect(m_actions, &PollActions::newPollRequested, this, &MainWindow::showCreateDialog);
    connect(m_actions, &PollActions::presentRequested, this, &MainWindow::showPresenter);
    connect(m_model, &QAbstractItemModel::rowsRemoved, this, &MainWindow::updatePresenter);
    connect(m_actions, &PollActions::pollUpdated, m_model, &PollListModel::upsertPoll);
    connect(m_actions, &PollActions::pollDeleted, m_model, &PollListModel::removePoll);
    connect(m_actions, &PollActions::pollReset, this, [this](const QJsonObject &poll) {
        const QString id = poll.value(QStringLiteral("id")).toString();
        m_live->forgetResults(id);
        m_live->fetchResults(id);
    });
    connect(m_actions, &PollActions::message, this,
            [this](const QString &text) { statusBar()->showMessage(text, MessageMs); });
    connect(m_caster, &VoteCaster::voted, m_live, &LiveClient::fetchResults);

    onSelectionChanged({});
    // Docks can only be sized once the window has its size (showEvent).
    m_defaultDocks = !WindowLayout::restore(this, m_centralSplitter);
    updateConnectionStatus();
}

MainWindow::~MainWindow() = default;

void MainWindow::buildMenus()
{
    QStyle *style = this->style();
    auto *connectAction =
        new QAction(style->standardIcon(QStyle::SP_DriveNetIcon), tr("&Connect to…"), this);
    connectAction->setObjectName(QStringLiteral("connectAction"));
    connectAction->setShortcut(QKeySequence(tr("Ctrl+L")));
    connectAction->setToolTip(tr("Watch another server, or set the admin token (Ctrl+L)"));
    connect(connectAction, &QAction::triggered, this, &MainWindow::showConnectDialog);
    auto *refreshAction =
        new QAction(style->standardIcon(QStyle::SP_BrowserReload), tr("&Refresh"), this);
    refreshAction->setObjectName(QStringLiteral("refreshAction"));
    refreshAction->setShortcuts({QKeySequence(Qt::Key_F5), QKeySequence(tr("Ctrl+R"))});
    refreshAction->setToolTip(tr("Fetch polls, results, stats and the ring now (F5)"));
    connect(refreshAction, &QAction::triggered, m_live, &LiveClient::refresh);
    auto *quitAction = new QAction(tr("&Quit"), this);
    quitAction->setObjectName(QStringLiteral("quitAction"));
    quitAction->setShortcut(QKeySequence(tr("Ctrl+Q")));
    quitAction->setMenuRole(QAction::QuitRole);
    connect(quitAction, &QAction::triggered, this, &QWidget::close);

    QMenu *server = menuBar()->addMenu(tr("&Server"));
    server->addAction(connectAction);
    server->addAction(refreshAction);
    server->addSeparator();
    server->addAction(quitAction);
    m_sampleAction = new QAction(tr("Create a &sample poll"), this);
    m_sampleAction->setObjectName(QStringLiteral("samplePollAction"));
    m_sampleAction->setToolTip(
        tr("Create a poll named as a sample and cast a few votes, to see the charts move"));
    m_sampleAction->setVisible(false);
    connect(m_sampleAction, &QAction::triggered, this, &MainWindow::createSamplePoll);

    QMenu *poll = menuBar()->addMenu(tr("&Poll"));
    poll->addAction(m_actions->newPoll());
    poll->addAction(m_sampleAction);
    poll->addSeparator();
    poll->addAction(m_actions->present());
    poll->addAction(m_actions->copyJoinLink());
    poll->addSeparator();
    poll->addAction(m_actions->closePoll());
    poll->addAction(m_actions->openPoll());
    poll->addAction(m_actions->resetPoll());
    poll->addAction(m_actions->revealResults());
    poll->addAction(m_actions->exportResults());
    poll->addSeparator();
    poll->addAction(m_actions->deletePoll());

    QToolBar *toolbar = addToolBar(tr("Main"));
    toolbar->setObjectName(QStringLiteral("mainToolBar"));
    toolbar->setToolButtonStyle(Qt::ToolButtonTextBesideIcon);
    toolbar->setMovable(false);
    toolbar->addAction(m_actions->newPoll());
    toolbar->addAction(m_sampleAction);
    toolbar->addAction(m_actions->present());
    toolbar->addAction(m_actions->revealResults());
    toolbar->addAction(m_actions->exportResults());
    toolbar->addAction(refreshAction);
    toolbar->addAction(connectAction);
}

void MainWindow::buildDocks()
{
    setCorner(Qt::BottomLeftCorner, Qt::LeftDockWidgetArea);
    setDockOptions(QMainWindow::AnimatedDocks | QMainWindow::AllowTabbedDocks);
    auto dock = [this](const QString &title, const QString &name, QWidget *content) {
        auto *dock = new QDockWidget(title, this);
        dock->setObjectName(name);
        dock->setFeatures(QDockWidget::DockWidgetMovable | QDockWidget::DockWidgetFloatable);
        dock->setWidget(content);
        return dock;
    };
    QDockWidget *polls = dock(tr("Polls"), QStringLiteral("pollsDock"), m_polls);
    QDockWidget *shards = dock(tr("Shards"), QStringLiteral("shardsDock"), m_shards);
    QDockWidget *health = dock(tr("Health"), QStringLiteral("healthDock"), m_health);
    addDockWidget(Qt::LeftDockWidgetArea, polls);
    addDockWidget(Qt::LeftDockWidgetArea, shards);
    addDockWidget(Qt::BottomDockWidgetArea, health);
    QMenu *view = menuBar()->addMenu(tr("&View"));
    for (QDockWidget *each : {polls, shards, health})
        view->addAction(each->toggleViewAction());
    view->addSeparator();
    // Keyboard ways into each part of the window; they show a hidden dock first.
    const struct {
        QString text;
        QDockWidget *dock;
        QWidget *target;
    } jumps[] = {{tr("Go to &polls"), polls, m_polls->table()},
                 {tr("Go to &results"), nullptr, m_results->chart()},
                 {tr("Go to &vote caster"), nullptr, m_caster},
                 {tr("Go to s&hards"), shards, m_shards->table()},
                 {tr("Go to h&ealth"), health, m_health->bufferDepth()}};
    int key = Qt::Key_1;
    for (const auto &jump : jumps) {
        auto *action = view->addAction(jump.text);
        action->setShortcut(QKeySequence(Qt::CTRL | Qt::Key(key++)));
        QDockWidget *target = jump.dock;
        QWidget *widget = jump.target;
        connect(action, &QAction::triggered, this, [target, widget] {
            if (target) {
                target->show();
                target->raise();
            }
            if (widget->focusPolicy() != Qt::NoFocus)
                widget->setFocus(Qt::ShortcutFocusReason);
            else
                widget->nextInFocusChain()->setFocus(Qt::ShortcutFocusReason);
        });
    }
    Appearance::addColourMenu(view, this);
    for (QDockWidget *each : {polls, shards, health}) {
        each->setAccessibleName(each->windowTitle());
        connect(each, &QDockWidget::visibilityChanged, this, &MainWindow::updatePaused);
    }
}

void MainWindow::updateTabOrder()
{
    // Reading order: filters and list, the selected poll, its vote caster, the shards,
    // the health charts (the default would follow creation order, and put the option
    // buttons made for each poll last).
    QList<QWidget *> chain{m_polls->themeFilter(), m_polls->statusFilter(), m_polls->table()};
    chain << m_results->tabChain() << m_caster->tabChain() << m_shards->tabChain();
    for (TimeSeriesChart *chart : m_health->charts())
        chain << chart;
    for (qsizetype i = 1; i < chain.size(); ++i)
        setTabOrder(chain.at(i - 1), chain.at(i));
}

void MainWindow::updatePaused()
{
    m_health->setPaused(m_minimised);
    m_shards->setPaused(m_minimised);
    m_results->setPaused(m_minimised);
    // The countdown ticks only while there is one to show.
    const LiveClient::State state = m_live->state();
    const bool countdown =
        state == LiveClient::State::Reconnecting || state == LiveClient::State::Polling;
    if (countdown && !m_minimised)
        m_statusTimer->start();
    else
        m_statusTimer->stop();
}

void MainWindow::changeEvent(QEvent *event)
{
    QMainWindow::changeEvent(event);
    if (event->type() == QEvent::WindowStateChange && isMinimized() != m_minimised) {
        m_minimised = isMinimized();
        updatePaused();
        if (!m_minimised)
            updateConnectionStatus();
    }
}

QUrl MainWindow::lastConnection()
{
    return ConnectionMemory::lastConnection();
}

QString MainWindow::rememberedToken(const QUrl &url)
{
    return ConnectionMemory::token(url);
}

void MainWindow::connectTo(const QUrl &url)
{
    if (url != m_client->baseUrl()) {
        m_deletedNotice.clear();
        m_model->clear();
        m_shards->clear();
        m_health->clear();
        m_listLoaded = false;
        updateSampleAction();
        m_polls->setLoading(true);
        m_version.clear();
    }
    ConnectionMemory::remember(url);
    if (m_adminToken.isEmpty())
        m_client->setAdminToken(ConnectionMemory::token(url));
    setWindowTitle(tr("Tally — %1").arg(url.toString(QUrl::StripTrailingSlash)));
    // Until the server names its public URL (in its stats), join links use its address.
    m_actions->setPublicUrl(url.adjusted(QUrl::StripTrailingSlash | QUrl::RemovePath));
    m_live->start(url);
    updateConnectionStatus();
}

QUrl MainWindow::serverUrl() const
{
    return m_client->baseUrl();
}

void MainWindow::showConnectDialog()
{
    auto *dialog = new ConnectDialog(this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setRecentUrls(ConnectionMemory::recentUrls());
    dialog->setUrl(serverUrl());
    dialog->setToken(m_client->adminToken());
    dialog->setRememberToken(ConnectionMemory::hasToken(serverUrl()));
    connect(dialog, &QDialog::accepted, this, [this, dialog] {
        const QUrl url = dialog->url();
        ConnectionMemory::setToken(url, dialog->token(), dialog->rememberToken());
        m_adminToken = dialog->token();
        m_client->setAdminToken(dialog->token());
        connectTo(url);
    });
    dialog->open();
}

CreatePollDialog *MainWindow::createDialog() const
{
    return findChild<CreatePollDialog *>(QString(), Qt::FindDirectChildrenOnly);
}

void MainWindow::showCreateDialog()
{
    if (CreatePollDialog *open = createDialog()) {
        open->raise();
        open->activateWindow();
        return;
    }
    auto *dialog = new CreatePollDialog(m_client, this);
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    connect(dialog, &CreatePollDialog::created, this, [this](const QJsonObject &poll) {
        m_model->upsertPoll(poll);
        m_polls->selectPoll(poll.value(QStringLiteral("id")).toString());
        statusBar()->showMessage(tr("Poll created."), MessageMs);
    });
    dialog->open();
}

void MainWindow::createSamplePoll()
{
    m_sampleAction->setEnabled(false);
    auto *sample = new SamplePoll(m_client, this);
    connect(sample, &SamplePoll::created, this, [this](const QJsonObject &poll) {
        m_model->upsertPoll(poll);
        m_polls->selectPoll(poll.value(QStringLiteral("id")).toString());
        statusBar()->showMessage(tr("Sample poll created; a few votes are on their way."), 5000);
    });
    connect(sample, &SamplePoll::failed, this, [this, sample](const QString &message) {
        statusBar()->showMessage(tr("Could not create the sample poll: %1").arg(message), 10000);
        m_sampleAction->setEnabled(true);
        sample->deleteLater();
    });
    connect(sample, &SamplePoll::finished, this, [this, sample] {
        m_sampleAction->setEnabled(true);
        sample->deleteLater();
    });
    sample->create();
}

void MainWindow::updateSampleAction()
{
    m_sampleAction->setVisible(m_listLoaded && m_model->rowCount() == 0);
}

void MainWindow::onSelectionChanged(const QString &pollId)
{
    m_previousSelected = m_selected;
    m_selected = pollId;
    m_live->setSelectedPoll(pollId);
    const PollInfo *poll = m_model->poll(pollId);
    if (!poll) {
        m_results->clearPoll(!m_deletedNotice.isEmpty() ? m_deletedNotice
                             : m_model->rowCount() == 0 && m_listLoaded
                                 ? tr("No polls yet — press Ctrl+N to create one.")
                                 : tr("Select a poll to see its results."));
        m_caster->clearPoll();
        m_actions->setPoll(PollInfo(), -1);
    } else {
        m_deletedNotice.clear();
        m_results->setPoll(*poll);
        // The newest counts known for it, at once: a closed poll gets no new ones.
        const LiveClient::Snapshot latest = m_live->latestResults(pollId);
        if (latest.total >= 0)
            m_results->setResults(latest.results, latest.total);
        m_caster->setPoll(*poll);
        m_actions->setPoll(*poll, m_model->totalOf(pollId));
    }
    updateSelectionOwner();
    updateTabOrder();
}

void MainWindow::onPollChanged(const QString &pollId)
{
    if (pollId == m_selected)
        onSelectionChanged(pollId);
    if (m_presenter && pollId == m_presenter->pollId())
        updatePresenter();
}

PresenterView *MainWindow::presenter() const
{
    return m_presenter;
}

void MainWindow::showPresenter()
{
    const PollInfo *poll = m_model->poll(m_selected);
    if (!poll)
        return;
    if (!m_presenter) {
        m_presenter = new PresenterView(this);
        m_presenter->setAttribute(Qt::WA_DeleteOnClose);
    }
    m_presenter->setPoll(*poll);
    if (m_results->chart()->pollId() == poll->id && m_results->chart()->total() >= 0) {
        QJsonObject counts;
        const QMap<QString, qint64> values = m_results->chart()->values();
        for (auto it = values.cbegin(); it != values.cend(); ++it)
            counts.insert(it.key(), it.value());
        m_presenter->setResults(counts, m_results->chart()->total());
    }
    updatePresenter();
    m_presenter->showFullScreen();
    m_presenter->raise();
    m_presenter->activateWindow();
    m_live->fetchResults(poll->id);
}

void MainWindow::updatePresenter()
{
    if (!m_presenter)
        return;
    const QString id = m_presenter->pollId();
    m_presenter->setJoinUrl(PollActions::joinUrl(m_actions->publicUrl(), id));
    if (const PollInfo *poll = m_model->poll(id))
        m_presenter->setPoll(*poll);
    else if (m_listLoaded)
        m_presenter->showPollGone();
}

void MainWindow::selectFirstPollIfNone()
{
    if (!m_polls->selectedPollId().isEmpty() || m_model->rowCount() == 0) {
        if (m_model->rowCount() == 0)
            onSelectionChanged({}); // the empty state says what to do
        return;
    }
    m_polls->selectPoll(m_model->pollAt(0).id);
}

void MainWindow::updateSelectionOwner()
{
    const PollInfo *poll = m_model->poll(m_selected);
    m_shards->setSelectedPoll(poll ? poll->question : QString(), poll ? poll->shard : QString());
}

void MainWindow::onResults(const QString &pollId, const QJsonObject &results, qint64 total)
{
    m_model->setTotal(pollId, total);
    if (m_presenter && pollId == m_presenter->pollId())
        m_presenter->setResults(results, total);
    if (pollId == m_selected) {
        m_results->setResults(results, total);
        if (const PollInfo *poll = m_model->poll(pollId))
            m_actions->setPoll(*poll, total);
    }
}

void MainWindow::onStats(const QJsonObject &stats)
{
    m_health->addStats(stats);
    const QUrl publicUrl(stats.value(QStringLiteral("public_url")).toString());
    if (publicUrl.isValid() && !publicUrl.isEmpty() && publicUrl != m_actions->publicUrl()) {
        m_actions->setPublicUrl(publicUrl);
        updatePresenter();
    }
    m_shards->setStats(stats);
    const QString version = stats.value(QStringLiteral("version")).toString();
    if (version != m_version) {
        m_version = version;
        updateConnectionStatus();
    }
}

QString MainWindow::connectionText() const
{
    return m_live->statusText();
}

QString MainWindow::versionText() const
{
    return m_version.isEmpty() ? QString() : tr("Server version %1").arg(m_version);
}

void MainWindow::updateConnectionStatus()
{
    m_connectionLabel->setText(connectionText());
    m_versionLabel->setText(versionText());
}

void MainWindow::showEvent(QShowEvent *event)
{
    QMainWindow::showEvent(event);
    if (std::exchange(m_defaultDocks, false))
        WindowLayout::applyDefaultDocks(this);
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    WindowLayout::save(this, m_centralSplitter);
    m_statusTimer->stop();
    m_live->stop();
    Q_EMIT closed();
    event->accept();
}
