// Reading ratings with a time column for the evaluation functions. Plain PostgreSQL code: no C++
// object is alive in these frames.
// clang-format off
#include <cmath>

#include "pg/evaluation_input.hpp"
#include "pg/guard.hpp"
// clang-format on

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/lsyscache.h"
}

namespace movie_recs::pg {
namespace {

enum class TimeKind { None, Timestamp, Date, Integer };

TimeKind check_time_column(Oid relid, const char* display, const char* column) {
    AttrNumber attnum = get_attnum(relid, column);
    if (attnum == InvalidAttrNumber)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                        errmsg("column \"%s\" does not exist in relation \"%s\"", column, display),
                        errhint("Name the time column with time_column => '...', or pass NULL "
                                "for a random holdout.")));
    Oid type = get_atttype(relid, attnum);
    Oid base = getBaseType(type);
    if (base == TIMESTAMPTZOID || base == TIMESTAMPOID)
        return TimeKind::Timestamp;
    if (base == DATEOID)
        return TimeKind::Date;
    if (base == INT2OID || base == INT4OID || base == INT8OID)
        return TimeKind::Integer;
    ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                    errmsg("time column \"%s\" must be a timestamp, date or integer type, not %s",
                           column, format_type_be(type)),
                    errdetail("Accepted types: timestamp with or without time zone, date, "
                              "smallint, integer, bigint.")));
    pg_unreachable();
}

}  // namespace

bool evaluation_cancel_pending() noexcept {
    return InterruptPending && (QueryCancelPending || ProcDiePending);
}

void read_timed_ratings(const TrainArgs& args, const char* time_column, MemoryContext cxt,
                        TimedInput* out) {
    RatingsSource src;
    resolve_ratings_source(args, &src);
    TimeKind kind = TimeKind::None;
    if (time_column != nullptr) {
        if (strcmp(time_column, args.user_column) == 0 ||
            strcmp(time_column, args.movie_column) == 0 ||
            (args.rating_column != nullptr && strcmp(time_column, args.rating_column) == 0))
            ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                            errmsg("time_column must differ from the user, movie and rating "
                                   "columns")));
        kind = check_time_column(args.relid, src.display, time_column);
    }
    if (strcmp(args.user_column, args.movie_column) == 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("user_column and movie_column must name different columns")));

    char* sql = psprintf(
        "SELECT %s::pg_catalog.int8, %s::pg_catalog.int8, %s::pg_catalog.float8, %s FROM %s",
        quote_identifier(args.user_column), quote_identifier(args.movie_column),
        args.rating_column != nullptr ? quote_identifier(args.rating_column) : "1",
        time_column != nullptr ? quote_identifier(time_column) : "0",
        quote_qualified_identifier(src.schema, src.relname));

    out->ratings = nullptr;
    out->count = 0;
    out->skipped_nulls = 0;
    int64 capacity = 0;
    const int64 limit = args.memory_limit / static_cast<int64>(sizeof(core::TimedRating));

    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    SPIPlanPtr plan = SPI_prepare(sql, 0, nullptr);
    if (plan == nullptr)
        elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
    Portal portal = SPI_cursor_open(nullptr, plan, nullptr, nullptr, true);
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        SPI_cursor_fetch(portal, true, kSpiBatchRows);
        const uint64 rows = SPI_processed;
        if (rows == 0)
            break;
        SPITupleTable* table = SPI_tuptable;
        if (out->count + static_cast<int64>(rows) > capacity) {
            const int64 needed = out->count + static_cast<int64>(rows);
            if (needed > limit) {
                char have[32];
                format_memory(args.memory_limit, false, have, sizeof have);
                ereport(ERROR,
                        (errcode(ERRCODE_OUT_OF_MEMORY),
                         errmsg("the ratings of relation \"%s\" exceed maintenance_work_mem (%s)",
                                src.display, have),
                         errhint("Raise maintenance_work_mem for this session, or evaluate on a "
                                 "sample of the users.")));
            }
            capacity = Min(limit, Max(needed, Max(static_cast<int64>(65536), capacity * 2)));
            const Size bytes = static_cast<Size>(capacity) * sizeof(core::TimedRating);
            out->ratings =
                out->ratings == nullptr
                    ? static_cast<core::TimedRating*>(MemoryContextAllocHuge(cxt, bytes))
                    : static_cast<core::TimedRating*>(repalloc_huge(out->ratings, bytes));
        }
        for (uint64 i = 0; i < rows; ++i) {
            HeapTuple row = table->vals[i];
            bool nu, nm, nr, nt;
            Datum user = SPI_getbinval(row, table->tupdesc, 1, &nu);
            Datum movie = SPI_getbinval(row, table->tupdesc, 2, &nm);
            Datum rating = SPI_getbinval(row, table->tupdesc, 3, &nr);
            Datum time = SPI_getbinval(row, table->tupdesc, 4, &nt);
            if (nu || nm || nr || nt) {
                ++out->skipped_nulls;
                continue;
            }
            const double r = DatumGetFloat8(rating);
            check_rating(src, DatumGetInt64(user), DatumGetInt64(movie), r, "evaluate");
            int64 t = 0;
            switch (kind) {
                case TimeKind::None:
                    t = 0;
                    break;
                case TimeKind::Timestamp:
                    t = DatumGetInt64(time);
                    break;
                case TimeKind::Date:
                    t = DatumGetDateADT(time);
                    break;
                case TimeKind::Integer: {
                    const Oid typid = SPI_gettypeid(table->tupdesc, 4);
                    const Oid base = getBaseType(typid);
                    t = base == INT2OID   ? DatumGetInt16(time)
                        : base == INT4OID ? DatumGetInt32(time)
                                          : DatumGetInt64(time);
                    break;
                }
            }
            core::TimedRating& out_row = out->ratings[out->count++];
            out_row.user_id = DatumGetInt64(user);
            out_row.movie_id = DatumGetInt64(movie);
            out_row.rating = r;
            out_row.time = t;
        }
        SPI_freetuptable(table);
    }
    SPI_cursor_close(portal);
    SPI_freeplan(plan);
    SPI_finish();
    pfree(sql);

    if (out->skipped_nulls > 0)
        ereport(NOTICE, (errmsg("skipped %lld rows with a NULL user, movie, rating or time",
                                static_cast<long long>(out->skipped_nulls)),
                         errdetail("Rows of relation \"%s\" with a NULL in a column used for "
                                   "evaluation are ignored.",
                                   src.display)));
    if (out->count == 0)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                        errmsg("relation \"%s\" has no ratings to evaluate on", src.display),
                        errhint("Load ratings into it first, e.g. with "
                                "movie_recs.load_demo_data().")));
}

}  // namespace movie_recs::pg
