// The libpq side (see database.hpp).
#include "database.hpp"

#include <sys/socket.h>

#include <cstdio>
#include <cstdlib>

#include "errors.hpp"

namespace movielens_load {

namespace {

constexpr int kSocketSendBuffer = 4 << 20;

struct ResultDeleter {
    void operator()(PGresult* r) const { PQclear(r); }
};
using ResultPtr = std::unique_ptr<PGresult, ResultDeleter>;

// Shows server WARNINGs on stderr; NOTICEs (such as those of IF EXISTS) are dropped.
void notice_receiver(void*, const PGresult* res) {
    const char* severity = PQresultErrorField(res, PG_DIAG_SEVERITY_NONLOCALIZED);
    if (severity != nullptr && std::string_view(severity) == "WARNING") {
        std::fprintf(stderr, "movielens-load: server %s", PQresultErrorMessage(res));
    }
}

// libpq messages end with a newline; error texts here do not.
std::string trimmed(const char* s) {
    std::string out = s ? s : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' ')) {
        out.pop_back();
    }
    return out;
}

}  // namespace

Connection::Connection(const std::string& dsn) {
    // dbname first and expanded, so that a connection string or URI in --dsn works; the client
    // encoding is fixed after it: the loader sends UTF-8.
    std::vector<const char*> keys, values;
    if (!dsn.empty()) {
        keys.push_back("dbname");
        values.push_back(dsn.c_str());
    }
    keys.push_back("fallback_application_name");
    values.push_back("movielens-load");
    keys.push_back("client_encoding");
    values.push_back("UTF8");
    keys.push_back(nullptr);
    values.push_back(nullptr);
    conn_ = PQconnectdbParams(keys.data(), values.data(), 1);
    if (conn_ == nullptr) {
        throw ServerError("cannot connect: out of memory");
    }
    if (PQstatus(conn_) != CONNECTION_OK) {
        std::string msg = "cannot connect: " + trimmed(PQerrorMessage(conn_));
        PQfinish(conn_);
        conn_ = nullptr;
        throw ServerError(msg);
    }
    PQsetNoticeReceiver(conn_, notice_receiver, nullptr);
    // A larger socket send buffer lets the server keep reading while this process waits for a
    // CPU (the kernel caps it at net.core.wmem_max). Best effort: the default works too.
    int bytes = kSocketSendBuffer;
    ::setsockopt(PQsocket(conn_), SOL_SOCKET, SO_SNDBUF, &bytes, sizeof bytes);
}

Connection::~Connection() {
    if (conn_ != nullptr) {
        if (in_copy_) {
            copy_abort("movielens-load stopped");
        }
        PQfinish(conn_);  // an open transaction is rolled back by the server
    }
}

std::string Connection::describe() const {
    std::string host = PQhost(conn_) ? PQhost(conn_) : "";
    return "database " + std::string(PQdb(conn_)) + " on " + host + ":" + PQport(conn_) + " as " +
           PQuser(conn_);
}

void Connection::fail_result(PGresult* res, const std::string& what) {
    ResultPtr owned(res);
    std::string msg = what + ": ";
    const char* primary = res ? PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY) : nullptr;
    if (primary == nullptr) {
        msg += trimmed(PQerrorMessage(conn_));
    } else {
        msg += primary;
        const char* state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
        if (state != nullptr) {
            msg += std::string(" (SQLSTATE ") + state + ")";
        }
        for (auto [field, label] :
             {std::pair{PG_DIAG_MESSAGE_DETAIL, "detail"}, std::pair{PG_DIAG_MESSAGE_HINT, "hint"},
              std::pair{PG_DIAG_CONTEXT, "context"}}) {
            const char* v = PQresultErrorField(res, field);
            if (v != nullptr) {
                msg += std::string("\n  ") + label + ": " + trimmed(v);
            }
        }
    }
    throw ServerError(msg);
}

void Connection::fail_connection(const std::string& what) {
    throw ServerError(what + ": " + trimmed(PQerrorMessage(conn_)));
}

void Connection::exec(const std::string& sql) {
    PGresult* res = PQexec(conn_, sql.c_str());
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK) {
        fail_result(res, "server error");
    }
    PQclear(res);
}

std::uint64_t Connection::exec_count(const std::string& sql) {
    ResultPtr res(PQexec(conn_, sql.c_str()));
    if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
        fail_result(res.release(), "server error");
    }
    return std::strtoull(PQcmdTuples(res.get()), nullptr, 10);
}

Rows Connection::query(const std::string& sql, const std::vector<std::string>& params) {
    std::vector<const char*> values;
    for (const auto& p : params) {
        values.push_back(p.c_str());
    }
    ResultPtr res(PQexecParams(conn_, sql.c_str(), static_cast<int>(values.size()), nullptr,
                               values.data(), nullptr, nullptr, 0));
    if (!res || PQresultStatus(res.get()) != PGRES_TUPLES_OK) {
        fail_result(res.release(), "server error");
    }
    Rows rows;
    int n = PQntuples(res.get()), m = PQnfields(res.get());
    for (int i = 0; i < n; ++i) {
        std::vector<std::string> row;
        for (int j = 0; j < m; ++j) {
            row.emplace_back(PQgetvalue(res.get(), i, j));
        }
        rows.push_back(std::move(row));
    }
    return rows;
}

std::string Connection::quote_ident(std::string_view name) const {
    char* q = PQescapeIdentifier(conn_, name.data(), name.size());
    if (q == nullptr) {
        throw InputError("invalid identifier '" + std::string(name) +
                         "': " + trimmed(PQerrorMessage(conn_)));
    }
    std::string out = q;
    PQfreemem(q);
    return out;
}

void Connection::copy_begin(const std::string& sql) {
    PGresult* res = PQexec(conn_, sql.c_str());
    if (!res || PQresultStatus(res) != PGRES_COPY_IN) {
        fail_result(res, "server error");
    }
    PQclear(res);
    in_copy_ = true;
}

void Connection::copy_send(const char* data, std::size_t size) {
    if (size == 0) {
        return;
    }
    if (PQputCopyData(conn_, data, static_cast<int>(size)) != 1) {
        fail_connection("server error while sending COPY data");
    }
}

std::uint64_t Connection::copy_end() {
    in_copy_ = false;
    if (PQputCopyEnd(conn_, nullptr) != 1) {
        fail_connection("server error at the end of COPY");
    }
    ResultPtr res(PQgetResult(conn_));
    if (!res || PQresultStatus(res.get()) != PGRES_COMMAND_OK) {
        PGresult* r = res.release();
        while (PGresult* extra = PQgetResult(conn_)) {
            PQclear(extra);
        }
        fail_result(r, "server error");
    }
    std::uint64_t rows = std::strtoull(PQcmdTuples(res.get()), nullptr, 10);
    res.reset();
    while (PGresult* extra = PQgetResult(conn_)) {
        PQclear(extra);
    }
    return rows;
}

void Connection::copy_abort(const char* reason) noexcept {
    if (!in_copy_) {
        return;
    }
    in_copy_ = false;
    if (PQputCopyEnd(conn_, reason) == 1) {
        while (PGresult* r = PQgetResult(conn_)) {
            PQclear(r);
        }
    }
}

}  // namespace movielens_load
