#pragma once

#include "pollinfo.h"

#include <QJsonObject>
#include <QMessageBox>
#include <QObject>
#include <QPointer>
#include <QUrl>
#include <functional>

class QAction;
class QFileDialog;
class QWidget;
class ServerClient;
struct ApiReply;

// The poll administration actions of the console (new, close, open, reset, reveal,
// export, delete) with
// their shortcuts, tooltips and confirmations. Requests go through the REST API with
// the admin token; the outcome is reported with signals.
class PollActions : public QObject {
    Q_OBJECT
public:
    PollActions(ServerClient *client, QWidget *window);

    // The poll the close / open / delete actions apply to (none: id empty).
    void setPoll(const PollInfo &poll, qint64 total);
    void setConnected(bool connected);
    // Where the audience reaches the server (the server's public_url); join links are
    // built from it.
    void setPublicUrl(const QUrl &url);
    QUrl publicUrl() const { return m_publicUrl; }
    // The voting page of a poll: {public url}/p/{poll id}.
    static QUrl joinUrl(const QUrl &publicUrl, const QString &pollId);

    QAction *newPoll() const { return m_new; }
    QAction *closePoll() const { return m_close; }
    QAction *openPoll() const { return m_open; }
    QAction *deletePoll() const { return m_delete; }
    QAction *resetPoll() const { return m_reset; }
    QAction *revealResults() const { return m_reveal; }
    QAction *exportResults() const { return m_export; }
    // The export's save dialog while it is open.
    QFileDialog *exportDialog() const;
    // Writes the poll's export (format "csv" or "json", from the server) to `fileName`.
    void exportTo(const QString &pollId, const QString &format, const QString &fileName);
    QAction *present() const { return m_present; }
    QAction *copyJoinLink() const { return m_copyLink; }
    // The confirmation on screen, if any.
    QMessageBox *confirmation() const { return m_confirmation; }
    // The last failure's message box while it is on screen.
    QMessageBox *errorBox() const { return m_error; }
    // What went wrong in a sentence, with a hint for a missing or wrong admin token.
    static QString failureText(const QString &what, const ApiReply &reply);

Q_SIGNALS:
    void newPollRequested();
    void presentRequested();
    void pollUpdated(const QJsonObject &poll);
    void pollDeleted(const QString &pollId);
    // The poll's counts were set to zero (its JSON, with reset_at).
    void pollReset(const QJsonObject &poll);
    // An export was written to `fileName`.
    void exported(const QString &fileName);
    void message(const QString &text);

private:
    void confirm(const QString &title, const QString &text, const QString &informative,
                 const QString &button, std::function<void()> action);
    void setStatus(const QString &pollId, bool open);
    void remove(const QString &pollId);
    void reset(const QString &pollId);
    void reveal(const QString &pollId);
    void chooseExportFile();
    void fail(const QString &what, const ApiReply &reply);
    void showError(const QString &text);
    void updateEnabled();

    ServerClient *m_client;
    QWidget *m_window;
    PollInfo m_poll;
    qint64 m_total = -1;
    bool m_connected = false;
    QAction *m_new;
    QAction *m_close;
    QAction *m_open;
    QAction *m_delete;
    QAction *m_present;
    QAction *m_copyLink;
    QAction *m_reset;
    QAction *m_reveal;
    QAction *m_export;
    QPointer<QFileDialog> m_exportDialog;
    QUrl m_publicUrl;
    QMessageBox *m_confirmation = nullptr;
    QPointer<QMessageBox> m_error;
};
