#pragma once

#include <QLabel>

// A plain-text label that shows at most `maxLines` wrapped lines: longer text is cut
// at the end of the last line with "…", and the whole text becomes the tooltip. Its
// width follows the layout, never the text, so a long text cannot push its
// neighbours away.
class ElidedLabel : public QLabel {
    Q_OBJECT
public:
    explicit ElidedLabel(int maxLines = 1, QWidget *parent = nullptr);

    void setFullText(const QString &text);
    QString fullText() const { return m_full; }
    void setMaxLines(int lines);
    int maxLines() const { return m_maxLines; }
    bool isElided() const { return m_elided; }

    QSize minimumSizeHint() const override;
    QSize sizeHint() const override;
    bool hasHeightForWidth() const override { return true; }
    int heightForWidth(int width) const override;

protected:
    void resizeEvent(QResizeEvent *event) override;
    void changeEvent(QEvent *event) override;

private:
    // The text as shown at `width` and how many lines it takes.
    QString layoutText(int width, int *lines, bool *elided) const;
    void relayout();

    QString m_full;
    int m_maxLines;
    bool m_elided = false;
};
