// movie_recs.demo_ratings() and movie_recs.demo_movies(): the core's deterministic demo data as
// set-returning functions (materialize mode).
#include <cstdint>
#include <string>
#include <vector>

#include "core/demo_data.hpp"
#include "pg/guard.hpp"

extern "C" {
#include "utils/timestamp.h"
#include "utils/builtins.h"
#include "utils/tuplestore.h"
}

namespace movie_recs::pg {
namespace {

constexpr int64 kRowsPerInterruptCheck = 65536;

// A demo rating stream owned by a memory context: deleted when the context is reset, so that an
// error in the middle of a scan cannot leak it.
struct StreamHolder {
    core::DemoRatingStream* stream;
    MemoryContextCallback callback;
};

void delete_stream(void* arg) noexcept {
    StreamHolder* h = static_cast<StreamHolder*>(arg);
    delete h->stream;
    h->stream = nullptr;
}

core::DemoRatingStream* open_stream(const core::DemoParams& p) {
    core::validate(p);
    return new core::DemoRatingStream(p);
}

struct MovieRows {
    int64 count;
    int64* ids;
    char** titles;
    char** genres;
};

void generate_movies(const core::DemoParams& p, MemoryContext cxt, MovieRows* out) {
    core::validate(p);
    std::vector<core::DemoMovie> movies = core::demo_movies(p);
    out->count = static_cast<int64>(movies.size());
    out->ids = alloc_array<int64>(cxt, movies.size());
    out->titles = alloc_array<char*>(cxt, movies.size());
    out->genres = alloc_array<char*>(cxt, movies.size());
    for (std::size_t i = 0; i < movies.size(); ++i) {
        out->ids[i] = movies[i].movie_id;
        out->titles[i] = strdup_or_throw(cxt, movies[i].title);
        out->genres[i] = strdup_or_throw(cxt, movies[i].genres);
    }
}

// The planted taste groups: the core default, fewer when there are fewer movies (the core needs
// at least one movie per group). Not exposed in SQL.
void set_taste_groups(core::DemoParams* p) {
    if (p->movies >= 1 && p->movies < p->taste_groups) p->taste_groups = static_cast<int>(p->movies);
}

void require_arg(FunctionCallInfo fcinfo, int arg, const char* name) {
    if (PG_ARGISNULL(arg))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("%s must not be null", name)));
}

// Seconds since the Unix epoch as a timestamptz (microseconds since 2000-01-01).
TimestampTz from_unix_seconds(int64 seconds) {
    const int64 offset = static_cast<int64>(POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
    return (seconds - offset) * USECS_PER_SEC;
}

}  // namespace
}  // namespace movie_recs::pg

using namespace movie_recs::pg;
namespace core = movie_recs::core;

MOVIE_RECS_FUNCTION(demo_ratings) {
    require_arg(fcinfo, 0, "users");
    require_arg(fcinfo, 1, "movies");
    require_arg(fcinfo, 2, "seed");
    core::DemoParams params;
    params.users = PG_GETARG_INT32(0);
    params.movies = PG_GETARG_INT32(1);
    params.seed = static_cast<std::uint64_t>(PG_GETARG_INT64(2));
    set_taste_groups(&params);

    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    MemoryContext per_query = rsinfo->econtext->ecxt_per_query_memory;
    StreamHolder* holder =
        static_cast<StreamHolder*>(MemoryContextAllocZero(per_query, sizeof(StreamHolder)));
    holder->callback.func = delete_stream;
    holder->callback.arg = holder;
    MemoryContextRegisterResetCallback(per_query, &holder->callback);
    holder->stream = open_stream(params);

    core::DemoRating r;
    int64 rows = 0;
    while (holder->stream->next(&r)) {
        Datum values[4] = {Int64GetDatum(r.user_id), Int64GetDatum(r.movie_id),
                           Float4GetDatum(static_cast<float4>(r.rating)),
                           TimestampTzGetDatum(from_unix_seconds(r.rated_at))};
        bool nulls[4] = {false, false, false, false};
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
        if (++rows % kRowsPerInterruptCheck == 0) CHECK_FOR_INTERRUPTS();
    }
    delete_stream(holder);
    return (Datum)0;
}

MOVIE_RECS_FUNCTION(demo_movies) {
    require_arg(fcinfo, 0, "movies");
    require_arg(fcinfo, 1, "seed");
    core::DemoParams params;
    params.movies = PG_GETARG_INT32(0);
    params.seed = static_cast<std::uint64_t>(PG_GETARG_INT64(1));
    set_taste_groups(&params);

    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    MovieRows movies;
    generate_movies(params, CurrentMemoryContext, &movies);
    for (int64 i = 0; i < movies.count; ++i) {
        Datum values[3] = {Int64GetDatum(movies.ids[i]), CStringGetTextDatum(movies.titles[i]),
                           CStringGetTextDatum(movies.genres[i])};
        bool nulls[3] = {false, false, false};
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum)0;
}
