#include "logcategories.h"

Q_LOGGING_CATEGORY(lcApp, "tally.app", QtInfoMsg)
Q_LOGGING_CATEGORY(lcHttp, "tally.http", QtInfoMsg)
Q_LOGGING_CATEGORY(lcStorage, "tally.storage", QtInfoMsg)
Q_LOGGING_CATEGORY(lcJournal, "tally.journal", QtInfoMsg)
Q_LOGGING_CATEGORY(lcLive, "tally.live", QtInfoMsg)
Q_LOGGING_CATEGORY(lcAccess, "tally.access", QtInfoMsg)
