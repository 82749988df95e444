#include "healthcharts.h"
#include "timeserieschart.h"
#include "uitext.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QEvent>
#include <QFontMetrics>
#include <QGridLayout>
#include <QLocale>
#include <QResizeEvent>
#include <QTimer>

namespace {
constexpr qint64 RateWindowMs = 900;
constexpr int OutageTickMs = 1000;

// Values for the chart titles, translated with the value's plural form.
QString votesText(double value)
{
    const int count = int(qBound<double>(0, value, INT_MAX));
    return UiText::plural(
        QCoreApplication::translate("HealthCharts", "%Ln vote(s)", nullptr, count), count);
}

QString rateText(double perSecond)
{
    return QCoreApplication::translate("HealthCharts", "%1/s")
        .arg(QLocale().toString(perSecond, 'f', 1));
}

QJsonObject objectAt(const QJsonObject &json, const char *key)
{
    return json.value(QLatin1String(key)).toObject();
}
} // namespace

HealthCharts::HealthCharts(QWidget *parent)
    : QWidget(parent), m_buffer(new TimeSeriesChart(tr("Buffer depth"), votesText, this)),
      m_flush(new TimeSeriesChart(tr("Last flush"), votesText, this)),
      m_cache(new TimeSeriesChart(
          tr("Cache hits"), [](double v) { return tr("%1%").arg(QLocale().toString(v, 'f', 1)); },
          this)),
      m_requests(new TimeSeriesChart(tr("Requests"), rateText, this)),
      m_clients(new TimeSeriesChart(
          tr("WS clients"), [](double v) { return QLocale().toString(qint64(v)); }, this)),
      m_grid(new QGridLayout(this)), m_outageTimer(new QTimer(this))
{
    setAccessibleName(tr("Server health"));
    // During an outage the time axes keep moving, so the gap grows visibly.
    m_outageTimer->setInterval(OutageTickMs);
    connect(m_outageTimer, &QTimer::timeout, this, [this] {
        const qint64 now = QDateTime::currentMSecsSinceEpoch();
        for (TimeSeriesChart *chart : charts())
            chart->advanceTo(now);
    });
    m_buffer->setObjectName(QStringLiteral("bufferDepthChart"));
    m_buffer->setToolTip(
        tr("Votes accepted and waiting in the workers' buffers for the next flush"));
    m_flush->setObjectName(QStringLiteral("flushSizeChart"));
    m_flush->setToolTip(tr("Votes written to the shards by the most recent flush"));
    m_cache->setObjectName(QStringLiteral("cacheHitRatioChart"));
    m_cache->setToolTip(tr("Share of result reads answered from the result cache"));
    m_cache->setFixedRange(0, 100);
    m_requests->setObjectName(QStringLiteral("requestRateChart"));
    m_requests->setToolTip(tr("HTTP requests per second, from the growth of the request counter"));
    m_clients->setObjectName(QStringLiteral("socketClientsChart"));
    m_clients->setToolTip(tr("WebSocket clients connected to the server"));
    for (TimeSeriesChart *chart : charts())
        chart->setToolTip(chart->toolTip() + u'\n' +
                          tr("From one minute up to the last five minutes; a hatched band "
                             "marks a time without data from the server."));
    m_clients->hide(); // until the stats report it
    m_grid->setContentsMargins(0, 0, 0, 0);
    m_grid->setSpacing(4);
    // The grid's shape follows the width (see arrange()); its minimum must not, or a
    // narrow first layout pass would make the window as tall as a one-column grid.
    m_grid->setSizeConstraint(QLayout::SetNoConstraint);
    arrange();
    updateRendering(); // nothing is drawn until shown
}

qint64 HealthCharts::socketClientCount(const QJsonObject &stats)
{
    if (stats.value(QStringLiteral("websocket_clients")).isDouble())
        return stats.value(QStringLiteral("websocket_clients")).toInteger();
    // Other shapes are accepted too: {"websocket":{"clients":n}},
    // {"connections":{"websocket":n}} (or "websockets"/"ws_clients"), {"ws_clients":n}.
    const QJsonObject websocket = objectAt(stats, "websocket");
    if (websocket.contains(QStringLiteral("clients")))
        return websocket.value(QStringLiteral("clients")).toInteger();
    const QJsonObject live = objectAt(stats, "live");
    if (live.contains(QStringLiteral("clients")))
        return live.value(QStringLiteral("clients")).toInteger();
    const QJsonObject connections = objectAt(stats, "connections");
    for (const char *key : {"websocket", "websockets", "ws_clients", "ws"}) {
        const QJsonValue value = connections.value(QLatin1String(key));
        if (value.isDouble())
            return value.toInteger();
        if (value.isObject() && value.toObject().contains(QStringLiteral("clients")))
            return value.toObject().value(QStringLiteral("clients")).toInteger();
    }
    if (stats.value(QStringLiteral("ws_clients")).isDouble())
        return stats.value(QStringLiteral("ws_clients")).toInteger();
    return -1;
}

void HealthCharts::addStats(const QJsonObject &stats)
{
    addStats(stats, QDateTime::currentMSecsSinceEpoch());
}

void HealthCharts::addStats(const QJsonObject &stats, qint64 now)
{
    m_buffer->append(now,
                     double(objectAt(stats, "buffer").value(QStringLiteral("depth")).toInteger()));
    m_flush->append(
        now, double(objectAt(stats, "flush").value(QStringLiteral("last_votes")).toInteger()));
    m_cache->append(now,
                    objectAt(stats, "cache").value(QStringLiteral("hit_ratio")).toDouble() * 100.0);

    // Requests per second over at least a second: stats arrive every 0.5-1 s, sometimes
    // in quick succession (a REST answer next to a pushed snapshot).
    const qint64 requests = stats.value(QStringLiteral("requests")).toInteger(-1);
    if (requests >= 0) {
        if (m_lastRequests < 0 || requests < m_lastRequests) {
            m_lastRequests = requests; // first reading, or a restarted server
            m_lastRequestsAt = now;
        } else if (now - m_lastRequestsAt >= RateWindowMs) {
            m_requests->append(now, double(requests - m_lastRequests) * 1000.0 /
                                        double(now - m_lastRequestsAt));
            m_lastRequests = requests;
            m_lastRequestsAt = now;
        }
    }

    const qint64 clients = socketClientCount(stats);
    if (clients >= 0) {
        if (m_clients->isHidden()) {
            m_clients->show();
            arrange();
        }
        m_clients->append(now, double(clients));
    }
}

void HealthCharts::clear()
{
    for (TimeSeriesChart *chart : charts())
        chart->clear();
    m_lastRequests = -1;
    m_outageTimer->stop();
}

QList<TimeSeriesChart *> HealthCharts::charts() const
{
    return {m_buffer, m_flush, m_cache, m_requests, m_clients};
}

void HealthCharts::setOutage(bool outage)
{
    setOutage(outage, QDateTime::currentMSecsSinceEpoch());
}

void HealthCharts::setOutage(bool outage, qint64 now)
{
    for (TimeSeriesChart *chart : charts()) {
        if (outage)
            chart->beginOutage(now);
        else
            chart->endOutage(now);
    }
    // The request counter's growth over an outage is no rate of the moment.
    m_lastRequests = -1;
    updateRendering();
}

void HealthCharts::setPaused(bool paused)
{
    m_paused = paused;
    updateRendering();
}

void HealthCharts::updateRendering()
{
    const bool rendering = isVisible() && !m_paused;
    for (TimeSeriesChart *chart : charts())
        chart->setRendering(rendering);
    if (rendering && m_buffer->inOutage())
        m_outageTimer->start();
    else
        m_outageTimer->stop();
}

void HealthCharts::showEvent(QShowEvent *event)
{
    QWidget::showEvent(event);
    updateRendering();
}

void HealthCharts::hideEvent(QHideEvent *event)
{
    QWidget::hideEvent(event);
    updateRendering();
}

void HealthCharts::changeEvent(QEvent *event)
{
    QWidget::changeEvent(event);
    if (event->type() == QEvent::FontChange) {
        m_columns = 0;
        arrange();
        updateGeometry();
    }
}

int HealthCharts::minChartWidth() const
{
    // Wide enough for a title with its value, e.g. "Buffer depth: 12,345 votes".
    QFont bold = font();
    bold.setBold(true);
    const QFontMetrics metrics(bold);
    int widest = 0;
    for (const QString &sample : {tr("%1: %2").arg(m_buffer->name(), votesText(123456)),
                                  tr("%1: %2").arg(m_requests->name(), rateText(12345.6))})
        widest = qMax(widest, metrics.horizontalAdvance(sample));
    return widest + metrics.averageCharWidth() * 3;
}

int HealthCharts::minChartHeight() const
{
    return fontMetrics().height() * 7;
}

QSize HealthCharts::minimumSizeHint() const
{
    return {2 * minChartWidth(), minChartHeight()};
}

QSize HealthCharts::sizeHint() const
{
    return {5 * minChartWidth(), minChartHeight() * 3 / 2};
}

void HealthCharts::resizeEvent(QResizeEvent *event)
{
    QWidget::resizeEvent(event);
    arrange();
}

void HealthCharts::arrange()
{
    QList<TimeSeriesChart *> charts{m_buffer, m_flush, m_cache, m_requests};
    if (!m_clients->isHidden())
        charts.append(m_clients);
    // As many columns as fit, so a wide window shows one row and a narrow one a grid.
    const int fit = qMax(1, width() / minChartWidth());
    const int columns = int(qMin<qsizetype>(fit, charts.size()));
    if (columns == m_columns && m_grid->count() == charts.size())
        return;
    m_columns = columns;
    for (TimeSeriesChart *chart : std::as_const(charts))
        m_grid->removeWidget(chart);
    for (int i = 0; i < charts.size(); ++i)
        m_grid->addWidget(charts.at(i), i / columns, i % columns);
    for (int column = 0; column < m_grid->columnCount(); ++column)
        m_grid->setColumnStretch(column, column < columns ? 1 : 0);
    for (int row = 0; row < m_grid->rowCount(); ++row)
        m_grid->setRowStretch(row, row * columns < charts.size() ? 1 : 0);
}
