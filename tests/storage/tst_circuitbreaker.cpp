// The circuit breaker that guards reconnects to a Redis shard, driven by an injected
// clock: closed -> open after K consecutive failures, open refuses until the reset
// time has passed, half-open lets exactly one probe through, and the probe's outcome
// closes or reopens it.
#include "storage/circuitbreaker.h"

#include <QTest>

class TestCircuitBreaker : public QObject {
    Q_OBJECT

private Q_SLOTS:
    void startsClosedAndAllowsEveryAttempt();
    void opensAfterThresholdConsecutiveFailures();
    void successResetsTheFailureCount();
    void openRefusesUntilResetElapsed();
    void halfOpenAllowsExactlyOneProbe();
    void probeSuccessCloses();
    void probeFailureReopensForAFullReset();
    void thresholdBelowOneActsAsOne();
    void defaultClockIsUsable();

private:
    qint64 m_now = 1000;
    CircuitBreaker::Clock clock()
    {
        return [this] { return m_now; };
    }
};

void TestCircuitBreaker::startsClosedAndAllowsEveryAttempt()
{
    CircuitBreaker breaker(3, 500, clock());
    QCOMPARE(breaker.state(), CircuitBreaker::State::Closed);
    QCOMPARE(breaker.consecutiveFailures(), 0);
    QCOMPARE(breaker.msUntilProbe(), qint64(0));
    for (int i = 0; i < 10; ++i)
        QVERIFY(breaker.allowAttempt());
    QCOMPARE(breaker.state(), CircuitBreaker::State::Closed);
}

void TestCircuitBreaker::opensAfterThresholdConsecutiveFailures()
{
    CircuitBreaker breaker(3, 500, clock());
    breaker.recordFailure();
    QCOMPARE(breaker.state(), CircuitBreaker::State::Closed);
    QVERIFY(breaker.allowAttempt());
    breaker.recordFailure();
    QCOMPARE(breaker.state(), CircuitBreaker::State::Closed);
    QCOMPARE(breaker.consecutiveFailures(), 2);
    QVERIFY(breaker.allowAttempt());
    breaker.recordFailure();
    QCOMPARE(breaker.state(), CircuitBreaker::State::Open);
    QCOMPARE(breaker.consecutiveFailures(), 3);
    QVERIFY(!breaker.allowAttempt());
    QCOMPARE(breaker.msUntilProbe(), qint64(500));
}

void TestCircuitBreaker::successResetsTheFailureCount()
{
    CircuitBreaker breaker(2, 500, clock());
    breaker.recordFailure();
    breaker.recordSuccess();
    QCOMPARE(breaker.consecutiveFailures(), 0);
    breaker.recordFailure();
    QCOMPARE(breaker.state(), CircuitBreaker::State::Closed);
    breaker.recordFailure();
    QCOMPARE(breaker.state(), CircuitBreaker::State::Open);
}

void TestCircuitBreaker::openRefusesUntilResetElapsed()
{
    CircuitBreaker breaker(1, 500, clock());
    breaker.recordFailure();
    QCOMPARE(breaker.state(), CircuitBreaker::State::Open);
    QVERIFY(!breaker.allowAttempt());
    m_now += 200;
    QCOMPARE(breaker.msUntilProbe(), qint64(300));
    QVERIFY(!breaker.allowAttempt());
    m_now += 299;
    QCOMPARE(breaker.msUntilProbe(), qint64(1));
    QVERIFY(!breaker.allowAttempt());
    QCOMPARE(breaker.state(), CircuitBreaker::State::Open);
    m_now += 1;
    QCOMPARE(breaker.msUntilProbe(), qint64(0));
    QVERIFY(breaker.allowAttempt());
    QCOMPARE(breaker.state(), CircuitBreaker::State::HalfOpen);
}

void TestCircuitBreaker::halfOpenAllowsExactlyOneProbe()
{
    CircuitBreaker breaker(2, 500, clock());
    breaker.recordFailure();
    breaker.recordFailure();
    m_now += 10000;
    QVERIFY(breaker.allowAttempt());
    QCOMPARE(breaker.state(), CircuitBreaker::State::HalfOpen);
    QCOMPARE(breaker.msUntilProbe(), qint64(0));
    // However long the probe takes, nobody else gets through while it is out.
    for (int i = 0; i < 5; ++i) {
        m_now += 10000;
        QVERIFY(!breaker.allowAttempt());
    }
    QCOMPARE(breaker.state(), CircuitBreaker::State::HalfOpen);
}

void TestCircuitBreaker::probeSuccessCloses()
{
    CircuitBreaker breaker(2, 500, clock());
    breaker.recordFailure();
    breaker.recordFailure();
    m_now += 500;
    QVERIFY(breaker.allowAttempt());
    breaker.recordSuccess();
    QCOMPARE(breaker.state(), CircuitBreaker::State::Closed);
    QCOMPARE(breaker.consecutiveFailures(), 0);
    QVERIFY(breaker.allowAttempt());
    QVERIFY(breaker.allowAttempt());
    // Closed again with a fresh count: one failure does not reopen a threshold of 2.
    breaker.recordFailure();
    QCOMPARE(breaker.state(), CircuitBreaker::State::Closed);
}

void TestCircuitBreaker::probeFailureReopensForAFullReset()
{
    CircuitBreaker breaker(3, 500, clock());
    for (int i = 0; i < 3; ++i)
        breaker.recordFailure();
    m_now += 700;
    QVERIFY(breaker.allowAttempt());
    QCOMPARE(breaker.state(), CircuitBreaker::State::HalfOpen);
    m_now += 50;
    breaker.recordFailure();
    // One failed probe is enough, whatever the threshold; the wait starts again now.
    QCOMPARE(breaker.state(), CircuitBreaker::State::Open);
    QCOMPARE(breaker.msUntilProbe(), qint64(500));
    m_now += 499;
    QVERIFY(!breaker.allowAttempt());
    m_now += 1;
    QVERIFY(breaker.allowAttempt());
    QCOMPARE(breaker.state(), CircuitBreaker::State::HalfOpen);
    QVERIFY(!breaker.allowAttempt());
    breaker.recordSuccess();
    QCOMPARE(breaker.state(), CircuitBreaker::State::Closed);
}

void TestCircuitBreaker::thresholdBelowOneActsAsOne()
{
    CircuitBreaker breaker(0, 100, clock());
    QVERIFY(breaker.allowAttempt());
    breaker.recordFailure();
    QCOMPARE(breaker.state(), CircuitBreaker::State::Open);
}

void TestCircuitBreaker::defaultClockIsUsable()
{
    CircuitBreaker breaker(1, 50);
    breaker.recordFailure();
    QCOMPARE(breaker.state(), CircuitBreaker::State::Open);
    QVERIFY(!breaker.allowAttempt());
    QVERIFY(breaker.msUntilProbe() > 0);
    QVERIFY(breaker.msUntilProbe() <= 50);
    // (allowAttempt() itself must not be retried: in half-open only its first call
    // answers true.)
    QTRY_COMPARE_WITH_TIMEOUT(breaker.msUntilProbe(), qint64(0), 2000);
    QVERIFY(breaker.allowAttempt());
    QCOMPARE(breaker.state(), CircuitBreaker::State::HalfOpen);
}

QTEST_GUILESS_MAIN(TestCircuitBreaker)
#include "tst_circuitbreaker.moc"
