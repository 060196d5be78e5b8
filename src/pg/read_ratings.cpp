// Reading the ratings to train on: the relation and its columns are checked first, then the rows
// are read with the caller's rights (privileges, row-level security): straight from the heap when
// that reads exactly the same rows (direct_read.cpp), else by one read-only query whose rows go
// straight from the executor to a DestReceiver: no result set is materialized and no row is
// copied or allocated. Both hand batches of rows to a core::RatingCollector (12 bytes a rating;
// ratings_receiver.cpp), owned by the training memory context so that an error frees it.
// The receiver frames hold no C++ object; the collector is reached through noexcept calls.
#include <cfloat>
#include <cmath>
#include <cstddef>
#include <new>

#include "core/errors.hpp"
#include "core/rating_matrix.hpp"
#include "pg/guard.hpp"
#include "pg/progress.hpp"
#include "pg/ratings_receiver.hpp"
#include "pg/train_types.hpp"

extern "C" {
#include "access/htup_details.h"
#include "access/relation.h"
#include "access/table.h"
#include "catalog/namespace.h"
#include "catalog/pg_class.h"
#include "catalog/pg_index.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "executor/tuptable.h"
#include "storage/bufmgr.h"
#include "tcop/dest.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/syscache.h"
}

namespace movie_recs::pg {

namespace {

// Relations of at least this many blocks get a warning when no index leads with the user column.
constexpr BlockNumber kIndexWarningBlocks = 1024;

bool is_integer_type(Oid t) { return t == INT2OID || t == INT4OID || t == INT8OID; }

bool is_rating_type(Oid t) {
    return is_integer_type(t) || t == FLOAT4OID || t == FLOAT8OID || t == NUMERICOID;
}

enum class ColumnRole { User, Movie, Rating };

// Checks that a column exists and has an accepted type; returns its attribute number.
AttrNumber check_column(Oid relid, const RatingsSource& src, const char* column, ColumnRole role) {
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
    return attnum;
}

// recommend_movies() reads a user's ratings at every call; on a large table without an index
// leading with the user column that is a scan of the whole table per call.
void warn_without_user_index(Oid relid, char relkind, const RatingsSource& src,
                             const char* user_column, AttrNumber user_attnum) {
    if (relkind != RELKIND_RELATION && relkind != RELKIND_MATVIEW) return;
    Relation rel = relation_open(relid, AccessShareLock);
    const BlockNumber blocks = RelationGetNumberOfBlocks(rel);
    bool found = false;
    List* indexes = RelationGetIndexList(rel);
    ListCell* lc;
    foreach (lc, indexes) {
        HeapTuple tuple = SearchSysCache1(INDEXRELID, ObjectIdGetDatum(lfirst_oid(lc)));
        if (!HeapTupleIsValid(tuple)) continue;
        Form_pg_index index = reinterpret_cast<Form_pg_index>(GETSTRUCT(tuple));
        if (index->indnatts > 0 && index->indkey.values[0] == user_attnum &&
            heap_attisnull(tuple, Anum_pg_index_indpred, nullptr))
            found = true;
        ReleaseSysCache(tuple);
    }
    list_free(indexes);
    relation_close(rel, AccessShareLock);
    if (found || blocks < kIndexWarningBlocks) return;
    ereport(WARNING,
            (errmsg("relation \"%s\" has no index on column \"%s\"", src.display, user_column),
             errdetail("recommend_movies() reads the ratings of the user it recommends for from "
                       "this relation at every call; without such an index each call scans it."),
             errhint("Create the index: CREATE INDEX ON %s (%s);",
                     quote_qualified_identifier(src.schema, src.relname),
                     quote_identifier(user_column))));
}

// ---- the receiver --------------------------------------------------------------------------

// Columns: user (int8), movie (int8), and rating (float8) unless training without ratings.
bool receive_rating(TupleTableSlot* slot, DestReceiver* self) {
    RatingsReceiver* r = reinterpret_cast<RatingsReceiver*>(self);
    const int natts = slot->tts_tupleDescriptor->natts;
    slot_getsomeattrs(slot, natts);
    const Datum* v = slot->tts_values;
    const bool* isnull = slot->tts_isnull;
    if (isnull[0] || isnull[1] || (natts > 2 && isnull[2])) {
        ++r->out->skipped_nulls;
        return true;
    }
    return receiver_add(r, DatumGetInt64(v[0]), DatumGetInt64(v[1]),
                        natts > 2 ? DatumGetFloat8(v[2]) : 1.0);  // false stops the executor
}

// Raises the error that stopped the scan, if any.
void raise_stop(const RatingsReceiver* r, const RatingsSource& src) {
    const core::RatingTriple& t = r->bad;
    switch (r->stop) {
        case Stop::None:
            return;
        case Stop::BadRating:
            check_rating(src, t.user_id, t.movie_id, t.rating, "train");
            break;
        case Stop::Collector:
        case Stop::OutOfMemory:
            ereport(ERROR, (errcode(ERRCODE_OUT_OF_MEMORY), errmsg("out of memory"),
                            errdetail("movie_recs could not allocate memory for the ratings of "
                                      "relation \"%s\".",
                                      src.display)));
            break;
        case Stop::TooMany:
            ereport(ERROR, (errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
                            errmsg("cannot train on more than %lld ratings",
                                   static_cast<long long>(core::kMaxRatings)),
                            errhint("Train on a view that samples relation \"%s\".", src.display)));
            break;
        case Stop::OverLimit: {
            char have[32], need[32], hint_size[32];
            format_memory(r->need, false, need, sizeof need);
            format_memory(r->args->memory_limit, false, have, sizeof have);
            format_memory(r->need * 4, true, hint_size, sizeof hint_size);
            ereport(ERROR,
                    (errcode(ERRCODE_OUT_OF_MEMORY),
                     errmsg("training needs more than %s of memory but maintenance_work_mem is %s",
                            need, have),
                     errdetail("The ratings of relation \"%s\" alone exceed maintenance_work_mem "
                               "after %lld rows.",
                               src.display, static_cast<long long>(r->out->count)),
                     errhint("Raise the limit for this session, e.g. SET maintenance_work_mem = "
                             "'%s', or train on a sample of the ratings.",
                             hint_size)));
            break;
        }
    }
}

void receiver_startup(DestReceiver*, int, TupleDesc) {}
void receiver_shutdown(DestReceiver*) {}
void receiver_destroy(DestReceiver*) {}

// Reads the rows into r by one read-only query whose rows the executor hands to r.
void read_by_query(const TrainArgs& args, const RatingsSource& src, RatingsReceiver* r) {
    const char* rating_expr =
        args.rating_column != nullptr
            ? psprintf(", %s::pg_catalog.float8", quote_identifier(args.rating_column))
            : "";
    char* sql = psprintf("SELECT %s::pg_catalog.int8, %s::pg_catalog.int8%s FROM %s",
                         quote_identifier(args.user_column), quote_identifier(args.movie_column),
                         rating_expr, quote_qualified_identifier(src.schema, src.relname));

    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    // No JIT for this plain scan: compiling would cost more than it saves, and loading LLVM
    // adds tens of MB to the backend. The setting comes back after the query (or on error).
    const int guc_level = NewGUCNestLevel();
    (void)set_config_option("jit", "off", PGC_USERSET, PGC_S_SESSION, GUC_ACTION_SAVE, true, 0,
                            false);
    SPIPlanPtr plan = SPI_prepare(sql, 0, nullptr);
    if (plan == nullptr)
        elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql,
             SPI_result_code_string(SPI_result));
    SPIExecuteOptions options;
    memset(&options, 0, sizeof options);
    options.read_only = true;
    options.dest = &r->pub;
    int rc = SPI_execute_plan_extended(plan, &options);
    AtEOXact_GUC(true, guc_level);
    if (rc != SPI_OK_SELECT && rc != SPI_OK_UTILITY)
        elog(ERROR, "reading relation \"%s\" failed: %s", src.display, SPI_result_code_string(rc));
    SPI_freeplan(plan);
    SPI_finish();
    pfree(sql);
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
    AttrNumber user_attnum = check_column(args.relid, *out, args.user_column, ColumnRole::User);
    check_column(args.relid, *out, args.movie_column, ColumnRole::Movie);
    if (args.rating_column != nullptr)
        check_column(args.relid, *out, args.rating_column, ColumnRole::Rating);
    warn_without_user_index(args.relid, relkind, *out, args.user_column, user_attnum);
}

void read_ratings(const TrainArgs& args, const RatingsSource& src, MemoryContext cxt,
                  RatingsInput* out) {
    out->ratings = nullptr;
    out->count = 0;
    out->skipped_nulls = 0;

    RatingsReceiver* r = static_cast<RatingsReceiver*>(palloc0(sizeof(RatingsReceiver)));
    r->pub.receiveSlot = receive_rating;
    r->pub.rStartup = receiver_startup;
    r->pub.rShutdown = receiver_shutdown;
    r->pub.rDestroy = receiver_destroy;
    r->pub.mydest = DestNone;
    progress_begin(cxt);
    progress_reading(0);

    receiver_begin(r, args, cxt, out);
    // A worker thread may be adding rows: it is stopped and joined before an error (a cancel,
    // an I/O error) leaves.
    PG_TRY();
    {
        if (!read_ratings_directly(args, r)) read_by_query(args, src, r);
        if (r->stop == Stop::None) flush_batch(r);  // the last rows
    }
    PG_CATCH();
    {
        receiver_abort(r);
        PG_RE_THROW();
    }
    PG_END_TRY();
    receiver_finish(r);
    raise_stop(r, src);
    progress_reading(out->count);
    pfree(r);
}

}  // namespace movie_recs::pg
