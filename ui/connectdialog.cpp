#include "connectdialog.h"
#include "chartstyle.h"

#include <QCheckBox>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QVBoxLayout>

ConnectDialog::ConnectDialog(QWidget *parent)
    : QDialog(parent), m_url(new QComboBox(this)), m_token(new QLineEdit(this)),
      m_remember(new QCheckBox(tr("&Remember the token on this computer"), this)),
      m_message(new QLabel(this))
{
    setWindowTitle(tr("Connect to a server"));
    setObjectName(QStringLiteral("connectDialog"));
    m_url->setEditable(true);
    m_url->setInsertPolicy(QComboBox::NoInsert);
    m_url->setMinimumContentsLength(32);
    m_url->lineEdit()->setPlaceholderText(QStringLiteral("http://127.0.0.1:8000"));
    m_url->setToolTip(tr("The server's base URL, e.g. http://10.0.0.5:8000"));
    m_token->setEchoMode(QLineEdit::Password);
    m_token->setPlaceholderText(tr("only if the server has --admin-token"));
    m_token->setToolTip(
        tr("Sent as \"Authorization: Bearer …\" with create, close, open and delete"));
    m_token->setClearButtonEnabled(true);
    m_remember->setToolTip(tr("Stored in plain text in the console's settings file"));
    m_message->setTextFormat(Qt::PlainText);
    m_message->setWordWrap(true);
    ChartStyle::markAsWarning(m_message);
    m_message->hide();

    auto *buttons = new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this);
    buttons->button(QDialogButtonBox::Ok)->setText(tr("&Connect"));
    auto *form = new QFormLayout;
    form->addRow(tr("Server &URL:"), m_url);
    form->addRow(tr("Admin &token:"), m_token);
    form->addRow(QString(), m_remember);
    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_message);
    layout->addWidget(buttons);
    connect(buttons, &QDialogButtonBox::accepted, this, &ConnectDialog::accept);
    connect(buttons, &QDialogButtonBox::rejected, this, &ConnectDialog::reject);
    connect(m_url, &QComboBox::editTextChanged, this, [this] { m_message->hide(); });
}

QUrl ConnectDialog::parseUrl(const QString &text)
{
    QString trimmed = text.trimmed();
    if (trimmed.isEmpty())
        return {};
    if (!trimmed.contains(QStringLiteral("://")))
        trimmed.prepend(QStringLiteral("http://"));
    const QUrl url(trimmed, QUrl::StrictMode);
    if (!url.isValid() || url.host().isEmpty() ||
        (url.scheme() != u"http" && url.scheme() != u"https"))
        return {};
    return url;
}

void ConnectDialog::setUrl(const QUrl &url)
{
    m_url->setEditText(url.toString());
}

void ConnectDialog::setToken(const QString &token)
{
    m_token->setText(token);
}

void ConnectDialog::setRecentUrls(const QStringList &urls)
{
    const QString typed = m_url->currentText();
    m_url->clear();
    m_url->addItems(urls);
    m_url->setEditText(typed);
}

void ConnectDialog::setRememberToken(bool remember)
{
    m_remember->setChecked(remember);
}

QUrl ConnectDialog::url() const
{
    return parseUrl(m_url->currentText());
}

QString ConnectDialog::token() const
{
    return m_token->text().trimmed();
}

bool ConnectDialog::rememberToken() const
{
    return m_remember->isChecked();
}

void ConnectDialog::accept()
{
    if (!url().isValid()) {
        m_message->setText(
            tr("Enter an http:// or https:// URL with a host, e.g. http://127.0.0.1:8000."));
        m_message->show();
        return;
    }
    QDialog::accept();
}
