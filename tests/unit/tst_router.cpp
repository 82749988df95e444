#include "http/httpexchange.h"
#include "http/jsonbody.h"
#include "http/router.h"

#include <QTest>

Q_DECLARE_METATYPE(TallyError::Kind)

// The parts of the HTTP layer that need no socket. Router::dispatch and JsonBody::parse
// take an HttpExchange, which wraps a QHttpServerRequest and a QHttpServerResponder; Qt
// 6.4 offers no public way to make either without a live connection, so dispatching is
// covered by the end-to-end tests instead.
class TestRouter : public QObject {
    Q_OBJECT

private slots:
    void methodName_data()
    {
        QTest::addColumn<Router::Method>("method");
        QTest::addColumn<QString>("name");
        using M = Router::Method;
        QTest::newRow("GET") << M::Get << "GET";
        QTest::newRow("PUT") << M::Put << "PUT";
        QTest::newRow("DELETE") << M::Delete << "DELETE";
        QTest::newRow("POST") << M::Post << "POST";
        QTest::newRow("HEAD") << M::Head << "HEAD";
        QTest::newRow("OPTIONS") << M::Options << "OPTIONS";
        QTest::newRow("PATCH") << M::Patch << "PATCH";
        QTest::newRow("CONNECT") << M::Connect << "CONNECT";
        QTest::newRow("TRACE") << M::Trace << "TRACE";
        QTest::newRow("unknown") << M::Unknown << "UNKNOWN";
        QTest::newRow("any known") << M::AnyKnown << "UNKNOWN";
    }

    void methodName()
    {
        QFETCH(Router::Method, method);
        QFETCH(QString, name);
        QCOMPARE(Router::methodName(method), name);
    }

    void jsonMediaType_data()
    {
        QTest::addColumn<QByteArray>("contentType");
        QTest::addColumn<bool>("json");
        QTest::newRow("plain") << QByteArray("application/json") << true;
        QTest::newRow("charset") << QByteArray("application/json; charset=utf-8") << true;
        QTest::newRow("charset, no space") << QByteArray("application/json;charset=UTF-8") << true;
        QTest::newRow("upper case") << QByteArray("Application/JSON") << true;
        QTest::newRow("surrounding spaces")
            << QByteArray("  application/json  ; charset=utf-8") << true;
        QTest::newRow("problem+json") << QByteArray("application/problem+json") << true;
        QTest::newRow("vendor+json") << QByteArray("application/vnd.api+json") << true;
        QTest::newRow("json-patch+json") << QByteArray("application/json-patch+json") << true;
        QTest::newRow("missing") << QByteArray() << false;
        QTest::newRow("text/plain") << QByteArray("text/plain") << false;
        QTest::newRow("text/json") << QByteArray("text/json") << false;
        QTest::newRow("jsonp") << QByteArray("application/jsonp") << false;
        QTest::newRow("form") << QByteArray("application/x-www-form-urlencoded") << false;
        QTest::newRow("multipart") << QByteArray("multipart/form-data; boundary=x") << false;
        QTest::newRow("xml") << QByteArray("application/xml") << false;
        QTest::newRow("json+xml") << QByteArray("application/json+xml") << false;
        QTest::newRow("json in a parameter")
            << QByteArray("text/plain; x=application/json") << false;
        QTest::newRow("bare json") << QByteArray("json") << false;
    }

    void jsonMediaType()
    {
        QFETCH(QByteArray, contentType);
        QFETCH(bool, json);
        QCOMPARE(JsonBody::isJsonMediaType(contentType), json);
    }

    void statusForErrorKind_data()
    {
        QTest::addColumn<TallyError::Kind>("kind");
        QTest::addColumn<int>("status");
        using K = TallyError::Kind;
        QTest::newRow("malformed") << K::Malformed << 400;
        QTest::newRow("invalid") << K::Invalid << 422;
        QTest::newRow("not found") << K::NotFound << 404;
        QTest::newRow("conflict") << K::Conflict << 409;
        QTest::newRow("unavailable") << K::Unavailable << 503;
        QTest::newRow("outcome unknown") << K::OutcomeUnknown << 503;
        QTest::newRow("unauthorized") << K::Unauthorized << 401;
        QTest::newRow("forbidden") << K::Forbidden << 403;
        QTest::newRow("too large") << K::TooLarge << 413;
        QTest::newRow("unsupported type") << K::UnsupportedType << 415;
    }

    void statusForErrorKind()
    {
        QFETCH(TallyError::Kind, kind);
        QFETCH(int, status);
        QCOMPARE(int(HttpExchange::statusFor(kind)), status);
    }
};

QTEST_GUILESS_MAIN(TestRouter)
#include "tst_router.moc"
