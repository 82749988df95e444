// The journal's record format: encode/decode, CRC-32, and reading that stops at the
// first damaged or truncated record (its recovery by the binary: tests/durability).
#include "journalfile.h"
#include "storage/journalrecord.h"

#include <QTest>
#include <QtEndian>

using JournalFile::decodeAll;

class TestJournalRecord : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void crc32KnownValues();
    void voteRecordRoundTrip();
    void asciiVoteRecordBytes();
    void manifestAndMarkerRoundTrip();
    void readStopsAtCorruptedByte();
    void readStopsAtTruncatedRecord();
};

void TestJournalRecord::crc32KnownValues()
{
    // The CRC-32 check value (IEEE 802.3, reflected, as zlib and PNG use it).
    QCOMPARE(JournalRecord::crc32("123456789"), 0xCBF43926u);
    QCOMPARE(JournalRecord::crc32(""), 0x00000000u);
    QCOMPARE(JournalRecord::crc32("a"), 0xE8B7BE43u);
    QCOMPARE(JournalRecord::crc32("The quick brown fox jumps over the lazy dog"), 0x414FA339u);
}

void TestJournalRecord::voteRecordRoundTrip()
{
    const QByteArray record = JournalRecord::vote(QStringLiteral("poll-\u00e9t\u00e9"), 7, 42);
    // [u32 length][u32 crc32][payload], little-endian.
    QVERIFY(record.size() > 8);
    const quint32 length = qFromLittleEndian<quint32>(record.constData());
    const quint32 crc = qFromLittleEndian<quint32>(record.constData() + 4);
    QCOMPARE(qsizetype(length), record.size() - 8);
    QCOMPARE(crc, JournalRecord::crc32(record.mid(8)));
    // Payload: type 1, option, u64 votes, u16 length + UTF-8 poll id.
    const QByteArray id = QStringLiteral("poll-\u00e9t\u00e9").toUtf8();
    QCOMPARE(qsizetype(length), 1 + 1 + 8 + 2 + id.size());
    QCOMPARE(quint8(record[8]), quint8(JournalRecord::Type::Vote));
    QCOMPARE(quint8(record[9]), quint8(7));
    QCOMPARE(qFromLittleEndian<quint64>(record.constData() + 10), quint64(42));
    QCOMPARE(qFromLittleEndian<quint16>(record.constData() + 18), quint16(id.size()));
    QCOMPARE(record.mid(20), id);

    qsizetype offset = 0;
    const std::optional<JournalRecord::Decoded> decoded = JournalRecord::read(record, &offset);
    QVERIFY(decoded);
    QCOMPARE(offset, record.size());
    QCOMPARE(decoded->type, JournalRecord::Type::Vote);
    QCOMPARE(decoded->pollId, QStringLiteral("poll-\u00e9t\u00e9"));
    QCOMPARE(decoded->option, 7);
    QCOMPARE(decoded->votes, qint64(42));

    // Default: one vote.
    offset = 0;
    QCOMPARE(JournalRecord::read(JournalRecord::vote(QStringLiteral("x"), 0), &offset)->votes,
             qint64(1));
}

void TestJournalRecord::asciiVoteRecordBytes()
{
    // An ASCII id takes the one-allocation writer: the bytes of the general layout,
    // [u32 length][u32 crc32][type 1, option, u64 votes, u16 id length, id].
    const auto framed = [](const QByteArray &payload) {
        QByteArray out(8, '\0');
        qToLittleEndian(quint32(payload.size()), out.data());
        qToLittleEndian(JournalRecord::crc32(payload), out.data() + 4);
        return out + payload;
    };
    QCOMPARE(JournalRecord::vote(QStringLiteral("poll-7"), 3, 5),
             framed(QByteArray::fromHex("010305000000000000000600") + "poll-7"));
    QCOMPARE(JournalRecord::vote(QString(), 0),
             framed(QByteArray::fromHex("010001000000000000000000")));
    QCOMPARE(JournalRecord::vote(QStringLiteral("7") + QChar(0x1e) + QStringLiteral("2"), 9),
             framed(QByteArray::fromHex("01090100000000000000030037") + "\x1e"
                                                                        "2"));
}

void TestJournalRecord::manifestAndMarkerRoundTrip()
{
    const QHash<QString, quint64> sequences = {{QStringLiteral("shard-0"), 17},
                                               {QStringLiteral("127.0.0.1:6379"), 1ull << 40}};
    const QByteArray data = JournalRecord::vote(QStringLiteral("p"), 1) +
                            JournalRecord::manifest(9, sequences) +
                            JournalRecord::manifest(10, {}) + JournalRecord::replaces(12);
    qsizetype end = 0;
    const QList<JournalRecord::Decoded> records = decodeAll(data, &end);
    QCOMPARE(end, data.size());
    QCOMPARE(records.size(), 4);
    QCOMPARE(records[1].type, JournalRecord::Type::Manifest);
    QCOMPARE(records[1].epoch, quint64(9));
    QCOMPARE(records[1].sequences, sequences);
    QCOMPARE(records[2].type, JournalRecord::Type::Manifest);
    QCOMPARE(records[2].epoch, quint64(10));
    QVERIFY(records[2].sequences.isEmpty());
    // The marker that starts a file of replayed votes: "replaces every file up to 12".
    QCOMPARE(records[3].type, JournalRecord::Type::Replaces);
    QCOMPARE(records[3].epoch, quint64(12));
}

void TestJournalRecord::readStopsAtCorruptedByte()
{
    const QByteArray first = JournalRecord::vote(QStringLiteral("first"), 0);
    const QByteArray second = JournalRecord::vote(QStringLiteral("second"), 1, 3);
    const QByteArray third = JournalRecord::vote(QStringLiteral("third"), 2);
    const QByteArray intact = first + second + third;
    // Whichever byte of the second record is damaged, reading ends there: the first
    // record counts, the second and everything after it do not.
    for (qsizetype i = 0; i < second.size(); ++i) {
        for (const quint8 flip : {quint8(0x01), quint8(0x80), quint8(0xFF)}) {
            QByteArray damaged = intact;
            damaged[first.size() + i] = char(quint8(damaged[first.size() + i]) ^ flip);
            qsizetype end = 0;
            const QList<JournalRecord::Decoded> records = decodeAll(damaged, &end);
            QVERIFY2(records.size() == 1 && end == first.size(),
                     qPrintable(QStringLiteral("byte %1 ^ 0x%2: %3 record(s), stopped at %4")
                                    .arg(i)
                                    .arg(flip, 0, 16)
                                    .arg(records.size())
                                    .arg(end)));
            QCOMPARE(records[0].pollId, QStringLiteral("first"));
        }
    }
}

void TestJournalRecord::readStopsAtTruncatedRecord()
{
    const QByteArray first = JournalRecord::vote(QStringLiteral("first"), 0);
    const QByteArray second = JournalRecord::manifest(4, {{QStringLiteral("shard-1"), 8}});
    for (qsizetype cut = 1; cut < second.size(); ++cut) {
        const QByteArray data = first + second.left(second.size() - cut);
        qsizetype end = 0;
        QCOMPARE(decodeAll(data, &end).size(), 1);
        QCOMPARE(end, first.size());
    }
    // Zero-length and oversized length fields are not records.
    QByteArray zero(8, '\0');
    qsizetype offset = 0;
    QVERIFY(!JournalRecord::read(zero, &offset));
    QByteArray huge = first;
    qToLittleEndian(quint32(0x7FFFFFFF), huge.data());
    offset = 0;
    QVERIFY(!JournalRecord::read(huge, &offset));
    QCOMPARE(offset, qsizetype(0));
}

QTEST_GUILESS_MAIN(TestJournalRecord)
#include "tst_journalrecord.moc"
