#pragma once

#include <QObject>
#include <QString>

class QLocalServer;

// One console per data directory: the first launch listens on a local socket named
// after its data directory; a later launch for the same directory asks it to come to
// the front and exits instead of failing on the directory's lock.
class SingleInstance : public QObject {
    Q_OBJECT
public:
    explicit SingleInstance(const QString &dataDir, QObject *parent = nullptr);
    ~SingleInstance() override;

    // The local socket name for a data directory (stable across launches).
    static QString serverName(const QString &dataDir);

    // Asks a console running on this data directory to show its window. True once it
    // confirmed; false when none is running. Called before the event loop runs.
    bool activateRunning(int timeoutMs = 3000) const;

    // Starts listening for later launches. False when another console listens already.
    bool listen();
    QString name() const { return m_name; }

Q_SIGNALS:
    void activationRequested();

private:
    void onNewConnection();

    QString m_name;
    QLocalServer *m_server = nullptr;
};
