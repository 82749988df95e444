// WebSocketFrame: the unmasked text frames a hub writes to every subscriber's socket, byte
// for byte as RFC 6455 lays them out for each of the three payload length encodings.
#include "websocket/websocketframe.h"

#include <QTest>

class TestWebSocketFrame : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void headerPerLength_data();
    void headerPerLength();
    void payloadRoundTrip();
};

void TestWebSocketFrame::headerPerLength_data()
{
    QTest::addColumn<int>("size");
    QTest::addColumn<QByteArray>("header");
    QTest::addRow("empty") << 0 << QByteArray("\x81\x00", 2);
    QTest::addRow("125 bytes: 7-bit length") << 125 << QByteArray("\x81\x7d", 2);
    QTest::addRow("126 bytes: 16-bit length") << 126 << QByteArray("\x81\x7e\x00\x7e", 4);
    QTest::addRow("65535 bytes: 16-bit length") << 65535 << QByteArray("\x81\x7e\xff\xff", 4);
    QTest::addRow("65536 bytes: 64-bit length")
        << 65536 << QByteArray("\x81\x7f\x00\x00\x00\x00\x00\x01\x00\x00", 10);
}

void TestWebSocketFrame::headerPerLength()
{
    QFETCH(int, size);
    QFETCH(QByteArray, header);
    const QByteArray payload(size, 'x');
    const QByteArray frame = WebSocketFrame::text(payload);
    QCOMPARE(frame.size(), header.size() + size);
    QCOMPARE(frame.left(header.size()), header);
    QCOMPARE(frame.mid(header.size()), payload);
    QCOMPARE(WebSocketFrame::payload(frame).toByteArray(), payload);
}

void TestWebSocketFrame::payloadRoundTrip()
{
    const QByteArray message =
        R"({"poll_id":"7","results":{"A":3,"B":5},"seq":4,"total":8,"type":"results","voters":8})";
    const QByteArray frame = WebSocketFrame::text(message);
    QCOMPARE(frame.at(0), char(0x81));                      // FIN + text
    QCOMPARE(int(uchar(frame.at(1))), int(message.size())); // unmasked, 7-bit length
    QCOMPARE(WebSocketFrame::payload(frame).toByteArray(), message);
}

QTEST_APPLESS_MAIN(TestWebSocketFrame)
#include "tst_websocketframe.moc"
