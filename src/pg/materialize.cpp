// movie_recs.materialize_recommendations(n, target, replace): the top n recommendations of every
// user of the active model, written into a table in one pass. The model's serving data is this
// backend's serving cache, as recommend_movies() uses it (serving.hpp); one query then walks the
// assignments in user order with each user's current ratings (through the index on the source's
// user column), each user is placed as recommend_movies() places them (stored assignment, or
// fold-in when their rated movies changed), the core ranks the movies of a batch of users on
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
#include "pg/serving.hpp"
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

// ---- C++ phase helpers (called from PostgreSQL frames; they hold the C++ objects) ----------

core::BatchRecommender* build_recommender(const core::ServingModel& model, int threads) {
    return new core::BatchRecommender(model, threads);
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
        catalog_corrupt(model_id, "malformed array");
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
    ActiveServing active;
    load_active_serving(&active);
    const int64 model_id = active.model_id;
    const int k = active.k;
    const char* source = quote_qualified_identifier(active.source_schema, active.source_table);
    const char* user_column = quote_identifier(active.user_column);
    const char* movie_column = quote_identifier(active.movie_column);
    const char* rating =
        active.rating_column != nullptr
            ? psprintf("r.%s::pg_catalog.float8", quote_identifier(active.rating_column))
            : "1::pg_catalog.float8";
    int rc;

    if (replace) {
        rc = SPI_execute(psprintf("DELETE FROM %s", target_sql), false, 0);
        if (rc != SPI_OK_DELETE)
            elog(ERROR, "emptying the target failed: %s", SPI_result_code_string(rc));
    }

    MemoryContextCallback* cb =
        static_cast<MemoryContextCallback*>(MemoryContextAlloc(cxt, sizeof(MemoryContextCallback)));
    movie_recs::core::BatchRecommender* recommender =
        build_recommender(serving_model(), training_threads());
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

    // Each user of the model with the movies they have rated now and the ratings (NaN for NULL).
    Oid user_types[1] = {INT8OID};
    SPIPlanPtr users = SPI_prepare(
        psprintf("SELECT a.user_id, a.soft_clusters, a.soft_weights, a.fingerprint,"
                 " coalesce(s.movies, '{}'), coalesce(s.ratings, '{}')"
                 " FROM movie_recs.assignments a LEFT JOIN LATERAL"
                 " (SELECT pg_catalog.array_agg(r.%s::pg_catalog.int8) AS movies,"
                 " pg_catalog.array_agg(coalesce(%s, 'NaN')) AS ratings FROM %s r"
                 " WHERE r.%s = a.user_id AND r.%s IS NOT NULL) s ON true"
                 " WHERE a.model_id = $1 ORDER BY a.user_id",
                 movie_column, rating, source, user_column, movie_column),
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
            int width = 0, nweights = 0, nmovies = 0, nratings = 0;
            req.user_ids[i] = DatumGetInt64(catalog_value(users_table, i, 1, model_id));
            const int32* soft = reinterpret_cast<const int32*>(
                array_data(catalog_value(users_table, i, 2, model_id), INT4OID, &width, model_id));
            float* weights = reinterpret_cast<float*>(const_cast<char*>(
                array_data(catalog_value(users_table, i, 3, model_id), FLOAT4OID, &nweights, model_id)));
            if (nweights != width || width > k)
                catalog_corrupt(model_id, "malformed soft assignment");
            bool null_fingerprint;
            const Datum fingerprint = SPI_getbinval(users_table->vals[i], users_table->tupdesc,
                                                    4, &null_fingerprint);
            int64* movies = reinterpret_cast<int64*>(const_cast<char*>(
                array_data(catalog_value(users_table, i, 5, model_id), INT8OID, &nmovies, model_id)));
            const double* ratings = reinterpret_cast<const double*>(
                array_data(catalog_value(users_table, i, 6, model_id), FLOAT8OID, &nratings, model_id));
            if (nratings != nmovies)
                elog(ERROR, "ratings of user %lld do not match their movies",
                     static_cast<long long>(req.user_ids[i]));
            StoredAssignment stored;
            stored.known = true;
            stored.null_fingerprint = null_fingerprint;
            stored.fingerprint = null_fingerprint ? 0 : DatumGetInt64(fingerprint);
            stored.width = width;
            stored.weights = weights;
            stored.clusters = static_cast<int32*>(palloc(sizeof(int32) * Max(width, 1)));
            for (int c = 0; c < width; ++c) {
                stored.clusters[c] = cluster_index(active.cluster_ids, k, soft[c]);
                if (stored.clusters[c] < 0)
                    catalog_corrupt(model_id, "soft assignment names a cluster without a centroid");
            }
            // Placed as recommend_movies() places the user: the stored assignment while their
            // rated movies are those of training, else folded in from their current ratings.
            UserPlacement place;
            memset(&place, 0, sizeof(place));
            place_from_ratings(stored, movies, ratings, nmovies, false, fetch_cxt, &place);
            req.widths[i] = place.width;
            req.clusters[i] = place.clusters;
            req.weights[i] = place.weights;
            req.seen[i] = place.seen;
            req.seen_counts[i] = static_cast<int>(place.nseen);
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
