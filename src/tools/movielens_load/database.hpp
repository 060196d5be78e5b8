// The libpq side: a connection, simple commands and queries, and COPY FROM STDIN. Every failure
// becomes a ServerError carrying the server's message, detail, hint and SQLSTATE.
#pragma once

#include <libpq-fe.h>

#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace movielens_load {

// The rows of a query result as text (NULL as an empty string).
using Rows = std::vector<std::vector<std::string>>;

class Connection {
public:
    // Connects with the usual libpq means: dsn (a connection string or URI; may be empty), then
    // the PG* environment variables, ~/.pgpass and the service file. Throws ServerError.
    explicit Connection(const std::string& dsn);
    ~Connection();
    Connection(const Connection&) = delete;
    Connection& operator=(const Connection&) = delete;

    // "database D on HOST:PORT as USER" (never the password).
    std::string describe() const;

    // Runs a command without parameters.
    void exec(const std::string& sql);
    // Runs a query with text parameters and returns its rows.
    Rows query(const std::string& sql, const std::vector<std::string>& params = {});
    // Runs a command and returns its row count (PQcmdTuples), e.g. for INSERT.
    std::uint64_t exec_count(const std::string& sql);

    // "name" quoted as an SQL identifier.
    std::string quote_ident(std::string_view name) const;

    // COPY ... FROM STDIN: start, send data, finish (returns the number of rows copied).
    void copy_begin(const std::string& sql);
    void copy_send(const char* data, std::size_t size);
    std::uint64_t copy_end();
    // Ends a COPY in progress with an error, so that the server aborts it. Never throws.
    void copy_abort(const char* reason) noexcept;
    bool in_copy() const { return in_copy_; }

private:
    [[noreturn]] void fail_result(PGresult* res, const std::string& what);
    [[noreturn]] void fail_connection(const std::string& what);

    PGconn* conn_ = nullptr;
    bool in_copy_ = false;
};

}  // namespace movielens_load
