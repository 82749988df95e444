#include "uitext.h"

#include <QLocale>
#include <QTextDocument>

namespace UiText {

QString forChart(const QString &text)
{
    return text.toHtmlEscaped();
}

QString forToolTip(const QString &text)
{
    return Qt::convertFromPlainText(text, Qt::WhiteSpaceNormal);
}

QString forButton(const QString &text)
{
    QString escaped = text;
    escaped.replace(u'&', QStringLiteral("&&"));
    return escaped;
}

QString number(qint64 value)
{
    return QLocale().toString(value);
}

QString plural(const QString &translated, qint64 count)
{
    QString text = translated;
    text.replace(QStringLiteral("(es)"), count == 1 ? QString() : QStringLiteral("es"));
    text.replace(QStringLiteral("(s)"), count == 1 ? QString() : QStringLiteral("s"));
    return text;
}

} // namespace UiText
