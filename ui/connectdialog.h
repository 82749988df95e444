#pragma once

#include <QDialog>
#include <QUrl>

class QCheckBox;
class QComboBox;
class QLabel;
class QLineEdit;

// Asks for the server to watch: its URL (recent ones offered) and the admin token
// that create / close / open / delete need when the server has one. Only the URLs
// are remembered unless the operator asks to remember the token as well.
class ConnectDialog : public QDialog {
    Q_OBJECT
public:
    explicit ConnectDialog(QWidget *parent = nullptr);

    void setUrl(const QUrl &url);
    void setToken(const QString &token);
    void setRecentUrls(const QStringList &urls);
    void setRememberToken(bool remember);

    // The URL as typed, with "http://" added when no scheme was given; invalid when
    // the text is not a usable http(s) URL.
    QUrl url() const;
    QString token() const;
    bool rememberToken() const;

    static QUrl parseUrl(const QString &text);

    QComboBox *urlBox() const { return m_url; }
    QLineEdit *tokenEdit() const { return m_token; }

public Q_SLOTS:
    void accept() override;

private:
    void validate();

    QComboBox *m_url;
    QLineEdit *m_token;
    QCheckBox *m_remember;
    QLabel *m_message;
};
