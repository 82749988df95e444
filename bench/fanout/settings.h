// The command-line settings of tally_fanout and the requests built from them.
#pragma once

#include <QByteArray>
#include <QJsonObject>
#include <QNetworkRequest>
#include <QString>
#include <QUrl>

struct Settings {
    QUrl url;
    int subscribers = 1000;
    int rate = 200;
    int durationS = 10;
    int batch = 250;
    int threads = 1;
    int connectTimeoutMs = 15000;
    int drainMs = 10000;
    int restPools = 8; // QNetworkAccessManager opens at most 6 connections per host each
    bool voteOverWebSocket = false;
    QString pollId;
    int options = 4;
    QByteArray token;
    qint64 serverPid = 0; // when set: the server's CPU time while votes flow is reported
};

// The WebSocket endpoint of the server at `base`.
QUrl wsUrl(const QUrl &base);
// A JSON request to `path` on the server, with the admin token when one is set.
QNetworkRequest jsonRequest(const Settings &settings, const QString &path);
QString compact(const QJsonObject &object);
