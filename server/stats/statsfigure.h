#pragma once

#include <QByteArray>
#include <QJsonValue>
#include <QList>
#include <QString>
#include <utility>

// One figure of the statistics model, with where each view shows it: GET
// {prefix}/stats (and the WebSocket "stats" channel) under `path`, /metrics as a
// sample of family `metric`. A figure shown by one view only leaves the other's
// field empty.
struct StatsFigure {
    using Labels = QList<std::pair<QByteArray, QString>>;

    // Dotted path in /stats ("votes.accepted"). With `item` >= 0 the first part names
    // an array and the rest a field of its element `item` ("shards.votes").
    QString path;
    int item = -1;
    QJsonValue json;              // the /stats value
    const char *metric = nullptr; // the Prometheus family
    const char *type = "gauge";   // "gauge" or "counter"
    const char *help = "";
    Labels labels;
    double sample = 0;      // the /metrics value
    bool sensitive = false; // /stats shows it to admin callers only (shard addresses)
};
