#pragma once

#include <QDialog>
#include <QMap>
#include <QUrl>

class QAbstractButton;
class QLabel;
class QLineEdit;
class QWidget;

// Shown over the console when its embedded server cannot start: names the problem in
// plain words and offers the ways out that fit it. The launcher decides what each
// choice does; this dialog only asks.
class StartupDialog : public QDialog {
    Q_OBJECT
public:
    enum class Problem {
        PortInUse,         // another program listens on the port
        PortTakenByTally,  // another Tally listens on the port
        DataDirLocked,     // another Tally uses the data directory
        DataDirUnwritable, // the data directory cannot be created or written
        StorageFailed,     // the stored polls could not be loaded
        InvalidSettings,   // the command line, environment or config file is wrong
        Other,
    };
    enum class Choice { ConnectToRunning, FreePort, OtherDataDir, DefaultSettings, Quit };

    struct Details {
        Problem problem = Problem::Other;
        QString address; // where the server wanted to listen, e.g. 127.0.0.1
        int port = 0;
        qint64 otherPid = 0;
        QString dataDir;
        QUrl runningUrl;   // the other Tally, when it can be watched
        QString technical; // the server's own sentence
    };

    explicit StartupDialog(const Details &details, QWidget *parent = nullptr);

    // The choices offered for a problem, in the order of the buttons.
    static QList<Choice> choicesFor(const Details &details);

    QString title() const;
    QString explanation() const;
    QList<Choice> choices() const { return m_choices; }
    QAbstractButton *button(Choice choice) const { return m_buttons.value(choice); }
    QLineEdit *dataDirEdit() const { return m_dataDirEdit; }

    // What was chosen (Quit when the dialog was closed), and the directory entered.
    Choice choice() const { return m_choice; }
    QString chosenDataDir() const;

public Q_SLOTS:
    // Closing the dialog leaves no server to show: it means quit.
    void reject() override;

Q_SIGNALS:
    void chosen(StartupDialog::Choice choice);

protected:
    void showEvent(QShowEvent *event) override;

private:
    void choose(Choice choice);
    void browseDataDir();
    QString titleText() const;
    QString explanationText() const;

    Details m_details;
    QList<Choice> m_choices;
    QMap<Choice, QAbstractButton *> m_buttons;
    QLabel *m_title;
    QLabel *m_explanation;
    QLineEdit *m_dataDirEdit = nullptr;
    Choice m_choice = Choice::Quit;
    bool m_done = false;
};
