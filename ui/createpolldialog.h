#pragma once

#include <QDialog>
#include <QJsonObject>
#include <QSet>

class QCheckBox;
class QComboBox;
class QDateTimeEdit;
class QSpinBox;
class QDialogButtonBox;
class QLabel;
class QLineEdit;
class QPushButton;
class QToolButton;
class QVBoxLayout;
class ServerClient;

// Creates a poll: question, theme (existing themes offered, any new one allowed),
// 2-10 options, how many of them a vote may choose, when results are visible, an
// optional timed close, an optional id and one-vote-per-voter. The form checks the server's
// rules as the operator types (docs/api.md) and the Create button stays disabled
// until they hold; the server's own answer decides, and its error is shown here.
class CreatePollDialog : public QDialog {
    Q_OBJECT
public:
    static constexpr int MinOptions = 2;
    static constexpr int MaxOptions = 10;
    static constexpr int MaxQuestion = 500;
    static constexpr int MaxOption = 200;
    static constexpr int MaxTheme = 64;
    static constexpr int MaxId = 64;
    // The close time offered first: this far ahead, on a whole minute.
    static constexpr int DefaultCloseMinutes = 10;

    explicit CreatePollDialog(ServerClient *client, QWidget *parent = nullptr);

    // The POST /api/v1/polls body the form describes now.
    QJsonObject requestBody() const;
    // What is wrong with the form, one sentence per problem; empty when it can be sent.
    QStringList problems() const;

    QLineEdit *questionEdit() const { return m_question; }
    QComboBox *themeBox() const { return m_theme; }
    QLineEdit *idEdit() const { return m_id; }
    QCheckBox *oneVoteBox() const { return m_oneVote; }
    QSpinBox *maxChoicesBox() const { return m_maxChoices; }
    QComboBox *visibilityBox() const { return m_visibility; }
    QCheckBox *closeAtBox() const { return m_closeAt; }
    QDateTimeEdit *closeTimeEdit() const { return m_closeTime; }
    QList<QLineEdit *> optionEdits() const;
    QToolButton *removeButton(int option) const;
    QPushButton *addOptionButton() const { return m_addOption; }
    QPushButton *createButton() const;
    QLabel *serverErrorLabel() const { return m_serverError; }
    // The inline messages shown under each part of the form, in order.
    QStringList shownMessages() const;

    void addOption(const QString &text = {});
    void removeOption(int option);

public Q_SLOTS:
    void accept() override;

Q_SIGNALS:
    // The server created the poll (its JSON).
    void created(const QJsonObject &poll);

private:
    struct OptionRow {
        QWidget *row;
        QLabel *letter;
        QLineEdit *edit;
        QToolButton *remove;
    };
    void loadThemes();
    void validate();
    void renumber();
    QString questionProblem() const;
    QString themeProblem() const;
    QString idProblem() const;
    QString closeProblem() const;
    void updateChoices();
    // strict: an empty option counts even if nobody typed in it yet.
    QString optionsProblem(bool strict) const;
    void showProblem(QLabel *label, const QString &problem, bool touched);
    void setBusy(bool busy);

    ServerClient *m_client;
    QLineEdit *m_question;
    QLabel *m_questionCount;
    QLabel *m_questionMessage;
    QComboBox *m_theme;
    QLabel *m_themeMessage;
    QVBoxLayout *m_optionsLayout;
    QList<OptionRow> m_options;
    QPushButton *m_addOption;
    QLabel *m_optionsMessage;
    QLineEdit *m_id;
    QLabel *m_idMessage;
    QCheckBox *m_oneVote;
    QSpinBox *m_maxChoices;
    QComboBox *m_visibility;
    QCheckBox *m_closeAt;
    QDateTimeEdit *m_closeTime;
    QLabel *m_closeMessage;
    QLabel *m_serverError;
    QDialogButtonBox *m_buttons;
    QSet<QObject *> m_touched;
    bool m_tried = false;
    bool m_busy = false;
};
