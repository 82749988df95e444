// The console's shard view of Sentinel-monitored shards, fed the /api/v1/stats answer an
// admin gets after a failover: each group's current master and replicas in the address
// column (the sentinels in its tooltip), the failovers seen in the state column; a plain
// Redis node next to them shows just its address.
#include "shardview.h"
#include "uitestsupport.h"

#include <QJsonDocument>
#include <QTableWidget>
#include <QTest>

class TestUiSentinelShards : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void initTestCase() { UiTest::isolateSettings(); }
    void showsMasterReplicasAndFailovers();
};

void TestUiSentinelShards::showsMasterReplicasAndFailovers()
{
    ShardView view;
    view.show();
    view.setStats(QJsonDocument::fromJson(R"({"shards":[
        {"name":"g1","kind":"redis","address":"127.0.0.1:7001","state":"up","polls":2,"votes":40,
         "queued_batches":0,"awaiting_replicas":0,"failovers":1,"replica_count":1,
         "master":"127.0.0.1:7001","replicas":["127.0.0.1:7000"],
         "monitor":"sentinel://127.0.0.1:26379,127.0.0.1:26380/g1"},
        {"name":"g2","kind":"redis","address":"127.0.0.1:7101","state":"down","polls":1,"votes":3,
         "queued_batches":2,"awaiting_replicas":5,"failovers":2,"replica_count":0,
         "master":"127.0.0.1:7101","replicas":[],
         "monitor":"sentinel://127.0.0.1:26479/g2"},
        {"name":"n3","kind":"redis","address":"127.0.0.1:7200","state":"up","polls":0,"votes":0,
         "queued_batches":0}]})")
                      .object());
    QTableWidget *table = view.table();
    QCOMPARE(table->rowCount(), 3);
    const int g1 = view.rowOf(QStringLiteral("g1"));
    const int g2 = view.rowOf(QStringLiteral("g2"));
    const int n3 = view.rowOf(QStringLiteral("n3"));
    QCOMPARE(table->item(g1, ShardView::AddressColumn)->text(),
             QStringLiteral("master 127.0.0.1:7001, replicas: 127.0.0.1:7000"));
    QVERIFY2(table->item(g1, ShardView::AddressColumn)
                 ->toolTip()
                 .contains(QStringLiteral("sentinel://127.0.0.1:26379,127.0.0.1:26380/g1")),
             qPrintable(table->item(g1, ShardView::AddressColumn)->toolTip()));
    QCOMPARE(table->item(g1, ShardView::StateColumn)->text(), QStringLiteral("up, 1 failover"));
    // No replica listed: their count stands in.
    QCOMPARE(table->item(g2, ShardView::AddressColumn)->text(),
             QStringLiteral("master 127.0.0.1:7101, replicas: 0"));
    QCOMPARE(table->item(g2, ShardView::StateColumn)->text(),
             QStringLiteral("down, 2 batches queued, 2 failovers"));
    QCOMPARE(table->item(n3, ShardView::AddressColumn)->text(), QStringLiteral("127.0.0.1:7200"));
    QCOMPARE(table->item(n3, ShardView::StateColumn)->text(), QStringLiteral("up"));
}

QTEST_MAIN(TestUiSentinelShards)
#include "tst_ui_sentinelshards.moc"
