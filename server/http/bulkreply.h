#pragma once

#include "vote/voteservice.h"

#include <QByteArray>

// The answer to a bulk vote request as JSON text:
// {"accepted":n,"rejected":m,"results":[{"option_id","poll_id","status":"accepted"} or
// {"error":{"code","message"},"status":"rejected"}, ...]}, the same bytes QJsonDocument
// writes for it, built without a QJsonObject per item.
class BulkReply {
public:
    static QByteArray encode(const VoteService::BulkResult &result);
};
