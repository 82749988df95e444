#include "http/httpexchange.h"
#include "http/jsonbody.h"
#include "http/router.h"

#include <QTest>

Q_DECLARE_METATYPE(TallyError::Kind)

namespace {

using M = Router::Method;

// Tally's routes, in the order HttpWorker registers them (polls, votes, results,
// operations, pages, API documents): the order decides the order of Allow.
const QList<QPair<M, QString>> Routes = {
    {M::Post, QStringLiteral("/api/v1/polls")},
    {M::Get, QStringLiteral("/api/v1/polls")},
    {M::Get, QStringLiteral("/api/v1/polls/{id}")},
    {M::Delete, QStringLiteral("/api/v1/polls/{id}")},
    {M::Post, QStringLiteral("/api/v1/polls/{id}/close")},
    {M::Post, QStringLiteral("/api/v1/polls/{id}/open")},
    {M::Get, QStringLiteral("/api/v1/themes")},
    {M::Post, QStringLiteral("/api/v1/vote/{poll_id}")},
    {M::Post, QStringLiteral("/api/v1/votes")},
    {M::Get, QStringLiteral("/api/v1/results/{poll_id}")},
    {M::Get, QStringLiteral("/health")},
    {M::Get, QStringLiteral("/ready")},
    {M::Get, QStringLiteral("/metrics")},
    {M::Get, QStringLiteral("/api/v1/stats")},
    {M::Get, QStringLiteral("/api/v1/ring")},
    {M::Get, QStringLiteral("/")},
    {M::Get, QStringLiteral("/p/{poll_id}")},
    {M::Get, QStringLiteral("/assets/{name}")},
    {M::Get, QStringLiteral("/api/v1/openapi.json")},
    {M::Get, QStringLiteral("/api/v1/docs")},
    {M::Get, QStringLiteral("/api/v1/docs/redoc.standalone.js")},
};

} // namespace

// The parts of the HTTP layer that need no socket: where the router sends a request
// (route, parameters, or its own 404/405 with Allow), method names, JSON media types
// and the status of each error kind. Router::match() takes a method and a path, so
// routing runs in process; the handlers and the policy step around them (rate limits,
// the admin token) take an HttpExchange, which needs a live connection, and are
// covered by the end-to-end and protection tests.
class TestRouter : public QObject {
    Q_OBJECT

private slots:
    void match_data()
    {
        QTest::addColumn<Router::Method>("method");
        QTest::addColumn<QString>("path");
        QTest::addColumn<QString>("route"); // the pattern; empty when no route takes it
        QTest::addColumn<QStringList>("params");
        QTest::addColumn<int>("status"); // 0: the route's handler answers
        QTest::addColumn<QString>("allow");
        const QStringList none;

        // Exact and parameterised routes.
        QTest::newRow("list") << M::Get << "/api/v1/polls"
                              << "/api/v1/polls" << none << 0 << "";
        QTest::newRow("create") << M::Post << "/api/v1/polls"
                                << "/api/v1/polls" << none << 0 << "";
        QTest::newRow("get") << M::Get << "/api/v1/polls/lunch"
                             << "/api/v1/polls/{id}" << QStringList{"lunch"} << 0 << "";
        QTest::newRow("delete") << M::Delete << "/api/v1/polls/lunch"
                                << "/api/v1/polls/{id}" << QStringList{"lunch"} << 0 << "";
        QTest::newRow("close") << M::Post << "/api/v1/polls/7/close"
                               << "/api/v1/polls/{id}/close" << QStringList{"7"} << 0 << "";
        QTest::newRow("vote") << M::Post << "/api/v1/vote/7"
                              << "/api/v1/vote/{poll_id}" << QStringList{"7"} << 0 << "";
        QTest::newRow("results") << M::Get << "/api/v1/results/7"
                                 << "/api/v1/results/{poll_id}" << QStringList{"7"} << 0 << "";
        QTest::newRow("root") << M::Get << "/"
                              << "/" << none << 0 << "";
        QTest::newRow("page") << M::Get << "/p/7"
                              << "/p/{poll_id}" << QStringList{"7"} << 0 << "";
        QTest::newRow("deeper static route")
            << M::Get << "/api/v1/docs/redoc.standalone.js"
            << "/api/v1/docs/redoc.standalone.js" << none << 0 << "";

        // HEAD is answered by the GET route, and is allowed wherever GET is.
        QTest::newRow("HEAD on a GET route")
            << M::Head << "/api/v1/polls/lunch"
            << "/api/v1/polls/{id}" << QStringList{"lunch"} << 0 << "";
        QTest::newRow("HEAD on the root") << M::Head << "/"
                                          << "/" << none << 0 << "";
        QTest::newRow("HEAD on a POST-only route") << M::Head << "/api/v1/vote/7"
                                                   << "" << none << 405 << "POST";

        // A known path with another method: 405, Allow in registration order.
        QTest::newRow("PUT on a poll") << M::Put << "/api/v1/polls/lunch"
                                       << "" << none << 405 << "GET, HEAD, DELETE";
        QTest::newRow("PATCH on polls") << M::Patch << "/api/v1/polls"
                                        << "" << none << 405 << "POST, GET, HEAD";
        QTest::newRow("GET on a vote") << M::Get << "/api/v1/vote/7"
                                       << "" << none << 405 << "POST";
        QTest::newRow("GET on close") << M::Get << "/api/v1/polls/7/close"
                                      << "" << none << 405 << "POST";
        QTest::newRow("POST on stats") << M::Post << "/api/v1/stats"
                                       << "" << none << 405 << "GET, HEAD";
        QTest::newRow("OPTIONS on the root") << M::Options << "/"
                                             << "" << none << 405 << "GET, HEAD";
        QTest::newRow("unknown method") << M::Unknown << "/api/v1/polls"
                                        << "" << none << 405 << "POST, GET, HEAD";

        // Unknown paths: 404.
        QTest::newRow("unknown path") << M::Get << "/api/v1/nothing"
                                      << "" << none << 404 << "";
        QTest::newRow("unknown method, unknown path") << M::Unknown << "/nothing"
                                                      << "" << none << 404 << "";
        QTest::newRow("too many segments") << M::Get << "/api/v1/polls/a/b"
                                           << "" << none << 404 << "";
        QTest::newRow("case matters") << M::Get << "/API/v1/polls"
                                      << "" << none << 404 << "";
        QTest::newRow("empty segment inside") << M::Get << "/api//v1/polls"
                                              << "" << none << 404 << "";
        QTest::newRow("no leading slash") << M::Get << "api/v1/polls"
                                          << "/api/v1/polls" << none << 0 << "";

        // Odd paths: one trailing slash is dropped, a second one is an empty segment;
        // segments are percent-decoded one by one, so an encoded '/' stays a parameter.
        QTest::newRow("trailing slash") << M::Get << "/api/v1/polls/"
                                        << "/api/v1/polls" << none << 0 << "";
        QTest::newRow("two trailing slashes") << M::Get << "/api/v1/polls//"
                                              << "/api/v1/polls/{id}" << QStringList{""} << 0 << "";
        QTest::newRow("only slashes") << M::Get << "//"
                                      << "/" << none << 0 << "";
        QTest::newRow("empty path") << M::Get << ""
                                    << "/" << none << 0 << "";
        QTest::newRow("encoded slash") << M::Get << "/api/v1/polls/a%2Fb"
                                       << "/api/v1/polls/{id}" << QStringList{"a/b"} << 0 << "";
        QTest::newRow("encoded UTF-8")
            << M::Get << "/api/v1/polls/caf%C3%A9"
            << "/api/v1/polls/{id}" << QStringList{QStringLiteral("caf\u00e9")} << 0 << "";
        QTest::newRow("encoded space")
            << M::Get << "/api/v1/results/a%20b"
            << "/api/v1/results/{poll_id}" << QStringList{"a b"} << 0 << "";
        QTest::newRow("encoded dots") << M::Get << "/api/v1/polls/%2e%2e"
                                      << "/api/v1/polls/{id}" << QStringList{".."} << 0 << "";
        // An invalid escape decodes to U+FFFD: no poll can have that id, so it is not found.
        QTest::newRow("invalid escape")
            << M::Get << "/api/v1/polls/%zz"
            << "/api/v1/polls/{id}" << QStringList{QStringLiteral("\uFFFD")} << 0 << "";
        QTest::newRow("encoded static segment") << M::Get << "/api/v1/%70olls"
                                                << "/api/v1/polls" << none << 0 << "";
    }

    void match()
    {
        QFETCH(Router::Method, method);
        QFETCH(QString, path);
        QFETCH(QString, route);
        QFETCH(QStringList, params);
        QFETCH(int, status);
        QFETCH(QString, allow);

        Router router;
        for (const auto &[routeMethod, pattern] : Routes)
            router.add(routeMethod, pattern, [](const HttpExchange &, const QStringList &) {});
        const Router::Match found = router.match(method, path);
        QCOMPARE(found.route ? found.route->pattern : QString(), route);
        QCOMPARE(found.params, params);
        QCOMPARE(found.status(), status);
        QCOMPARE(found.allowed.join(QStringLiteral(", ")), allow);
    }

    // The router carries each route's access for the policy step; it checks nothing itself.
    void matchCarriesTheRouteAccess()
    {
        Router router;
        const auto ignore = [](const HttpExchange &, const QStringList &) {};
        router.add(M::Post, QStringLiteral("/polls"), ignore, Router::Access::Admin);
        router.add(M::Get, QStringLiteral("/polls"), ignore, Router::Access::Reads);
        router.add(M::Post, QStringLiteral("/vote/{id}"), ignore);
        QCOMPARE(router.match(M::Post, QStringLiteral("/polls")).route->access,
                 Router::Access::Admin);
        QCOMPARE(router.match(M::Head, QStringLiteral("/polls")).route->access,
                 Router::Access::Reads);
        QCOMPARE(router.match(M::Post, QStringLiteral("/vote/1")).route->access,
                 Router::Access::Open);
    }

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
