#include "pollactions.h"
#include "serverclient.h"
#include "uitext.h"

#include <QAction>
#include <QClipboard>
#include <QDir>
#include <QFileDialog>
#include <QFileInfo>
#include <QGuiApplication>
#include <QMessageBox>
#include <QPushButton>
#include <QSaveFile>
#include <QStyle>
#include <QWidget>

PollActions::PollActions(ServerClient *client, QWidget *window)
    : QObject(window), m_client(client), m_window(window),
      m_new(new QAction(tr("&New poll…"), this)), m_close(new QAction(tr("&Close poll"), this)),
      m_open(new QAction(tr("&Open poll"), this)), m_delete(new QAction(tr("&Delete poll…"), this)),
      m_present(new QAction(tr("&Present"), this)),
      m_copyLink(new QAction(tr("Copy &join link"), this)),
      m_reset(new QAction(tr("&Reset votes…"), this)),
      m_reveal(new QAction(tr("Re&veal results"), this)),
      m_export(new QAction(tr("&Export results…"), this))
{
    QStyle *style = window->style();
    m_new->setObjectName(QStringLiteral("newPollAction"));
    m_new->setShortcut(QKeySequence::New);
    m_new->setIcon(style->standardIcon(QStyle::SP_FileIcon));
    m_new->setToolTip(tr("Create a poll (Ctrl+N)"));
    m_close->setObjectName(QStringLiteral("closePollAction"));
    m_close->setIcon(style->standardIcon(QStyle::SP_MediaPause));
    m_close->setToolTip(tr("Stop accepting votes on the selected poll"));
    m_open->setObjectName(QStringLiteral("openPollAction"));
    m_open->setIcon(style->standardIcon(QStyle::SP_MediaPlay));
    m_open->setToolTip(tr("Accept votes on the selected poll again"));
    m_delete->setObjectName(QStringLiteral("deletePollAction"));
    m_delete->setShortcut(QKeySequence::Delete);
    m_delete->setIcon(style->standardIcon(QStyle::SP_TrashIcon));
    m_delete->setToolTip(tr("Delete the selected poll and its votes (Del)"));

    m_present->setObjectName(QStringLiteral("presentAction"));
    m_present->setShortcut(QKeySequence(Qt::Key_F11));
    m_present->setIcon(style->standardIcon(
        QStyle::SP_ComputerIcon)); // a coloured screen: visible in dark palettes too
    m_present->setToolTip(tr("Show the selected poll full screen for a projector, with its join "
                             "link and QR code (F11)"));
    m_copyLink->setObjectName(QStringLiteral("copyJoinLinkAction"));
    m_copyLink->setToolTip(tr("Copy the link the audience opens to vote on the selected poll"));

    m_reset->setObjectName(QStringLiteral("resetPollAction"));
    m_reset->setIcon(style->standardIcon(QStyle::SP_BrowserReload));
    m_reset->setToolTip(tr("Set every count of the selected poll to zero"));
    m_reveal->setObjectName(QStringLiteral("revealResultsAction"));
    m_reveal->setIcon(style->standardIcon(QStyle::SP_DialogYesButton));
    m_reveal->setToolTip(tr("Show the selected poll's counts to the audience"));
    m_export->setObjectName(QStringLiteral("exportResultsAction"));
    m_export->setShortcut(QKeySequence(tr("Ctrl+E")));
    m_export->setIcon(style->standardIcon(QStyle::SP_DialogSaveButton));
    m_export->setToolTip(tr("Save the selected poll and its counts as CSV or JSON (Ctrl+E)"));

    connect(m_new, &QAction::triggered, this, &PollActions::newPollRequested);
    connect(m_present, &QAction::triggered, this, [this] {
        if (!m_poll.id.isEmpty())
            Q_EMIT presentRequested();
    });
    connect(m_copyLink, &QAction::triggered, this, [this] {
        if (m_poll.id.isEmpty() || m_publicUrl.isEmpty())
            return;
        const QString link = joinUrl(m_publicUrl, m_poll.id).toString();
        QGuiApplication::clipboard()->setText(link);
        Q_EMIT message(tr("Join link copied: %1").arg(link));
    });
    connect(m_close, &QAction::triggered, this, [this] {
        const QString id = m_poll.id;
        confirm(tr("Close poll"), tr("Close the poll “%1”?").arg(m_poll.question),
                tr("Votes are refused until the poll is opened again. Counts are kept."),
                tr("Close poll"), [this, id] { setStatus(id, false); });
    });
    connect(m_open, &QAction::triggered, this, [this] {
        const QString id = m_poll.id;
        confirm(tr("Open poll"), tr("Open the poll “%1” for voting?").arg(m_poll.question),
                tr("Votes are accepted again from now on."), tr("Open poll"),
                [this, id] { setStatus(id, true); });
    });
    connect(m_reset, &QAction::triggered, this, [this] {
        const QString id = m_poll.id;
        // A multiple-choice poll's total counts choices, not votes.
        const int shown = int(qMin<qint64>(m_total, INT_MAX));
        const QString votes =
            m_total < 0 ? tr("all its votes")
            : m_poll.isMultipleChoice()
                ? UiText::plural(tr("its %Ln counted choice(s)", nullptr, shown), m_total)
                : UiText::plural(tr("its %Ln counted vote(s)", nullptr, shown), m_total);
        confirm(tr("Reset poll"),
                tr("Reset the poll “%1” and discard %2?").arg(m_poll.question, votes),
                tr("Every count goes back to zero; votes from now on count. This cannot be "
                   "undone."),
                tr("Reset votes"), [this, id] { reset(id); });
    });
    connect(m_reveal, &QAction::triggered, this, [this] {
        if (!m_poll.id.isEmpty())
            reveal(m_poll.id);
    });
    connect(m_export, &QAction::triggered, this, &PollActions::chooseExportFile);
    connect(m_delete, &QAction::triggered, this, [this] {
        const QString id = m_poll.id;
        const QString votes = m_total < 0 ? tr("all its votes")
                                          : UiText::plural(tr("its %Ln vote(s)", nullptr,
                                                              int(qMin<qint64>(m_total, INT_MAX))),
                                                           m_total);
        confirm(tr("Delete poll"), tr("Delete the poll “%1” and %2?").arg(m_poll.question, votes),
                tr("This cannot be undone."), tr("Delete poll"), [this, id] { remove(id); });
    });
    updateEnabled();
}

void PollActions::setPoll(const PollInfo &poll, qint64 total)
{
    m_poll = poll;
    m_total = total;
    updateEnabled();
}

void PollActions::setConnected(bool connected)
{
    m_connected = connected;
    updateEnabled();
}

void PollActions::setPublicUrl(const QUrl &url)
{
    m_publicUrl = url;
    updateEnabled();
}

QUrl PollActions::joinUrl(const QUrl &publicUrl, const QString &pollId)
{
    QUrl url = publicUrl;
    QString path = url.path(QUrl::FullyEncoded);
    while (path.endsWith(u'/'))
        path.chop(1);
    url.setPath(path + QStringLiteral("/p/") + QString::fromLatin1(QUrl::toPercentEncoding(pollId)),
                QUrl::TolerantMode);
    return url;
}

void PollActions::updateEnabled()
{
    const bool selected = m_connected && !m_poll.id.isEmpty();
    m_present->setEnabled(!m_poll.id.isEmpty());
    m_copyLink->setEnabled(!m_poll.id.isEmpty() && !m_publicUrl.isEmpty());
    m_new->setEnabled(m_connected);
    m_close->setEnabled(selected && m_poll.isOpen());
    m_open->setEnabled(selected && !m_poll.isOpen());
    m_delete->setEnabled(selected);
    m_reset->setEnabled(selected);
    m_reveal->setEnabled(selected && m_poll.resultsVisibility != u"always");
    m_export->setEnabled(selected);
}

void PollActions::confirm(const QString &title, const QString &text, const QString &informative,
                          const QString &button, std::function<void()> action)
{
    if (m_poll.id.isEmpty())
        return;
    if (m_confirmation)
        m_confirmation->close();
    auto *box =
        new QMessageBox(QMessageBox::Question, title, QString(), QMessageBox::Cancel, m_window);
    box->setObjectName(QStringLiteral("confirmDialog"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setTextFormat(Qt::PlainText); // the question is the poll's own text
    box->setText(text);
    box->setInformativeText(informative);
    QPushButton *confirmButton = box->addButton(button, QMessageBox::AcceptRole);
    confirmButton->setObjectName(QStringLiteral("confirmButton"));
    box->setDefaultButton(QMessageBox::Cancel);
    m_confirmation = box;
    connect(box, &QMessageBox::finished, this, [this, box, confirmButton, action] {
        if (m_confirmation == box)
            m_confirmation = nullptr;
        if (box->clickedButton() == confirmButton)
            action();
    });
    box->open();
}

void PollActions::setStatus(const QString &pollId, bool open)
{
    const QString path =
        ServerClient::apiPath(m_client->api(Protocol::PollsPath) + u'/', pollId,
                              open ? QStringLiteral("/open") : QStringLiteral("/close"));
    m_client->adminPost(path, {}, this, [this, open](const ApiReply &reply) {
        if (reply.ok()) {
            Q_EMIT pollUpdated(reply.body);
            Q_EMIT message(open ? tr("Poll opened.") : tr("Poll closed."));
        } else {
            fail(open ? tr("The poll was not opened.") : tr("The poll was not closed."), reply);
        }
    });
}

void PollActions::remove(const QString &pollId)
{
    m_client->adminDelete(ServerClient::apiPath(m_client->api(Protocol::PollsPath) + u'/', pollId),
                          this, [this, pollId](const ApiReply &reply) {
                              if (reply.ok() || reply.status == 404) {
                                  Q_EMIT pollDeleted(pollId);
                                  Q_EMIT message(tr("Poll deleted."));
                              } else {
                                  fail(tr("The poll was not deleted."), reply);
                              }
                          });
}

void PollActions::reset(const QString &pollId)
{
    m_client->adminPost(ServerClient::apiPath(m_client->api(Protocol::PollsPath) + u'/', pollId,
                                              QStringLiteral("/reset")),
                        {}, this, [this](const ApiReply &reply) {
                            if (reply.ok()) {
                                Q_EMIT pollReset(reply.body);
                                Q_EMIT pollUpdated(reply.body);
                                Q_EMIT message(tr("Poll reset: every count is zero."));
                            } else {
                                fail(tr("The poll was not reset."), reply);
                            }
                        });
}

void PollActions::reveal(const QString &pollId)
{
    m_client->adminPost(ServerClient::apiPath(m_client->api(Protocol::PollsPath) + u'/', pollId,
                                              QStringLiteral("/reveal")),
                        {}, this, [this](const ApiReply &reply) {
                            if (reply.ok()) {
                                Q_EMIT pollUpdated(reply.body);
                                Q_EMIT message(tr("Results revealed to the audience."));
                            } else {
                                fail(tr("The results were not revealed."), reply);
                            }
                        });
}

QFileDialog *PollActions::exportDialog() const
{
    return m_exportDialog;
}

void PollActions::chooseExportFile()
{
    if (m_poll.id.isEmpty())
        return;
    if (m_exportDialog)
        m_exportDialog->close();
    auto *dialog = new QFileDialog(m_window, tr("Export results"));
    dialog->setObjectName(QStringLiteral("exportDialog"));
    dialog->setAttribute(Qt::WA_DeleteOnClose);
    dialog->setAcceptMode(QFileDialog::AcceptSave);
    const QString csv = tr("CSV, for spreadsheets (*.csv)");
    const QString json = tr("JSON (*.json)");
    dialog->setNameFilters({csv, json});
    dialog->setDefaultSuffix(QStringLiteral("csv"));
    dialog->selectFile(QStringLiteral("poll-%1.csv").arg(m_poll.id));
    connect(dialog, &QFileDialog::filterSelected, dialog, [dialog, json](const QString &filter) {
        dialog->setDefaultSuffix(filter == json ? QStringLiteral("json") : QStringLiteral("csv"));
    });
    const QString id = m_poll.id;
    connect(dialog, &QFileDialog::fileSelected, this,
            [this, dialog, id, json](const QString &file) {
                // The file's suffix decides; without one, the chosen filter.
                const QString suffix = QFileInfo(file).suffix().toLower();
                const bool asJson =
                    suffix == u"json" || (suffix != u"csv" && dialog->selectedNameFilter() == json);
                exportTo(id, asJson ? QStringLiteral("json") : QStringLiteral("csv"), file);
            });
    m_exportDialog = dialog;
    dialog->open();
}

void PollActions::exportTo(const QString &pollId, const QString &format, const QString &fileName)
{
    const QString path = ServerClient::apiPath(m_client->api(Protocol::PollsPath) + u'/', pollId,
                                               QStringLiteral("/export?format=") + format);
    m_client->adminGet(path, this, [this, fileName](const ApiReply &reply) {
        if (!reply.ok()) {
            fail(tr("The results were not exported."), reply);
            return;
        }
        QSaveFile file(fileName);
        if (!file.open(QIODevice::WriteOnly) || file.write(reply.raw) != reply.raw.size() ||
            !file.commit()) {
            showError(tr("The export could not be written to %1: %2")
                          .arg(QDir::toNativeSeparators(fileName), file.errorString()));
            return;
        }
        Q_EMIT exported(fileName);
        Q_EMIT message(tr("Results exported to %1.").arg(QDir::toNativeSeparators(fileName)));
    });
}

QString PollActions::failureText(const QString &what, const ApiReply &reply)
{
    QString why = reply.errorMessage();
    if (reply.status != 0)
        why = tr("HTTP %1: %2").arg(reply.status).arg(why);
    QString text = tr("%1 %2").arg(what, why);
    if (reply.status == 401 || reply.status == 403)
        text += u' ' + tr("Set the admin token with Server › Connect to… (Ctrl+L).");
    return text;
}

void PollActions::fail(const QString &what, const ApiReply &reply)
{
    showError(failureText(what, reply));
}

void PollActions::showError(const QString &text)
{
    Q_EMIT message(text);
    // A refusal must not pass unnoticed: it stays on screen until dismissed.
    if (m_error)
        m_error->close();
    auto *box = new QMessageBox(QMessageBox::Warning, tr("Poll action failed"), QString(),
                                QMessageBox::Ok, m_window);
    box->setObjectName(QStringLiteral("actionErrorDialog"));
    box->setAttribute(Qt::WA_DeleteOnClose);
    box->setTextFormat(Qt::PlainText);
    box->setText(text);
    m_error = box;
    box->open();
}
