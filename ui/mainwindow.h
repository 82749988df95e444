#pragma once

#include <QMainWindow>
#include <QUrl>

class QLabel;
class QTableWidget;
class QTimer;
class ServerClient;

// The operator console's window: the server it watches, its polls and their totals.
class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(const QString &adminToken = {}, QWidget *parent = nullptr);

    void connectTo(const QUrl &url);

Q_SIGNALS:
    void closed();

protected:
    void closeEvent(QCloseEvent *event) override;

private:
    void refresh();
    void showPolls(const QJsonObject &body);
    void showStats(int status, const QJsonObject &body);

    ServerClient *m_client;
    QTimer *m_refreshTimer;
    QLabel *m_serverLabel;
    QLabel *m_statsLabel;
    QTableWidget *m_polls;
};
