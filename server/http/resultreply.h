#pragma once

#include "vote/resultservice.h"

#include <QByteArray>

// The answer to a results read as JSON text: the same bytes QJsonDocument writes for
// ResultService::json(), built without a QJsonObject (results are the hottest read).
class ResultReply {
public:
    static QByteArray encode(const QString &pollId, const ResultService::Results &results);
};
