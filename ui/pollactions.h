#pragma once

#include "pollinfo.h"

#include <QJsonObject>
#include <QMessageBox>
#include <QObject>
#include <QUrl>
#include <QPointer>
#include <functional>

class QAction;
class QWidget;
class ServerClient;
struct ApiReply;

// The poll administration actions of the console (new, close, open, delete) with
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
    void message(const QString &text);

private:
    void confirm(const QString &title, const QString &text, const QString &informative,
                 const QString &button, std::function<void()> action);
    void setStatus(const QString &pollId, bool open);
    void remove(const QString &pollId);
    void fail(const QString &what, const ApiReply &reply);
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
    QUrl m_publicUrl;
    QMessageBox *m_confirmation = nullptr;
    QPointer<QMessageBox> m_error;
};
