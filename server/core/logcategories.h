#pragma once

#include <QLoggingCategory>

// One category per component; the log line's "component" is the name after "tally.".
// Enable debug output of one with QT_LOGGING_RULES="tally.storage.debug=true".
Q_DECLARE_LOGGING_CATEGORY(lcApp)
Q_DECLARE_LOGGING_CATEGORY(lcHttp)
Q_DECLARE_LOGGING_CATEGORY(lcStorage)
Q_DECLARE_LOGGING_CATEGORY(lcJournal)
Q_DECLARE_LOGGING_CATEGORY(lcLive)
Q_DECLARE_LOGGING_CATEGORY(lcAccess)
