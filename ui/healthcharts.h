#pragma once

#include "ratemeter.h"

#include <QJsonObject>
#include <QWidget>

class QGridLayout;
class QTimer;
class TimeSeriesChart;

// The server's health over up to the last five minutes, one small chart per metric, fed
// with stats snapshots (GET /api/v1/stats or the WebSocket's stats channel): buffer
// depth, last flush size, cache hit ratio, request rate (from the growth of the
// `requests` counter) and, when the stats report it, WebSocket clients.
class HealthCharts : public QWidget {
    Q_OBJECT
public:
    explicit HealthCharts(QWidget *parent = nullptr);

    void addStats(const QJsonObject &stats);
    void addStats(const QJsonObject &stats, qint64 msecsSinceEpoch);
    void clear();
    // The server is unreachable: the charts mark the outage and keep their time axes
    // moving; the next stats start new lines.
    void setOutage(bool outage);
    void setOutage(bool outage, qint64 msecsSinceEpoch);
    // A minimised window: samples are recorded, nothing is drawn.
    void setPaused(bool paused);
    QList<TimeSeriesChart *> charts() const;

    TimeSeriesChart *bufferDepth() const { return m_buffer; }
    TimeSeriesChart *flushSize() const { return m_flush; }
    TimeSeriesChart *cacheHitRatio() const { return m_cache; }
    TimeSeriesChart *requestRate() const { return m_requests; }
    TimeSeriesChart *socketClients() const { return m_clients; }

    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;

    // The WebSocket client count in a stats body, -1 when it has none.
    static qint64 socketClientCount(const QJsonObject &stats);

protected:
    void resizeEvent(QResizeEvent *event) override;
    void showEvent(QShowEvent *event) override;
    void hideEvent(QHideEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    void arrange();
    void updateRendering();
    int minChartWidth() const;
    int minChartHeight() const;

    TimeSeriesChart *m_buffer;
    TimeSeriesChart *m_flush;
    TimeSeriesChart *m_cache;
    TimeSeriesChart *m_requests;
    TimeSeriesChart *m_clients;
    QGridLayout *m_grid;
    QTimer *m_outageTimer;
    bool m_paused = false;
    int m_columns = 0;
    qint64 m_lastRequests = -1;
    qint64 m_lastRequestsAt = 0;
};
