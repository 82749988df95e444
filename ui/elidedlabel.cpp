#include "elidedlabel.h"
#include "uitext.h"

#include <QEvent>
#include <QResizeEvent>
#include <QTextLayout>

ElidedLabel::ElidedLabel(int maxLines, QWidget *parent)
    : QLabel(parent), m_maxLines(qMax(1, maxLines))
{
    setTextFormat(Qt::PlainText);
    setWordWrap(false); // the lines are broken here, so QLabel never re-wraps them
    setSizePolicy(QSizePolicy::Ignored, QSizePolicy::Preferred);
}

void ElidedLabel::setFullText(const QString &text)
{
    if (text == m_full && !QLabel::text().isEmpty())
        return;
    m_full = text;
    setAccessibleName(text); // the whole text, not what fits
    relayout();
    updateGeometry();
}

void ElidedLabel::setMaxLines(int lines)
{
    m_maxLines = qMax(1, lines);
    relayout();
    updateGeometry();
}

QString ElidedLabel::layoutText(int width, int *lines, bool *elided) const
{
    const QFontMetrics metrics = fontMetrics();
    width = qMax(width, metrics.averageCharWidth() * 4);
    QTextLayout layout(m_full, font());
    QTextOption option;
    option.setWrapMode(QTextOption::WrapAtWordBoundaryOrAnywhere);
    layout.setTextOption(option);
    QStringList shown;
    *elided = false;
    layout.beginLayout();
    for (QTextLine line = layout.createLine(); line.isValid(); line = layout.createLine()) {
        line.setLineWidth(width);
        if (shown.size() == m_maxLines - 1) {
            // The last line allowed: everything left, cut to the width.
            const QString rest = m_full.mid(line.textStart()).simplified();
            const QString cut = metrics.elidedText(rest, Qt::ElideRight, width);
            *elided = cut != rest;
            shown.append(cut);
            break;
        }
        shown.append(m_full.mid(line.textStart(), line.textLength()).trimmed());
    }
    layout.endLayout();
    *lines = qMax<int>(1, int(shown.size()));
    return shown.join(u'\n');
}

int ElidedLabel::heightForWidth(int width) const
{
    int lines = 1;
    bool elided = false;
    const QMargins margins = contentsMargins();
    layoutText(width - margins.left() - margins.right(), &lines, &elided);
    return lines * fontMetrics().lineSpacing() + margins.top() + margins.bottom();
}

QSize ElidedLabel::minimumSizeHint() const
{
    const QFontMetrics metrics = fontMetrics();
    return {metrics.averageCharWidth() * 4, metrics.lineSpacing()};
}

QSize ElidedLabel::sizeHint() const
{
    const QFontMetrics metrics = fontMetrics();
    const int width = metrics.averageCharWidth() * 40;
    return {width, heightForWidth(width)};
}

void ElidedLabel::relayout()
{
    int lines = 1;
    bool elided = false;
    const QString shown = layoutText(contentsRect().width(), &lines, &elided);
    m_elided = elided;
    if (QLabel::text() != shown)
        QLabel::setText(shown);
    const QString tip = elided ? UiText::forToolTip(m_full) : QString();
    if (toolTip() != tip)
        setToolTip(tip);
}

void ElidedLabel::resizeEvent(QResizeEvent *event)
{
    QLabel::resizeEvent(event);
    if (event->size().width() != event->oldSize().width())
        relayout();
}

void ElidedLabel::changeEvent(QEvent *event)
{
    QLabel::changeEvent(event);
    if (event->type() == QEvent::FontChange) {
        relayout();
        updateGeometry();
    }
}
