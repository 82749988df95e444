#include "mainwindow.h"
#include "serverclient.h"

#include <QCloseEvent>
#include <QHeaderView>
#include <QJsonArray>
#include <QLabel>
#include <QStatusBar>
#include <QTableWidget>
#include <QTimer>
#include <QVBoxLayout>

namespace {
constexpr int RefreshMs = 1000;
}

MainWindow::MainWindow(const QString &adminToken, QWidget *parent)
    : QMainWindow(parent), m_client(new ServerClient(this)), m_refreshTimer(new QTimer(this)),
      m_serverLabel(new QLabel(tr("Starting the embedded server…"), this)),
      m_statsLabel(new QLabel(this)), m_polls(new QTableWidget(0, 5, this))
{
    setWindowTitle(tr("Tally"));
    m_client->setAdminToken(adminToken);
    m_polls->setHorizontalHeaderLabels({tr("Poll"), tr("Question"), tr("Theme"), tr("Status"), tr("Shard")});
    m_polls->horizontalHeader()->setSectionResizeMode(1, QHeaderView::Stretch);
    m_polls->verticalHeader()->hide();
    m_polls->setEditTriggers(QAbstractItemView::NoEditTriggers);
    m_polls->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_serverLabel->setTextFormat(Qt::PlainText);
    m_statsLabel->setTextFormat(Qt::PlainText);

    auto *central = new QWidget(this);
    auto *layout = new QVBoxLayout(central);
    layout->addWidget(m_serverLabel);
    layout->addWidget(m_statsLabel);
    layout->addWidget(m_polls);
    setCentralWidget(central);
    resize(960, 600);

    m_refreshTimer->setInterval(RefreshMs);
    connect(m_refreshTimer, &QTimer::timeout, this, &MainWindow::refresh);
}

void MainWindow::connectTo(const QUrl &url)
{
    m_client->setBaseUrl(url);
    m_serverLabel->setText(tr("Server: %1").arg(url.toString()));
    refresh();
    m_refreshTimer->start();
}

void MainWindow::refresh()
{
    m_client->get(QStringLiteral("/api/v1/polls"), [this](int status, const QJsonObject &body) {
        if (status == 200)
            showPolls(body);
    });
    m_client->get(QStringLiteral("/api/v1/stats"),
                  [this](int status, const QJsonObject &body) { showStats(status, body); });
}

void MainWindow::showPolls(const QJsonObject &body)
{
    const QJsonArray polls = body.value(QStringLiteral("polls")).toArray();
    m_polls->setRowCount(int(polls.size()));
    for (int row = 0; row < polls.size(); ++row) {
        const QJsonObject poll = polls[row].toObject();
        const QStringList cells = {poll[QStringLiteral("id")].toString(), poll[QStringLiteral("question")].toString(),
                                   poll[QStringLiteral("theme")].toString(), poll[QStringLiteral("status")].toString(),
                                   poll[QStringLiteral("shard")].toString()};
        for (int column = 0; column < cells.size(); ++column)
            m_polls->setItem(row, column, new QTableWidgetItem(cells[column]));
    }
}

void MainWindow::showStats(int status, const QJsonObject &body)
{
    if (status != 200) {
        statusBar()->showMessage(tr("Server unreachable, retrying…"));
        return;
    }
    const QJsonObject votes = body.value(QStringLiteral("votes")).toObject();
    const QJsonObject buffer = body.value(QStringLiteral("buffer")).toObject();
    const QJsonObject cache = body.value(QStringLiteral("cache")).toObject();
    m_statsLabel->setText(tr("Polls: %1   Votes accepted: %2   Buffered: %3   Cache hit ratio: %4%")
                              .arg(body.value(QStringLiteral("polls")).toInt())
                              .arg(votes.value(QStringLiteral("accepted")).toInteger())
                              .arg(buffer.value(QStringLiteral("depth")).toInteger())
                              .arg(cache.value(QStringLiteral("hit_ratio")).toDouble() * 100.0, 0, 'f', 1));
    statusBar()->showMessage(tr("Connected, version %1").arg(body.value(QStringLiteral("version")).toString()));
}

void MainWindow::closeEvent(QCloseEvent *event)
{
    m_refreshTimer->stop();
    Q_EMIT closed();
    event->accept();
}
