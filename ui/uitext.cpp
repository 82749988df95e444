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

} // namespace UiText
