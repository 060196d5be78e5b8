// The exception barrier of every SQL-callable function, and the helpers that let C++ code call
// PostgreSQL safely. See guard.hpp for the rules.
#include <cstring>
#include <exception>
#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <new>
#include <string>

#include "core/errors.hpp"
#include "pg/guard.hpp"

namespace movie_recs::pg {
namespace {

enum class Caught { Postgres, Cancelled, Report };

// What the barrier caught, in plain data (no destructors) so that it survives the catch scope.
struct CaughtError {
    Caught what;
    ErrorData* edata;   // Postgres
    int sqlstate;       // Report
    const char* message;
    const char* detail;  // may be NULL
    const char* hint;    // may be NULL
};

const char kOutOfMemory[] = "out of memory";

// Copies s into ErrorContext (reset when the error has been handled); NULL when s is empty or
// memory is short. Never raises a PostgreSQL error.
const char* copy_for_report(const std::string& s) noexcept {
    if (s.empty()) return nullptr;
    void* p = MemoryContextAllocExtended(ErrorContext, s.size() + 1, MCXT_ALLOC_NO_OOM);
    if (p == nullptr) return nullptr;
    std::memcpy(p, s.data(), s.size());
    static_cast<char*>(p)[s.size()] = '\0';
    return static_cast<const char*>(p);
}

int sqlstate_of(core::ErrorKind kind) noexcept {
    switch (kind) {
        case core::ErrorKind::InvalidParameter:
        case core::ErrorKind::TooFewUsers:
            return ERRCODE_INVALID_PARAMETER_VALUE;
        case core::ErrorKind::InvalidData:
            return ERRCODE_DATA_EXCEPTION;
        case core::ErrorKind::OutOfMemory:
            return ERRCODE_OUT_OF_MEMORY;
        case core::ErrorKind::Cancelled:
            return ERRCODE_QUERY_CANCELED;
        case core::ErrorKind::Internal:
            break;
    }
    return ERRCODE_INTERNAL_ERROR;
}

// Classifies the exception being handled. Must be called from inside a catch block.
void capture_current_exception(CaughtError* out) noexcept {
    out->edata = nullptr;
    out->sqlstate = ERRCODE_INTERNAL_ERROR;
    out->message = nullptr;
    out->detail = nullptr;
    out->hint = nullptr;
    out->what = Caught::Report;
    try {
        throw;
    } catch (const PgError& e) {
        out->what = Caught::Postgres;
        out->edata = e.edata();
    } catch (const core::Error& e) {
        if (e.kind() == core::ErrorKind::Cancelled) {
            out->what = Caught::Cancelled;
            return;
        }
        out->sqlstate = sqlstate_of(e.kind());
        out->message = copy_for_report(e.what());
        out->detail = copy_for_report(e.detail());
        out->hint = copy_for_report(e.hint());
        if (e.kind() == core::ErrorKind::Internal && out->hint == nullptr)
            out->hint = "Please report a bug to the movie_recs maintainers.";
    } catch (const std::bad_alloc&) {
        out->sqlstate = ERRCODE_OUT_OF_MEMORY;
        out->message = kOutOfMemory;
        out->detail = "movie_recs could not allocate memory for training or serving.";
        out->hint = "Reduce the input or k, or give the server more memory.";
    } catch (const std::exception& e) {
        out->message = "unexpected internal error in movie_recs";
        out->detail = copy_for_report(e.what());
        out->hint = "Please report a bug to the movie_recs maintainers.";
    } catch (...) {
        out->message = "unexpected internal error in movie_recs";
        out->hint = "Please report a bug to the movie_recs maintainers.";
    }
    if (out->message == nullptr) out->message = kOutOfMemory;
}

// Raises the caught error. Runs after the catch scope: no C++ object of the body is alive.
[[noreturn]] void raise_caught(const CaughtError& c) {
    switch (c.what) {
        case Caught::Postgres:
            ReThrowError(c.edata);
            break;
        case Caught::Cancelled:
            // The core stopped because a cancel or termination is pending: let PostgreSQL raise it.
            CHECK_FOR_INTERRUPTS();
            ereport(ERROR, (errcode(ERRCODE_QUERY_CANCELED),
                            errmsg("canceling statement due to user request")));
            break;
        case Caught::Report:
            ereport(ERROR, (errcode(c.sqlstate), errmsg("%s", c.message),
                            c.detail ? errdetail("%s", c.detail) : 0,
                            c.hint ? errhint("%s", c.hint) : 0));
            break;
    }
    pg_unreachable();
}

}  // namespace

const char* PgError::what() const noexcept {
    return (edata_ != nullptr && edata_->message != nullptr) ? edata_->message
                                                             : "PostgreSQL error";
}

Datum call_guarded(FunctionBody body, FunctionCallInfo fcinfo) {
    CaughtError caught;
    try {
        return body(fcinfo);
    } catch (...) {
        capture_current_exception(&caught);
    }
    // The body's C++ objects are gone: a training stopped by an error or a cancel gives their
    // memory back to the system now, not at the next training.
    release_free_memory();
    raise_caught(caught);
}

void release_free_memory() noexcept {
#if defined(__GLIBC__)
    malloc_trim(0);
#endif
}

ErrorData* run_pg_try(void (*fn)(void*), void* arg) {
    MemoryContext saved = CurrentMemoryContext;
    ErrorData* volatile edata = nullptr;
    PG_TRY();
    {
        fn(arg);
    }
    PG_CATCH();
    {
        MemoryContextSwitchTo(saved);
        edata = CopyErrorData();
        FlushErrorState();
    }
    PG_END_TRY();
    return edata;
}

void* alloc_or_throw(MemoryContext cxt, std::size_t bytes) {
    if (bytes > MaxAllocHugeSize) throw std::bad_alloc();
    void* p = MemoryContextAllocExtended(cxt, bytes, MCXT_ALLOC_HUGE | MCXT_ALLOC_NO_OOM);
    if (p == nullptr) throw std::bad_alloc();
    return p;
}

char* strdup_or_throw(MemoryContext cxt, const std::string& s) {
    char* p = alloc_array<char>(cxt, s.size() + 1);
    std::memcpy(p, s.data(), s.size());
    p[s.size()] = '\0';
    return p;
}

namespace {
struct Report {
    int elevel;
    const char* message;
    const char* detail;
};
}  // namespace

void report_noexcept(int elevel, const char* message, const char* detail) noexcept {
    Report r{elevel, message, detail};
    ErrorData* edata = run_pg_try(
        [](void* p) {
            const Report* rp = static_cast<const Report*>(p);
            ereport(rp->elevel,
                    (errmsg("%s", rp->message), rp->detail ? errdetail("%s", rp->detail) : 0));
        },
        &r);
    if (edata != nullptr) FreeErrorData(edata);
}

}  // namespace movie_recs::pg
