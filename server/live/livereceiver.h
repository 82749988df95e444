#pragma once

#include <QByteArray>
#include <QString>

class QObject;

// What the live feed delivers to: each worker's WebSocket hub. The feed calls these
// on the thread of context(), through queued calls.
class LiveReceiver {
public:
    explicit LiveReceiver(QObject *context) : m_context(context) {}
    virtual ~LiveReceiver() = default;

    QObject *context() const { return m_context; }

    virtual void deliverResults(const QString &pollId, const QByteArray &message) = 0;
    virtual void deliverStats(const QByteArray &message) = 0;
    virtual void deliverPollEvent(const QByteArray &message) = 0;
    virtual void deliverTo(quint64 sessionId, const QByteArray &message) = 0;

private:
    QObject *m_context;
};
