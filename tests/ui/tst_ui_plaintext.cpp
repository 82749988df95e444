// Text from the server is shown literally everywhere: a poll whose question, theme
// and options look like HTML must not be rendered as HTML by any label, tooltip,
// chart, button or dialog of the console.
#include "elidedlabel.h"
#include "pollactions.h"
#include "resultschart.h"
#include "resultspanel.h"
#include "shardview.h"
#include "tallyprocess.h"
#include "uitestsupport.h"
#include "votecaster.h"

#include <QAction>
#include <QComboBox>
#include <QGraphicsScene>
#include <QGraphicsSimpleTextItem>
#include <QGraphicsTextItem>
#include <QLabel>
#include <QMessageBox>
#include <QPushButton>
#include <QTableView>
#include <QTextDocument>

namespace {
const QString Question = QStringLiteral("<b>x</b><img src=x>");
const QString OptionA = QStringLiteral("<i>yes</i>");
const QString OptionB = QStringLiteral("Tom & Jerry <br>");
const QString Theme = QStringLiteral("<u>t</u>");

// Every piece of text the chart's scene shows, as the user reads it.
QStringList sceneTexts(QGraphicsScene *scene)
{
    QStringList texts;
    for (QGraphicsItem *item : scene->items()) {
        if (auto *rich = dynamic_cast<QGraphicsTextItem *>(item))
            texts.append(rich->toPlainText());
        else if (auto *simple = dynamic_cast<QGraphicsSimpleTextItem *>(item))
            texts.append(simple->text());
    }
    return texts;
}
} // namespace

class TestUiPlainText : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { UiTest::isolateSettings(); }
    void hostilePollShowsLiterally();
};

void TestUiPlainText::hostilePollShowsLiterally()
{
    TallyProcess server;
    QVERIFY2(server.start(), qPrintable(server.diagnostics()));
    HttpClient http(server.url());
    const QJsonObject created =
        UiTest::createPoll(http, QStringLiteral("hostile"), Question, {OptionA, OptionB}, Theme);
    QCOMPARE(created.value(QStringLiteral("question")).toString(), Question);

    MainWindow window;
    window.resize(1280, 800);
    window.show();
    window.connectTo(server.url());
    QTRY_VERIFY_WITH_TIMEOUT(window.liveClient()->isConnected(), 15000);
    QVERIFY(UiTest::selectPoll(window, QStringLiteral("hostile")));

    // Labels: plain text, literal.
    QLabel *question = window.resultsPanel()->questionLabel();
    QCOMPARE(question->textFormat(), Qt::PlainText);
    QCOMPARE(question->text(), Question);
    QVERIFY(window.resultsPanel()->detailsLabel()->text().startsWith(QStringLiteral("Theme: ") +
                                                                     Theme));
    QCOMPARE(window.resultsPanel()->detailsLabel()->textFormat(), Qt::PlainText);
    QLabel *owner = window.shardView()->ownerLabel();
    QCOMPARE(owner->textFormat(), Qt::PlainText);
    QVERIFY(owner->text().startsWith(QStringLiteral("“") + Question +
                                     QStringLiteral("” is stored on ")));
    for (QLabel *label : window.findChildren<QLabel *>()) {
        if (label->text().contains(u'<'))
            QVERIFY2(label->textFormat() == Qt::PlainText,
                     qPrintable(label->objectName() + u' ' + label->text()));
    }

    // The poll list: literal cells, and a tooltip that renders literally.
    QAbstractItemModel *list = window.pollsView()->table()->model();
    QCOMPARE(list->index(0, PollListModel::QuestionColumn).data().toString(), Question);
    QCOMPARE(list->index(0, PollListModel::ThemeColumn).data().toString(), Theme);
    const QString tip =
        list->index(0, PollListModel::QuestionColumn).data(Qt::ToolTipRole).toString();
    QTextDocument tipDocument;
    tipDocument.setHtml(tip);
    QCOMPARE(tipDocument.toPlainText(), Question);
    QVERIFY(window.pollsView()->themeFilter()->findText(Theme) > 0);

    // The chart: HTML-escaped categories, so every text item reads literally.
    ResultsChart *chart = window.resultsPanel()->chart();
    QCOMPARE(chart->categories(), (QStringList{OptionA.toHtmlEscaped(), OptionB.toHtmlEscaped()}));
    QTRY_VERIFY(chart->scene());
    const QStringList texts = sceneTexts(chart->scene());
    QVERIFY2(texts.contains(OptionA) && texts.contains(OptionB), qPrintable(texts.join(u'|')));
    const QImage image = window.grab().toImage(); // renders without trouble
    QVERIFY(!image.isNull());

    // Buttons: '&' is not a mnemonic, text is literal.
    QPushButton *b = window.voteCaster()->optionButton(QStringLiteral("B"));
    QVERIFY(b);
    // Once the window has settled its layout, the whole text fits.
    QTRY_COMPARE(b->text(), QStringLiteral("B · Tom && Jerry <br>"));
    QTextDocument buttonTip;
    buttonTip.setHtml(b->toolTip());
    QCOMPARE(buttonTip.toPlainText(), QStringLiteral("One vote for: ") + OptionB);

    // The confirmation dialog quotes the question as plain text.
    window.pollActions()->deletePoll()->trigger();
    QMessageBox *box = window.pollActions()->confirmation();
    QVERIFY(box);
    QCOMPARE(box->textFormat(), Qt::PlainText);
    QVERIFY(box->text().contains(Question));
    box->button(QMessageBox::Cancel)->click();
    QTRY_VERIFY(!window.pollActions()->confirmation());
    QCOMPARE(http.get(QStringLiteral("/api/v1/polls/hostile")).status, 200);
    QCOMPARE(server.stop(), 0);
}

QTEST_MAIN(TestUiPlainText)
#include "tst_ui_plaintext.moc"
