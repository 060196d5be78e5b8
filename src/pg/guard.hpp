// The C++/PostgreSQL error boundary.
//
// Rules for code in src/pg:
//  * Every SQL-callable function is defined with MOVIE_RECS_FUNCTION(name) { body }. The body runs
//    inside one try/catch (call_guarded); a C++ exception becomes ereport(ERROR) with a real
//    SQLSTATE only after every C++ object of the body has been destroyed.
//  * A PostgreSQL error is a longjmp: it must never cross a frame holding an object with a
//    destructor (std::string, std::vector, Eigen, core::Model, ...). Code that calls PostgreSQL
//    while such objects are alive wraps the call in pg_guarded(), which turns the error into a
//    PgError exception.
//  * Memory handed from C++ code to PostgreSQL code comes from alloc_array(), which never raises
//    a PostgreSQL error (it throws std::bad_alloc instead).
#pragma once

#include <cstddef>
#include <cstdint>
#include <exception>
#include <new>
#include <string>

#include "pg/postgres_headers.hpp"

namespace movie_recs::pg {

// A PostgreSQL error caught by pg_guarded(), carried through C++ frames. The barrier re-raises
// it unchanged (same SQLSTATE, message, detail, hint, context).
class PgError final : public std::exception {
public:
    explicit PgError(ErrorData* edata) noexcept : edata_(edata) {}
    const char* what() const noexcept override;
    ErrorData* edata() const noexcept { return edata_; }

private:
    ErrorData* edata_;
};

using FunctionBody = Datum (*)(FunctionCallInfo);

// Runs body(fcinfo) inside the exception barrier.
Datum call_guarded(FunctionBody body, FunctionCallInfo fcinfo);

// Runs fn(arg) under PG_TRY; returns NULL, or the copied error (error state flushed, memory
// context restored). The caller's frame must hold nothing the longjmp would skip.
ErrorData* run_pg_try(void (*fn)(void*), void* arg);

// Runs f(), a callable that calls PostgreSQL and holds no objects with destructors; a
// PostgreSQL error comes out as PgError.
template <typename F>
void pg_guarded(F&& f) {
    struct Call {
        F* f;
        std::exception_ptr* cpp_error;
    };
    std::exception_ptr cpp_error;
    Call call{&f, &cpp_error};
    ErrorData* edata = run_pg_try(
        [](void* p) {
            Call* c = static_cast<Call*>(p);
            try {
                (*c->f)();
            } catch (...) {
                *c->cpp_error = std::current_exception();
            }
        },
        &call);
    if (edata != nullptr) throw PgError(edata);
    if (cpp_error) std::rethrow_exception(cpp_error);
}

// Gives the memory freed by C++ code (a training's matrix, centroids, worker arenas) back to the
// system, so that the backend's resident size returns to its level before the training. glibc
// keeps freed memory for reuse otherwise.
void release_free_memory() noexcept;

// Allocation in a PostgreSQL memory context that never raises a PostgreSQL error.
void* alloc_or_throw(MemoryContext cxt, std::size_t bytes);

template <typename T>
T* alloc_array(MemoryContext cxt, std::size_t n) {
    if (n > MaxAllocHugeSize / sizeof(T)) throw std::bad_alloc();
    return static_cast<T*>(alloc_or_throw(cxt, (n == 0 ? 1 : n) * sizeof(T)));
}

char* strdup_or_throw(MemoryContext cxt, const std::string& s);

// Emits a message at elevel (< ERROR) without ever raising an error or throwing: for callbacks
// that run inside C++ code. A message that cannot be sent is dropped.
void report_noexcept(int elevel, const char* message, const char* detail = nullptr) noexcept;

}  // namespace movie_recs::pg

// Defines the SQL-callable C function `name` and opens the body it runs inside the barrier:
//     MOVIE_RECS_FUNCTION(recommend_movies) { ... return ...; }
#define MOVIE_RECS_FUNCTION(name)                                                   \
    static Datum name##_body(FunctionCallInfo fcinfo);                              \
    extern "C" {                                                                    \
    PGDLLEXPORT Datum name(PG_FUNCTION_ARGS);                                       \
    PG_FUNCTION_INFO_V1(name);                                                      \
    Datum name(PG_FUNCTION_ARGS) {                                                  \
        return ::movie_recs::pg::call_guarded(name##_body, fcinfo);                 \
    }                                                                               \
    }                                                                               \
    static Datum name##_body(FunctionCallInfo fcinfo)
