// movie_recs.materialize_recommendations(n, target, replace): the top n recommendations of every
// user of the active model, written into a table in one pass. The model's serving data is loaded
// once (as recommend_movies() loads it into its cache); one query then walks the assignments in
// user order with each user's current ratings (through the index on the source's user column,
// like recommend_movies()), the core ranks the movies of a batch of users on
// movie_recs.max_threads threads, and the rows are inserted in batches. The result is what
// recommend_movies(user, n) returns for each user, at the snapshot of the call.
#include <cstdint>
#include <memory>
#include <new>
#include <utility>
#include <vector>

#include "core/model.hpp"
#include "core/recommend.hpp"
#include "core/recommend_batch.hpp"
#include "pg/cluster_index.hpp"
#include "pg/guard.hpp"
#include "pg/read_only.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "tcop/utility.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/tuplestore.h"
}

namespace movie_recs::pg {
namespace {

constexpr int kUsersPerFetch = 8192;
constexpr int kRowsPerInsert = 10000;

const char kActiveSql[] =
    "SELECT model_id, k, source_schema, source_table, user_column, movie_column"
    " FROM movie_recs.models WHERE active";

// The active model's serving data as plain arrays (memory of the current SPI procedure).
struct ModelRows {
    int k;
    int32* cluster_ids;   // k, ascending
    double* prior;        // k
    int64* list_offsets;  // k + 1
    int64* list_movie_ids;
    double* list_scores;
    int64 popular_count;
    int64* popular_movie_ids;
    double* popular_scores;
};

// The users of one fetch, as plain arrays over the fetched tuples.
struct Requests {
    int count;
    int64* user_ids;
    int32** clusters;  // core indexes
    float** weights;
    int* widths;
    int64** seen;
    int* seen_counts;
};

// Output rows of one fetch.
struct Batch {
    int64 rows;
    int64* user_ids;
    int64* movie_ids;
    double* scores;
    int32* ranks;
};

[[noreturn]] void incomplete(int64 model_id, const char* what) {
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("movie_recs model %lld is incomplete: %s",
                           static_cast<long long>(model_id), what),
                    errhint("Run train_movie_clusters() again.")));
}

SPITupleTable* query_model(const char* sql, int64 model_id) {
    Oid types[1] = {INT8OID};
    Datum v[1] = {Int64GetDatum(model_id)};
    int rc = SPI_execute_with_args(sql, 1, types, v, nullptr, true, 0);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "reading the movie_recs catalog failed: %s", SPI_result_code_string(rc));
    return SPI_tuptable;
}

Datum value(SPITupleTable* t, uint64 row, int col, int64 model_id) {
    bool isnull;
    Datum d = SPI_getbinval(t->vals[row], t->tupdesc, col, &isnull);
    if (isnull)
        incomplete(model_id, "unexpected NULL");
    return d;
}

void read_model_rows(int64 model_id, int k, ModelRows* r) {
    r->k = k;
    SPITupleTable* t = query_model(
        "SELECT cluster_id, prior_weight FROM movie_recs.centroids WHERE model_id = $1"
        " ORDER BY cluster_id",
        model_id);
    if (SPI_processed != static_cast<uint64>(k))
        incomplete(model_id, "centroids do not match k");
    r->cluster_ids = static_cast<int32*>(palloc(sizeof(int32) * k));
    r->prior = static_cast<double*>(palloc(sizeof(double) * k));
    for (int c = 0; c < k; ++c) {
        r->cluster_ids[c] = DatumGetInt32(value(t, c, 1, model_id));
        r->prior[c] = DatumGetFloat8(value(t, c, 2, model_id));
    }

    t = query_model(
        "SELECT cluster_id, movie_id, score FROM movie_recs.cluster_movies WHERE model_id = $1"
        " ORDER BY cluster_id, rank",
        model_id);
    const uint64 rows = SPI_processed;
    r->list_offsets = static_cast<int64*>(palloc0(sizeof(int64) * (k + 1)));
    r->list_movie_ids =
        static_cast<int64*>(palloc_extended(sizeof(int64) * Max(rows, 1), MCXT_ALLOC_HUGE));
    r->list_scores =
        static_cast<double*>(palloc_extended(sizeof(double) * Max(rows, 1), MCXT_ALLOC_HUGE));
    for (uint64 i = 0; i < rows; ++i) {
        int c = cluster_index(r->cluster_ids, k, DatumGetInt32(value(t, i, 1, model_id)));
        if (c < 0)
            incomplete(model_id, "cluster_movies names a cluster without a centroid");
        r->list_offsets[c + 1] += 1;
        r->list_movie_ids[i] = DatumGetInt64(value(t, i, 2, model_id));
        r->list_scores[i] = DatumGetFloat8(value(t, i, 3, model_id));
    }
    for (int c = 0; c < k; ++c)
        r->list_offsets[c + 1] += r->list_offsets[c];

    t = query_model(
        "SELECT movie_id, score FROM movie_recs.popular_movies WHERE model_id = $1 ORDER BY rank",
        model_id);
    r->popular_count = static_cast<int64>(SPI_processed);
    r->popular_movie_ids = static_cast<int64*>(palloc(sizeof(int64) * Max(SPI_processed, 1)));
    r->popular_scores = static_cast<double*>(palloc(sizeof(double) * Max(SPI_processed, 1)));
    for (uint64 i = 0; i < SPI_processed; ++i) {
        r->popular_movie_ids[i] = DatumGetInt64(value(t, i, 1, model_id));
        r->popular_scores[i] = DatumGetFloat8(value(t, i, 2, model_id));
    }
}

// ---- C++ phase helpers (called from PostgreSQL frames; they hold the C++ objects) ----------

core::ServingModel* build_serving_model(const ModelRows& r) {
    std::vector<std::vector<core::ScoredMovie>> lists(static_cast<std::size_t>(r.k));
    for (int c = 0; c < r.k; ++c)
        for (int64 i = r.list_offsets[c]; i < r.list_offsets[c + 1]; ++i)
            lists[c].push_back({r.list_movie_ids[i], r.list_scores[i]});
    std::vector<double> prior(r.prior, r.prior + r.k);
    std::vector<core::ScoredMovie> popular;
    popular.reserve(static_cast<std::size_t>(r.popular_count));
    for (int64 i = 0; i < r.popular_count; ++i)
        popular.push_back({r.popular_movie_ids[i], r.popular_scores[i]});
    return new core::ServingModel(std::move(lists), std::move(prior), std::move(popular));
}

core::BatchRecommender* build_recommender(const ModelRows& r, int threads) {
    std::unique_ptr<core::ServingModel> model(build_serving_model(r));
    return new core::BatchRecommender(*model, threads);
}

void delete_recommender(void* recommender) noexcept {
    delete static_cast<core::BatchRecommender*>(recommender);
}

bool cancel_requested() noexcept {
    return InterruptPending && (QueryCancelPending || ProcDiePending);
}

// The top n of every user of req into *out (arrays allocated in cxt).
void recommend_all(core::BatchRecommender* recommender, const Requests& req, int n,
                   MemoryContext cxt, Batch* out) {
    std::vector<core::UserRequest> users(static_cast<std::size_t>(req.count));
    for (int i = 0; i < req.count; ++i)
        users[static_cast<std::size_t>(i)] = {req.clusters[i], req.weights[i], req.widths[i],
                                              req.seen[i], req.seen_counts[i]};
    core::Hooks hooks;
    hooks.interrupted = cancel_requested;
    std::vector<std::vector<core::ScoredMovie>> top;
    recommender->recommend(users, n, hooks, &top);
    std::size_t rows = 0;
    for (const auto& t : top)
        rows += t.size();
    out->rows = static_cast<int64>(rows);
    out->user_ids = alloc_array<int64>(cxt, rows);
    out->movie_ids = alloc_array<int64>(cxt, rows);
    out->scores = alloc_array<double>(cxt, rows);
    out->ranks = alloc_array<int32>(cxt, rows);
    std::size_t at = 0;
    for (std::size_t u = 0; u < top.size(); ++u)
        for (std::size_t i = 0; i < top[u].size(); ++i, ++at) {
            out->user_ids[at] = req.user_ids[u];
            out->movie_ids[at] = top[u][i].movie_id;
            out->scores[at] = top[u][i].score;
            out->ranks[at] = static_cast<int32>(i + 1);
        }
}

// ---- PostgreSQL phase --------------------------------------------------------------------

// The elements of a one-dimensional array of 4- or 8-byte values without NULLs.
const char* array_data(Datum d, Oid elemtype, int* n, int64 model_id) {
    ArrayType* a = DatumGetArrayTypeP(d);
    if (ARR_ELEMTYPE(a) != elemtype || ARR_HASNULL(a) || ARR_NDIM(a) > 1)
        incomplete(model_id, "malformed array");
    *n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
    return ARR_DATA_PTR(a);
}

void require_column(Oid relid, const char* column) {
    if (get_attnum(relid, column) == InvalidAttrNumber)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_COLUMN),
                        errmsg("column \"%s\" does not exist in relation \"%s\"", column,
                               get_rel_name(relid)),
                        errhint("The target needs columns user_id, movie_id, score and rank, e.g. "
                                "CREATE TABLE recs (user_id bigint, movie_id bigint, score double "
                                "precision, rank integer).")));
}

// Inserts the rows of b in statements of at most kRowsPerInsert rows.
void insert_rows(SPIPlanPtr insert, const Batch& b) {
    Datum* scratch = static_cast<Datum*>(palloc(sizeof(Datum) * kRowsPerInsert));
    for (int64 from = 0; from < b.rows; from += kRowsPerInsert) {
        const int n = static_cast<int>(Min(static_cast<int64>(kRowsPerInsert), b.rows - from));
        Datum v[4];
        for (int i = 0; i < n; ++i)
            scratch[i] = Int64GetDatum(b.user_ids[from + i]);
        v[0] = PointerGetDatum(
            construct_array(scratch, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
        for (int i = 0; i < n; ++i)
            scratch[i] = Int64GetDatum(b.movie_ids[from + i]);
        v[1] = PointerGetDatum(
            construct_array(scratch, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
        for (int i = 0; i < n; ++i)
            scratch[i] = Float8GetDatum(b.scores[from + i]);
        v[2] = PointerGetDatum(
            construct_array(scratch, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
        for (int i = 0; i < n; ++i)
            scratch[i] = Int32GetDatum(b.ranks[from + i]);
        v[3] = PointerGetDatum(construct_array(scratch, n, INT4OID, 4, true, TYPALIGN_INT));
        int rc = SPI_execute_plan(insert, v, nullptr, false, 0);
        if (rc != SPI_OK_INSERT)
            elog(ERROR, "inserting recommendations failed: %s", SPI_result_code_string(rc));
        for (int i = 0; i < 4; ++i)
            pfree(DatumGetPointer(v[i]));
    }
    pfree(scratch);
}

}  // namespace
}  // namespace movie_recs::pg

using namespace movie_recs::pg;

MOVIE_RECS_FUNCTION(movie_recs_materialize_recommendations) {
    if (PG_ARGISNULL(0))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("n must not be null")));
    if (PG_ARGISNULL(1))
        ereport(ERROR,
                (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("target must not be null")));
    if (PG_ARGISNULL(2))
        ereport(ERROR,
                (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("replace must not be null")));
    const int32 n = PG_GETARG_INT32(0);
    const Oid target = PG_GETARG_OID(1);
    const bool replace = PG_GETARG_BOOL(2);
    if (n < 0 || n > movie_recs::core::kMaxRecommendations)
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("n must be between 0 and %d", movie_recs::core::kMaxRecommendations)));
    require_writable("movie_recs.materialize_recommendations()");
    char* target_name = get_rel_name(target);
    if (target_name == nullptr)
        ereport(ERROR, (errcode(ERRCODE_UNDEFINED_TABLE),
                        errmsg("relation with OID %u does not exist", target)));
    const char* target_sql =
        quote_qualified_identifier(get_namespace_name(get_rel_namespace(target)), target_name);
    require_column(target, "user_id");
    require_column(target, "movie_id");
    require_column(target, "score");
    require_column(target, "rank");

    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    // Owns the serving model: deleting the context (or an error resetting its parent) frees it.
    MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "movie_recs materialize",
                                              ALLOCSET_DEFAULT_SIZES);

    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    int rc = SPI_execute(kActiveSql, true, 0);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "reading the movie_recs catalog failed: %s", SPI_result_code_string(rc));
    if (SPI_processed == 0)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("no trained movie_recs model"),
                        errhint("Run train_movie_clusters() first.")));
    SPITupleTable* t = SPI_tuptable;
    bool isnull;
    const int64 model_id = DatumGetInt64(SPI_getbinval(t->vals[0], t->tupdesc, 1, &isnull));
    const int k = DatumGetInt32(SPI_getbinval(t->vals[0], t->tupdesc, 2, &isnull));
    char* source = quote_qualified_identifier(NameStr(*DatumGetName(value(t, 0, 3, model_id))),
                                              NameStr(*DatumGetName(value(t, 0, 4, model_id))));
    const char* user_column =
        quote_identifier(pstrdup(NameStr(*DatumGetName(value(t, 0, 5, model_id)))));
    const char* movie_column =
        quote_identifier(pstrdup(NameStr(*DatumGetName(value(t, 0, 6, model_id)))));

    if (replace) {
        rc = SPI_execute(psprintf("DELETE FROM %s", target_sql), false, 0);
        if (rc != SPI_OK_DELETE)
            elog(ERROR, "emptying the target failed: %s", SPI_result_code_string(rc));
    }

    ModelRows rows;
    read_model_rows(model_id, k, &rows);
    MemoryContextCallback* cb =
        static_cast<MemoryContextCallback*>(MemoryContextAlloc(cxt, sizeof(MemoryContextCallback)));
    movie_recs::core::BatchRecommender* recommender = build_recommender(rows, training_threads());
    cb->func = delete_recommender;
    cb->arg = recommender;
    MemoryContextRegisterResetCallback(cxt, cb);  // cannot fail

    Oid insert_types[4] = {INT8ARRAYOID, INT8ARRAYOID, FLOAT8ARRAYOID, INT4ARRAYOID};
    SPIPlanPtr insert = SPI_prepare(
        psprintf("INSERT INTO %s (user_id, movie_id, score, rank) SELECT * FROM unnest("
                 "$1::pg_catalog.int8[], $2::pg_catalog.int8[], $3::pg_catalog.float8[],"
                 " $4::pg_catalog.int4[])",
                 target_sql),
        4, insert_types);
    if (insert == nullptr)
        elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));

    // Each user of the model with the movies they have rated now.
    Oid user_types[1] = {INT8OID};
    SPIPlanPtr users = SPI_prepare(
        psprintf("SELECT a.user_id, a.soft_clusters, a.soft_weights,"
                 " ARRAY(SELECT r.%s::pg_catalog.int8 FROM %s r"
                 " WHERE r.%s = a.user_id AND r.%s IS NOT NULL)"
                 " FROM movie_recs.assignments a WHERE a.model_id = $1 ORDER BY a.user_id",
                 movie_column, source, user_column, movie_column),
        1, user_types);
    if (users == nullptr)
        elog(ERROR, "SPI_prepare failed: %s", SPI_result_code_string(SPI_result));
    Datum user_arg[1] = {Int64GetDatum(model_id)};
    Portal portal = SPI_cursor_open(nullptr, users, user_arg, nullptr, true);

    // Per fetch: the requests and the output rows (reset after each fetch).
    MemoryContext fetch_cxt =
        AllocSetContextCreate(cxt, "movie_recs materialize batch", ALLOCSET_DEFAULT_SIZES);
    int64 user_count = 0, written = 0;
    for (;;) {
        CHECK_FOR_INTERRUPTS();
        SPI_cursor_fetch(portal, true, kUsersPerFetch);
        const uint64 fetched = SPI_processed;
        if (fetched == 0)
            break;
        SPITupleTable* users_table = SPI_tuptable;
        MemoryContext outer = MemoryContextSwitchTo(fetch_cxt);
        Requests req;
        req.count = static_cast<int>(fetched);
        req.user_ids = static_cast<int64*>(palloc(sizeof(int64) * fetched));
        req.clusters = static_cast<int32**>(palloc(sizeof(int32*) * fetched));
        req.weights = static_cast<float**>(palloc(sizeof(float*) * fetched));
        req.widths = static_cast<int*>(palloc(sizeof(int) * fetched));
        req.seen = static_cast<int64**>(palloc(sizeof(int64*) * fetched));
        req.seen_counts = static_cast<int*>(palloc(sizeof(int) * fetched));
        for (uint64 i = 0; i < fetched; ++i) {
            int width = 0, nweights = 0;
            req.user_ids[i] = DatumGetInt64(value(users_table, i, 1, model_id));
            const int32* soft = reinterpret_cast<const int32*>(
                array_data(value(users_table, i, 2, model_id), INT4OID, &width, model_id));
            req.weights[i] = reinterpret_cast<float*>(const_cast<char*>(
                array_data(value(users_table, i, 3, model_id), FLOAT4OID, &nweights, model_id)));
            req.seen[i] = reinterpret_cast<int64*>(const_cast<char*>(array_data(
                value(users_table, i, 4, model_id), INT8OID, &req.seen_counts[i], model_id)));
            if (nweights != width || width > k)
                incomplete(model_id, "malformed soft assignment");
            req.widths[i] = width;
            req.clusters[i] = static_cast<int32*>(palloc(sizeof(int32) * Max(width, 1)));
            for (int c = 0; c < width; ++c) {
                req.clusters[i][c] = cluster_index(rows.cluster_ids, k, soft[c]);
                if (req.clusters[i][c] < 0)
                    incomplete(model_id, "soft assignment names a cluster without a centroid");
            }
        }
        MemoryContextSwitchTo(outer);
        Batch batch;
        recommend_all(recommender, req, n, fetch_cxt, &batch);
        insert_rows(insert, batch);
        user_count += req.count;
        written += batch.rows;
        SPI_freetuptable(users_table);
        MemoryContextReset(fetch_cxt);
    }
    SPI_cursor_close(portal);
    SPI_finish();
    MemoryContextDelete(cxt);

    Datum values[3] = {Int64GetDatum(model_id), Int64GetDatum(user_count), Int64GetDatum(written)};
    bool nulls[3] = {false, false, false};
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    return (Datum)0;
}
