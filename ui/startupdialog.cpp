#include "startupdialog.h"

#include <QApplication>
#include <QDir>
#include <QFileDialog>
#include <QHBoxLayout>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>
#include <QStyle>
#include <QVBoxLayout>

StartupDialog::StartupDialog(const Details &details, QWidget *parent)
    : QDialog(parent), m_details(details), m_choices(choicesFor(details)),
      m_title(new QLabel(this)), m_explanation(new QLabel(this))
{
    setObjectName(QStringLiteral("startupDialog"));
    setWindowTitle(tr("Tally could not start its server"));
    setModal(true);

    auto *icon = new QLabel(this);
    const int iconSize = style()->pixelMetric(QStyle::PM_MessageBoxIconSize, nullptr, this);
    icon->setPixmap(style()->standardIcon(QStyle::SP_MessageBoxWarning).pixmap(iconSize));
    icon->setAlignment(Qt::AlignTop);
    m_title->setObjectName(QStringLiteral("startupTitle"));
    m_title->setTextFormat(Qt::PlainText);
    m_title->setWordWrap(true);
    QFont titleFont = m_title->font();
    titleFont.setBold(true);
    titleFont.setPointSizeF(titleFont.pointSizeF() * 1.2);
    m_title->setFont(titleFont);
    m_title->setText(titleText());
    m_explanation->setObjectName(QStringLiteral("startupExplanation"));
    m_explanation->setTextFormat(Qt::PlainText);
    m_explanation->setWordWrap(true);
    m_explanation->setText(explanationText());
    m_explanation->setTextInteractionFlags(Qt::TextSelectableByMouse);

    auto *text = new QVBoxLayout;
    text->addWidget(m_title);
    text->addWidget(m_explanation);
    if (!details.technical.isEmpty()) {
        auto *technical = new QLabel(tr("Details: %1").arg(details.technical), this);
        technical->setObjectName(QStringLiteral("startupTechnical"));
        technical->setTextFormat(Qt::PlainText);
        technical->setWordWrap(true);
        technical->setTextInteractionFlags(Qt::TextSelectableByMouse);
        technical->setForegroundRole(QPalette::PlaceholderText);
        text->addWidget(technical);
    }
    if (m_choices.contains(Choice::OtherDataDir)) {
        m_dataDirEdit = new QLineEdit(this);
        m_dataDirEdit->setObjectName(QStringLiteral("dataDirEdit"));
        m_dataDirEdit->setText(
            QDir::toNativeSeparators(QDir::home().filePath(QStringLiteral("Tally data"))));
        m_dataDirEdit->setAccessibleName(tr("Data directory"));
        auto *browse = new QPushButton(tr("&Browse…"), this);
        browse->setObjectName(QStringLiteral("browseButton"));
        browse->setAutoDefault(false);
        connect(browse, &QPushButton::clicked, this, &StartupDialog::browseDataDir);
        auto *label = new QLabel(tr("&Data directory:"), this);
        label->setBuddy(m_dataDirEdit);
        auto *row = new QHBoxLayout;
        row->addWidget(label);
        row->addWidget(m_dataDirEdit, 1);
        row->addWidget(browse);
        text->addSpacing(6);
        text->addLayout(row);
    }
    text->addStretch(1);

    auto *top = new QHBoxLayout;
    top->addWidget(icon, 0, Qt::AlignTop);
    top->addLayout(text, 1);

    auto *buttons = new QHBoxLayout;
    buttons->addStretch(1);
    for (Choice choice : std::as_const(m_choices)) {
        QString label;
        switch (choice) {
        case Choice::ConnectToRunning:
            label = tr("&Connect to the running Tally");
            break;
        case Choice::FreePort:
            label = tr("Start on a &free port");
            break;
        case Choice::OtherDataDir:
            label = tr("&Use this data directory");
            break;
        case Choice::DefaultSettings:
            label = tr("Start with &default settings");
            break;
        case Choice::Quit:
            label = tr("&Quit");
            break;
        }
        auto *button = new QPushButton(label, this);
        button->setObjectName(QStringLiteral("choice%1").arg(int(choice)));
        button->setAutoDefault(false);
        connect(button, &QPushButton::clicked, this, [this, choice] { choose(choice); });
        buttons->addWidget(button);
        m_buttons.insert(choice, button);
    }
    if (QAbstractButton *first = m_buttons.value(m_choices.constFirst()))
        static_cast<QPushButton *>(first)->setDefault(true);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(top, 1);
    layout->addSpacing(6);
    layout->addLayout(buttons);
    // Wide enough for every button and a sentence per line; follows the font.
    const QMargins margins = layout->contentsMargins();
    setMinimumWidth(qMax(fontMetrics().averageCharWidth() * 70,
                         buttons->sizeHint().width() + margins.left() + margins.right()));
}

void StartupDialog::showEvent(QShowEvent *event)
{
    // Word-wrapped text needs the height that goes with the width the dialog got.
    const int width = qMax(this->width(), minimumWidth());
    const int height = layout()->totalHeightForWidth(width);
    setMinimumHeight(height);
    if (height > this->height() || width > this->width())
        resize(width, qMax(height, this->height()));
    QDialog::showEvent(event);
}

QList<StartupDialog::Choice> StartupDialog::choicesFor(const Details &details)
{
    QList<Choice> choices;
    switch (details.problem) {
    case Problem::PortInUse:
        choices = {Choice::FreePort};
        break;
    case Problem::PortTakenByTally:
        choices = {Choice::ConnectToRunning, Choice::FreePort};
        break;
    case Problem::DataDirLocked:
        if (details.runningUrl.isValid())
            choices.append(Choice::ConnectToRunning);
        choices.append(Choice::OtherDataDir);
        break;
    case Problem::DataDirUnwritable:
    case Problem::StorageFailed:
        choices = {Choice::OtherDataDir};
        break;
    case Problem::InvalidSettings:
        choices = {Choice::DefaultSettings};
        break;
    case Problem::Other:
        break;
    }
    choices.append(Choice::Quit);
    return choices;
}

QString StartupDialog::title() const
{
    return m_title->text();
}

QString StartupDialog::explanation() const
{
    return m_explanation->text();
}

QString StartupDialog::titleText() const
{
    switch (m_details.problem) {
    case Problem::PortInUse:
        return tr("Port %1 is already in use").arg(m_details.port);
    case Problem::PortTakenByTally:
        return tr("Tally is already running on port %1").arg(m_details.port);
    case Problem::DataDirLocked:
        return tr("The data directory is in use by another Tally");
    case Problem::DataDirUnwritable:
        return tr("Tally cannot write to its data directory");
    case Problem::StorageFailed:
        return tr("The stored polls could not be loaded");
    case Problem::InvalidSettings:
        return tr("The settings are not valid");
    case Problem::Other:
        break;
    }
    return tr("Tally could not start its server");
}

QString StartupDialog::explanationText() const
{
    const QString dataDir = QDir::toNativeSeparators(m_details.dataDir);
    switch (m_details.problem) {
    case Problem::PortInUse:
        return tr("Another program is listening on port %1 of %2, so Tally cannot start its "
                  "server there. Tally can start on a free port instead.")
            .arg(m_details.port)
            .arg(m_details.address);
    case Problem::PortTakenByTally:
        // The holder writes its process id just after taking the lock; a start in that
        // instant learns no id, and the sentence leaves it out rather than say "process 0".
        if (m_details.otherPid <= 0)
            return tr("Another Tally is already listening on port %1. You can watch that server "
                      "in this window, or start this one on a free port.")
                .arg(m_details.port);
        return tr("Another Tally (process %1) is already listening on port %2. You can watch "
                  "that server in this window, or start this one on a free port.")
            .arg(m_details.otherPid)
            .arg(m_details.port);
    case Problem::DataDirLocked:
        if (m_details.runningUrl.isValid() && m_details.otherPid <= 0)
            return tr("Another Tally keeps its polls in %1 and serves them at %2. Only one Tally "
                      "can use a data directory at a time: watch that one, or choose another "
                      "directory for this one.")
                .arg(dataDir, m_details.runningUrl.toString(QUrl::StripTrailingSlash));
        if (m_details.runningUrl.isValid())
            return tr("Another Tally (process %1) keeps its polls in %2 and serves them at %3. "
                      "Only one Tally can use a data directory at a time: watch that one, or "
                      "choose another directory for this one.")
                .arg(m_details.otherPid)
                .arg(dataDir, m_details.runningUrl.toString(QUrl::StripTrailingSlash));
        if (m_details.otherPid <= 0)
            return tr("Another Tally keeps its polls in %1. Only one Tally can use a data "
                      "directory at a time: choose another directory for this one.")
                .arg(dataDir);
        return tr("Another Tally (process %1) keeps its polls in %2. Only one Tally can use a "
                  "data directory at a time: choose another directory for this one.")
            .arg(m_details.otherPid)
            .arg(dataDir);
    case Problem::DataDirUnwritable:
        return tr("Tally keeps its polls in %1, but cannot create or write files there. Choose a "
                  "directory you can write to.")
            .arg(dataDir);
    case Problem::StorageFailed:
        return tr("Tally could not open the polls stored in %1. Choose another data directory, "
                  "or quit and look at the details below.")
            .arg(dataDir);
    case Problem::InvalidSettings:
        return tr("Tally cannot start with the settings from its command line, environment or "
                  "configuration file. Start with the default settings, or quit and correct them.");
    case Problem::Other:
        break;
    }
    return tr("The embedded server did not start; the details below say why.");
}

QString StartupDialog::chosenDataDir() const
{
    return m_dataDirEdit ? QDir::fromNativeSeparators(m_dataDirEdit->text().trimmed()) : QString();
}

void StartupDialog::browseDataDir()
{
    const QString directory =
        QFileDialog::getExistingDirectory(this, tr("Choose a data directory"), chosenDataDir());
    if (!directory.isEmpty())
        m_dataDirEdit->setText(QDir::toNativeSeparators(directory));
}

void StartupDialog::choose(Choice choice)
{
    if (m_done)
        return;
    if (choice == Choice::OtherDataDir && chosenDataDir().isEmpty()) {
        m_dataDirEdit->setFocus();
        return;
    }
    m_done = true;
    m_choice = choice;
    Q_EMIT chosen(choice);
    if (choice == Choice::Quit)
        QDialog::reject();
    else
        accept();
}

void StartupDialog::reject()
{
    // Closing the dialog leaves no server to show: it means quit.
    choose(Choice::Quit);
}
