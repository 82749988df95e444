#pragma once

#include "core/outcome.h"

#include <QString>

class Config;

// Where the admin token comes from, and when Tally makes one.
//
// --admin-token (or TALLY_ADMIN_TOKEN) wins. Otherwise the token is read from
// --admin-token-file, which is created with a new random token when it does not
// exist; without that setting, a Tally listening beyond loopback does the same with
// <data-dir>/admin-token. Otherwise there is no token, and only local requests
// (loopback peer, no forwarding header) may administer.
class AdminToken {
public:
    struct Resolved {
        QString token; // empty: none
        QString file;  // where it was read or written; empty when given directly
        bool generated = false;
    };

    static Outcome<Resolved> resolve(const Config &config);

    // Creates `path` holding `content`, readable and writable by its owner only from
    // the first instant: written to a temporary name opened with O_CREAT|O_EXCL and
    // mode 0600, flushed to disk, then linked to `path`, which must not exist yet.
    // Returns false (and why) when `path` exists or cannot be written.
    static bool createPrivateFile(const QString &path, const QByteArray &content, QString *error,
                                  bool *existed = nullptr);
};
