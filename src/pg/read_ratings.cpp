// Reading the ratings to train on: the relation and its columns are checked first, then the rows
// are read with the caller's rights (privileges, row-level security) through a read-only SPI
// cursor, in batches, into a plain array of core::RatingTriple. Plain PostgreSQL code: no C++
// object is alive in these frames.
#include <cmath>
#include <cstddef>

#include "core/rating_matrix.hpp"
#include "pg/guard.hpp"
#include "pg/train_types.hpp"

extern "C" {
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/syscache.h"
}

namespace movie_recs::pg {
namespace {

constexpr int64 kInitialCapacity = 65536;

bool is_integer_type(Oid t) { return t == INT2OID || t == INT4OID || t == INT8OID; }

bool is_rating_type(Oid t) {
    return is_integer_type(t) || t == FLOAT4OID || t == FLOAT8OID || t == NUMERICOID;
}

enum class ColumnRole { User, Movie, Rating };

// Checks that a column exists and has an accepted type.
void check_column(Oid relid, const RatingsSource& src, const char* column, ColumnRole role) {
    const char* noun = role == ColumnRole::User    ? "user"
                       : role == ColumnRole::Movie ? "movie"
                                                   : "rating";
    AttrNumber attnum = get_attnum(relid, column);
    if (attnum == InvalidAttrNumber)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                        errmsg("column \"%s\" does not exist in relation \"%s\"", column,
                               src.display),
                        errhint("Name the %s column with %s_column => '...'.", noun, noun)));
    Oid type = get_atttype(relid, attnum);
    Oid base = getBaseType(type);
    if (role == ColumnRole::Rating) {
        if (!is_rating_type(base))
            ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                            errmsg("rating column \"%s\" must be a numeric type, not %s", column,
                                   format_type_be(type)),
                            errdetail("Accepted types: smallint, integer, bigint, real, double "
                                      "precision, numeric.")));
    } else if (!is_integer_type(base)) {
        ereport(ERROR, (errcode(ERRCODE_DATATYPE_MISMATCH),
                        errmsg("%s column \"%s\" must be an integer type, not %s", noun, column,
                               format_type_be(type)),
                        errdetail("Accepted types: smallint, integer, bigint.")));
    }
}

// Grows the triple array to hold at least `needed` triples, within the memory limit.
void reserve_triples(const TrainArgs& args, const RatingsSource& src, MemoryContext cxt,
                     RatingsInput* in, int64* capacity, int64 needed) {
    if (needed <= *capacity) return;
    const int64 triple = static_cast<int64>(sizeof(core::RatingTriple));
    if (needed > args.memory_limit / triple) {
        char need[32], have[32], hint_size[32];
        format_memory(needed * triple, false, need, sizeof need);
        format_memory(args.memory_limit, false, have, sizeof have);
        format_memory(needed * triple * 4, true, hint_size, sizeof hint_size);
        ereport(ERROR,
                (errcode(ERRCODE_OUT_OF_MEMORY),
                 errmsg("training needs more than %s of memory but maintenance_work_mem is %s",
                        need, have),
                 errdetail("The ratings of relation \"%s\" alone exceed maintenance_work_mem "
                           "after %lld rows.",
                           src.display, static_cast<long long>(needed)),
                 errhint("Raise the limit for this session, e.g. SET maintenance_work_mem = "
                         "'%s', or train on a sample of the ratings.",
                         hint_size)));
    }
    int64 grown = Max(needed, Max(kInitialCapacity, *capacity * 2));
    grown = Min(grown, args.memory_limit / triple);
    Size bytes = static_cast<Size>(grown) * sizeof(core::RatingTriple);
    if (in->triples == nullptr)
        in->triples = static_cast<core::RatingTriple*>(MemoryContextAllocHuge(cxt, bytes));
    else
        in->triples = static_cast<core::RatingTriple*>(repalloc_huge(in->triples, bytes));
    *capacity = grown;
}

}  // namespace

void format_memory(int64 bytes, bool round_up, char* buf, std::size_t len) {
    const int64 mb = 1024 * 1024;
    const int64 unit = (bytes < 10 * mb && bytes % mb != 0) ? 1024 : mb;
    int64 whole = bytes <= 0 ? 0 : bytes / unit;
    if (round_up && bytes > 0 && bytes % unit != 0) whole += 1;
    snprintf(buf, len, "%lld%s", static_cast<long long>(whole), unit == 1024 ? "kB" : "MB");
}

void check_rating(const RatingsSource& src, int64 user, int64 movie, double rating,
                  const char* verb) {
    if (core::rating_in_range(rating))
        return;
    if (!std::isfinite(rating))
        ereport(ERROR,
                (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
                 errmsg("relation \"%s\" has a rating that is not a finite number", src.display),
                 errdetail("User %lld rated movie %lld with %s.", static_cast<long long>(user),
                           static_cast<long long>(movie),
                           std::isnan(rating) ? "NaN" : (rating > 0 ? "Infinity" : "-Infinity")),
                 errhint("Fix or delete such rows, or %s on a view that filters them out.", verb)));
    ereport(ERROR,
            (errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
             errmsg("relation \"%s\" has a rating out of the range of type real", src.display),
             errdetail("User %lld rated movie %lld with %g.", static_cast<long long>(user),
                       static_cast<long long>(movie), rating),
             errhint("Ratings are kept as real; scale them, or %s on a view that filters such "
                     "rows out.",
                     verb)));
}

void resolve_ratings_source(const TrainArgs& args, RatingsSource* out) {
    HeapTuple tuple = SearchSysCache1(RELOID, ObjectIdGetDatum(args.relid));
    if (!HeapTupleIsValid(tuple))
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                        errmsg("relation with OID %u does not exist", args.relid)));
    Form_pg_class form = reinterpret_cast<Form_pg_class>(GETSTRUCT(tuple));
    char relkind = form->relkind;
    Oid nspid = form->relnamespace;
    out->relname = pstrdup(NameStr(form->relname));
    ReleaseSysCache(tuple);
    out->schema = get_namespace_name(nspid);
    out->display = psprintf("%s.%s", out->schema, out->relname);

    if (relkind != RELKIND_RELATION && relkind != RELKIND_VIEW && relkind != RELKIND_MATVIEW &&
        relkind != RELKIND_PARTITIONED_TABLE && relkind != RELKIND_FOREIGN_TABLE)
        ereport(ERROR, (errcode(ERRCODE_WRONG_OBJECT_TYPE),
                        errmsg("cannot train on relation \"%s\"", out->display),
                        errdetail("The ratings must come from a table, view, materialized view "
                                  "or foreign table.")));
    if (isAnyTempNamespace(nspid))
        ereport(ERROR, (errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
                        errmsg("cannot train on temporary relation \"%s\"", out->relname),
                        errdetail("recommend_movies() reads the movies a user has seen from the "
                                  "source relation, which other sessions cannot see."),
                        errhint("Copy the ratings into a regular table first.")));

    if (args.rating_column != nullptr && (strcmp(args.rating_column, args.user_column) == 0 ||
                                          strcmp(args.rating_column, args.movie_column) == 0))
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("rating_column must differ from user_column and movie_column"),
                        errhint("For implicit feedback (every row a rating of 1), pass "
                                "rating_column => NULL.")));
    check_column(args.relid, *out, args.user_column, ColumnRole::User);
    check_column(args.relid, *out, args.movie_column, ColumnRole::Movie);
    if (args.rating_column != nullptr)
        check_column(args.relid, *out, args.rating_column, ColumnRole::Rating);
}

void read_ratings(const TrainArgs& args, const RatingsSource& src, MemoryContext cxt,
                  RatingsInput* out) {
    out->triples = nullptr;
    out->count = 0;
    out->skipped_nulls = 0;
    int64 capacity = 0;

    const char* rating_expr =
        args.rating_column != nullptr ? quote_identifier(args.rating_column) : "1";
    char* sql = psprintf(
        "SELECT %s::pg_catalog.int8, %s::pg_catalog.int8, %s::pg_catalog.float8 FROM %s",
        quote_identifier(args.user_column), quote_identifier(args.movie_column), rating_expr,
        quote_qualified_identifier(src.schema, src.relname));

    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    SPIPlanPtr plan = SPI_prepare(sql, 0, nullptr);
    if (plan == nullptr)
        elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
             SPI_result_code_string(SPI_result));
    Portal portal = SPI_cursor_open(nullptr, plan, nullptr, nullptr, true);

    for (;;) {
        CHECK_FOR_INTERRUPTS();
        SPI_cursor_fetch(portal, true, kSpiBatchRows);
        uint64 rows = SPI_processed;
        if (rows == 0) break;
        SPITupleTable* table = SPI_tuptable;
        reserve_triples(args, src, cxt, out, &capacity, out->count + static_cast<int64>(rows));
        for (uint64 i = 0; i < rows; ++i) {
            HeapTuple row = table->vals[i];
            bool null_user, null_movie, null_rating;
            Datum user = SPI_getbinval(row, table->tupdesc, 1, &null_user);
            Datum movie = SPI_getbinval(row, table->tupdesc, 2, &null_movie);
            Datum rating = SPI_getbinval(row, table->tupdesc, 3, &null_rating);
            if (null_user || null_movie || null_rating) {
                ++out->skipped_nulls;
                continue;
            }
            double r = DatumGetFloat8(rating);
            check_rating(src, DatumGetInt64(user), DatumGetInt64(movie), r, "train");
            core::RatingTriple& t = out->triples[out->count++];
            t.user_id = DatumGetInt64(user);
            t.movie_id = DatumGetInt64(movie);
            t.rating = r;
        }
        SPI_freetuptable(table);
    }
    SPI_cursor_close(portal);
    SPI_freeplan(plan);
    SPI_finish();
    pfree(sql);
}

}  // namespace movie_recs::pg
