#pragma once

#include <QMainWindow>
#include <QPointer>
#include <QUrl>

class CreatePollDialog;
class HealthCharts;
class LiveClient;
class PollActions;
class PollListModel;
class PollsView;
class PresenterView;
class QLabel;
class QMenu;
class QTimer;
class QAction;
class QSplitter;
class ResultsPanel;
class ServerClient;
class ShardView;
class VoteCaster;

// The operator console: the polls of one server with their live totals, the selected
// poll's live chart and a vote caster, the shards behind the server and its health
// over time. It talks to the server only through the REST API and the WebSocket.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const QString &adminToken = {}, QWidget *parent = nullptr);
    ~MainWindow() override;

    // Watches the server at `url` (the embedded one, or a remote one).
    void connectTo(const QUrl &url);
    QUrl serverUrl() const;

    // The connection as the status bar shows it, e.g. "Connected · live updates".
    QString connectionText() const;
    QString versionText() const;

    ServerClient *client() const { return m_client; }
    LiveClient *liveClient() const { return m_live; }
    PollListModel *pollModel() const { return m_model; }
    PollsView *pollsView() const { return m_polls; }
    ResultsPanel *resultsPanel() const { return m_results; }
    VoteCaster *voteCaster() const { return m_caster; }
    ShardView *shardView() const { return m_shards; }
    HealthCharts *healthCharts() const { return m_health; }
    PollActions *pollActions() const { return m_actions; }
    // The create dialog while it is open.
    CreatePollDialog *createDialog() const;
    // "Create a sample poll": offered while the server has no polls.
    QAction *samplePollAction() const { return m_sampleAction; }

    // The server the console watched when it was last closed (empty: none yet).
    static QUrl lastConnection();
    static QString rememberedToken(const QUrl &url);
    // The presenter view while it is open.
    PresenterView *presenter() const;

public Q_SLOTS:
    void showConnectDialog();
    void showCreateDialog();
    void createSamplePoll();
    // Shows the selected poll full screen for a projector (F11).
    void showPresenter();

Q_SIGNALS:
    void closed();

protected:
    void closeEvent(QCloseEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void buildMenus();
    void buildDocks();
    void onSelectionChanged(const QString &pollId);
    void onPollChanged(const QString &pollId);
    void onResults(const QString &pollId, const QJsonObject &results, qint64 total);
    void onStats(const QJsonObject &stats);
    void updateConnectionStatus();
    void updateSelectionOwner();
    void selectFirstPollIfNone();
    void updateSampleAction();
    void updatePresenter();
    void updateTabOrder();
    void updatePaused();

    QString m_adminToken;
    ServerClient *m_client;
    LiveClient *m_live;
    PollListModel *m_model;
    PollsView *m_polls;
    ResultsPanel *m_results;
    VoteCaster *m_caster;
    ShardView *m_shards;
    HealthCharts *m_health;
    PollActions *m_actions;
    QPointer<PresenterView> m_presenter;
    QLabel *m_connectionLabel;
    QLabel *m_versionLabel;
    QTimer *m_statusTimer;
    QAction *m_sampleAction = nullptr;
    QSplitter *m_centralSplitter = nullptr;
    QString m_selected;
    QString m_version;
    QString m_previousSelected;
    QString m_deletedNotice; // shown instead of the empty state until a poll is picked
    bool m_listLoaded = false;
    bool m_defaultDocks = false;
    bool m_minimised = false;
};
