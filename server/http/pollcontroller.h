#pragma once

#include "router.h"
#include "workerscope.h"

class Config;
class PollCatalog;
class StorageEngine;

// Poll administration and listing: /polls, /polls/{id}, /polls/{id}/open|close, /themes.
class PollController {
public:
    PollController(const WorkerScope &scope, const Config &config, const PollCatalog &catalog,
                   StorageEngine &storage)
        : m_scope(scope), m_config(config), m_catalog(catalog), m_storage(storage)
    {
    }
    // The admin routes ask for Router::Access::Admin: the policy step checks the token.
    void registerRoutes(Router &router, const QString &prefix);

private:
    void create(const HttpExchange &exchange) const;
    void list(const HttpExchange &exchange) const;
    void get(const HttpExchange &exchange, const QString &id) const;
    void setOpen(const HttpExchange &exchange, const QString &id, bool open) const;
    void reveal(const HttpExchange &exchange, const QString &id) const;
    void reset(const HttpExchange &exchange, const QString &id) const;
    void remove(const HttpExchange &exchange, const QString &id) const;
    void themes(const HttpExchange &exchange) const;

    WorkerScope m_scope;
    const Config &m_config;
    const PollCatalog &m_catalog;
    StorageEngine &m_storage;
};
