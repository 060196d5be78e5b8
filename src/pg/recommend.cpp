// recommend_movies(): top-n unseen movies for one user from the active model.
//
// Per backend, the serving part of the active model (cluster lists, prior weights, popular list,
// and the centroids for fold-in) is cached as a core::ServingModel and a core::FoldIn together
// with a kept plan that reads a user's current ratings from the model's source relation
// (serving_cache.cpp), and the model's stored assignments are copied (assignment_cache.cpp).
// Every call looks up the active model, the user's stored assignment (from the copy, else through
// the primary key) and the user's ratings: directly (catalog_reads.cpp, serving_reads.cpp) when
// the caller's rights allow it without row-level security, else by the SQL queries (one lookup
// query, the kept plan); SPI is connected only when a query is needed. The caches are reloaded
// when the active model changed. The user's ratings are read at call time: they are excluded
// from the result, and when they differ from the ones the model was trained on (or the model
// does not know the user) the user is folded in from them (source 'fold_in'). Cluster ids of the
// catalog are stable across retraining, not necessarily 1..k: the stored soft assignments and
// the centroids map to the core's indexes 0..k-1 through cluster_index.hpp.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "core/fold_in.hpp"
#include "core/model.hpp"
#include "core/rating_matrix.hpp"
#include "core/recommend.hpp"
#include "pg/cluster_index.hpp"
#include "pg/guard.hpp"
#include "pg/serving.hpp"
#include "pg/serving_cache.hpp"
#include "pg/serving_reads.hpp"
#include "pg/assignment_cache.hpp"
#include "pg/index_access.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/float.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

namespace movie_recs::pg {
namespace {

const char kLookupSql[] =
    "SELECT m.model_id, m.created_at, m.k, a.soft_clusters, a.soft_weights, m.tableoid,"
    " a.fingerprint"
    " FROM movie_recs.models m LEFT JOIN movie_recs.assignments a"
    " ON a.model_id = m.model_id AND a.user_id = $1"
    " WHERE m.active";
// The active model alone (materialize_recommendations()).
const char kActiveSql[] =
    "SELECT model_id, created_at, k, tableoid FROM movie_recs.models WHERE active";
// The same as kLookupSql on a 0.1.0 catalog (this library before ALTER EXTENSION ... UPDATE): no fingerprints.
const char kLookupSql_0_1_0[] =
    "SELECT m.model_id, m.created_at, m.k, a.soft_clusters, a.soft_weights, m.tableoid,"
    " NULL::pg_catalog.int8"
    " FROM movie_recs.models m LEFT JOIN movie_recs.assignments a"
    " ON a.model_id = m.model_id AND a.user_id = $1"
    " WHERE m.active";

SPIPlanPtr lookup_plan;        // kept
SPIPlanPtr lookup_plan_0_1_0;  // kept

// Fold-in of a user from their ratings; false when none of the movies is known to the model.
// Results in cxt: clusters/weights (width entries) and, when wanted, the k distances.
bool fold_in_into(const core::FoldIn& fold, const int64* movies, const double* ratings, int64 n,
                  bool want_distances, MemoryContext cxt, int* width, int32** clusters,
                  float** weights, double** distances, int32* nearest) {
    std::vector<std::pair<std::int64_t, double>> r;
    r.reserve(static_cast<std::size_t>(n));
    for (int64 i = 0; i < n; ++i) r.push_back({movies[i], ratings[i]});
    core::Placement p;
    if (!fold.place(std::move(r), &p)) return false;
    *width = static_cast<int>(p.clusters.size());
    *clusters = alloc_array<int32>(cxt, p.clusters.size());
    *weights = alloc_array<float>(cxt, p.weights.size());
    for (std::size_t i = 0; i < p.clusters.size(); ++i) {
        (*clusters)[i] = p.clusters[i];
        (*weights)[i] = p.weights[i];
    }
    if (want_distances) {
        *distances = alloc_array<double>(cxt, p.distances.size());
        for (std::size_t i = 0; i < p.distances.size(); ++i) (*distances)[i] = p.distances[i];
    }
    *nearest = p.nearest;
    return true;
}

// The fingerprint of a set of movie ids (duplicates skipped). Ids read from an index on
// (user, movie) come strictly increasing: they are used as they are.
int64 fingerprint_of(const int64* ids, int64 n) {
    if (std::adjacent_find(ids, ids + n, [](int64 a, int64 b) { return a >= b; }) == ids + n)
        return core::ratings_fingerprint(reinterpret_cast<const std::int64_t*>(ids),
                                         static_cast<std::size_t>(n));
    std::vector<std::int64_t> v(ids, ids + n);
    std::sort(v.begin(), v.end());
    v.erase(std::unique(v.begin(), v.end()), v.end());
    return core::ratings_fingerprint(v.data(), v.size());
}

int recommend_into(const core::ServingModel& model, const int32* clusters, const float* weights,
                   int width, const int64* seen, int64 nseen, int n, MemoryContext cxt,
                   int64** ids, double** scores) {
    std::vector<core::ScoredMovie> top =
        model.recommend(clusters, weights, width, reinterpret_cast<const std::int64_t*>(seen),
                        static_cast<std::size_t>(nseen), n);
    *ids = alloc_array<int64>(cxt, top.size());
    *scores = alloc_array<double>(cxt, top.size());
    for (std::size_t i = 0; i < top.size(); ++i) {
        (*ids)[i] = top[i].movie_id;
        (*scores)[i] = top[i].score;
    }
    return static_cast<int>(top.size());
}

// recommend_movies() is declared without SET search_path: saving, setting and restoring it at
// every call (and recomputing the session's path at the next statement) cost ~10% of a call.
// Nothing of the direct reads depends on the path; the queries run with SPI (when a direct read
// does not apply, or a cache loads) run with search_path = pg_catalog, pg_temp set here, as the
// SET clause of every other function of the extension does, and restored by finish_spi() (or by
// the abort of the transaction on an error).
struct SpiUse {
    bool connected;
    int guc_level;
};

void connect_spi(SpiUse* spi) {
    if (spi->connected) return;
    spi->guc_level = set_catalog_search_path();
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    spi->connected = true;
}

void finish_spi(SpiUse* spi) {
    if (!spi->connected) return;
    SPI_finish();
    restore_search_path(spi->guc_level);
    spi->connected = false;
}

// The active model and the user's stored assignment by the SQL query (SPI connected).
void lookup_by_query(int64 user_id, bool catalog_0_1_0, MemoryContext cxt, ActiveModel* model,
                     AssignmentRow* row) {
    memset(model, 0, sizeof(*model));
    memset(row, 0, sizeof(*row));
    row->user_id = user_id;
    row->null_fingerprint = true;
    SPIPlanPtr* kept = catalog_0_1_0 ? &lookup_plan_0_1_0 : &lookup_plan;
    if (*kept == nullptr) {
        Oid types[1] = {INT8OID};
        SPIPlanPtr plan = SPI_prepare(catalog_0_1_0 ? kLookupSql_0_1_0 : kLookupSql, 1, types);
        if (plan == nullptr || SPI_keepplan(plan) != 0)
            elog(ERROR, "preparing the movie_recs model lookup failed: %s",
                 SPI_result_code_string(SPI_result));
        *kept = plan;
    }
    Datum arg[1] = {Int64GetDatum(user_id)};
    int rc = SPI_execute_plan(*kept, arg, nullptr, true, 0);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "reading the movie_recs catalog failed: %s", SPI_result_code_string(rc));
    if (SPI_processed == 0) return;
    model->found = true;
    SPITupleTable* t = SPI_tuptable;
    bool isnull;
    model->model_id = DatumGetInt64(SPI_getbinval(t->vals[0], t->tupdesc, 1, &isnull));
    model->created_at = DatumGetTimestampTz(SPI_getbinval(t->vals[0], t->tupdesc, 2, &isnull));
    model->k = DatumGetInt32(SPI_getbinval(t->vals[0], t->tupdesc, 3, &isnull));
    model->catalog_oid = DatumGetObjectId(SPI_getbinval(t->vals[0], t->tupdesc, 6, &isnull));
    bool null_clusters, null_weights;
    Datum dc = SPI_getbinval(t->vals[0], t->tupdesc, 4, &null_clusters);
    Datum dw = SPI_getbinval(t->vals[0], t->tupdesc, 5, &null_weights);
    Datum df = SPI_getbinval(t->vals[0], t->tupdesc, 7, &row->null_fingerprint);
    if (!row->null_fingerprint) row->fingerprint = DatumGetInt64(df);
    set_soft_assignment(dc, null_clusters, dw, null_weights, cxt, row);
}

// The user's current rows of the source by the kept plan (SPI connected), as read_user_ratings()
// returns them.
void ratings_by_query(int64 user_id, MemoryContext cxt, UserRatings* out) {
    execute_seen_plan(user_id);
    const int64 nrows = static_cast<int64>(SPI_processed);
    out->count = 0;
    out->movies = static_cast<int64*>(MemoryContextAlloc(cxt, sizeof(int64) * Max(nrows, 1)));
    out->ratings = static_cast<double*>(MemoryContextAlloc(cxt, sizeof(double) * Max(nrows, 1)));
    for (int64 i = 0; i < nrows; ++i) {
        bool null_movie, null_rating;
        Datum m = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &null_movie);
        if (null_movie) continue;
        Datum r = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &null_rating);
        out->movies[out->count] = DatumGetInt64(m);
        out->ratings[out->count++] = null_rating ? get_float8_nan() : DatumGetFloat8(r);
    }
}

}  // namespace

[[noreturn]] void catalog_corrupt(int64 model_id, const char* what) {
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("movie_recs model %lld is incomplete: %s",
                           static_cast<long long>(model_id), what),
                    errhint("Run train_movie_clusters() again.")));
}

Datum catalog_value(SPITupleTable* t, uint64 row, int col, int64 model_id) {
    bool isnull;
    Datum d = SPI_getbinval(t->vals[row], t->tupdesc, col, &isnull);
    if (isnull) catalog_corrupt(model_id, "unexpected NULL");
    return d;
}

void place_user(int64 user_id, bool need_distances, bool catalog_0_1_0, MemoryContext cxt,
                UserPlacement* out) {
    memset(out, 0, sizeof(*out));
    out->nearest = -1;
    SpiUse spi = {false, 0};  // connected only when a query is needed

    // The active model, and the user's stored soft assignment (none for a user the model was
    // not trained on): directly (the assignment from this backend's copy of the model's
    // assignments, else through the index) or by the SQL query.
    ActiveModel model;
    AssignmentRow row;
    if (!read_active_model(catalog_0_1_0, &model) ||
        (model.found && !cached_assignment(model, user_id, catalog_0_1_0, cxt, &row) &&
         !read_user_assignment(model.model_id, user_id, catalog_0_1_0, cxt, &row))) {
        connect_spi(&spi);
        lookup_by_query(user_id, catalog_0_1_0, cxt, &model, &row);
    }
    if (!model.found)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("no trained movie_recs model"),
                        errhint("Run train_movie_clusters() first.")));
    const int64 model_id = model.model_id;
    const int k = model.k;
    out->model_id = model_id;
    out->k = k;
    if (row.malformed) catalog_corrupt(model_id, "malformed soft assignment");
    // A NULL fingerprint: the model was trained before fingerprints existed (a 0.1.0 catalog, or
    // a 0.1.0 model kept through the upgrade); the stored assignment is used as 0.1.0 did.
    const bool known = row.known;
    const bool null_fingerprint = row.null_fingerprint;
    const int64 stored_fingerprint = known && !null_fingerprint ? row.fingerprint : 0;
    const int width = row.width;
    int32* clusters = row.clusters;
    float* weights = row.weights;

    if (!serving_cache_holds(model_id, model.created_at, model.catalog_oid)) {
        connect_spi(&spi);
        load_serving_cache(model_id, model.created_at, model.catalog_oid, k);
    }
    const ServingCache& cache = serving_cache();
    out->cluster_ids = cache.cluster_ids;
    // Catalog cluster ids (stable across retraining, not necessarily 1..k) -> core cluster
    // indexes 0..k-1.
    for (int i = 0; i < width; ++i) {
        clusters[i] = cluster_index(cache.cluster_ids, cache.k, clusters[i]);
        if (clusters[i] < 0)
            catalog_corrupt(model_id, "soft assignment names a cluster without a centroid");
    }

    // The user's ratings now: every movie is excluded; those with a rating training accepts
    // (finite, within the range of real: core::rating_in_range) place the user.
    UserRatings now;
    if (!read_user_ratings(cache.source_schema, cache.source_table, cache.user_column,
                           cache.movie_column, cache.rating_column, user_id, cxt, &now)) {
        connect_spi(&spi);
        ratings_by_query(user_id, cxt, &now);
    }
    finish_spi(&spi);

    StoredAssignment stored;
    stored.known = known;
    stored.null_fingerprint = null_fingerprint;
    stored.fingerprint = stored_fingerprint;
    stored.width = width;
    stored.clusters = clusters;
    stored.weights = weights;
    place_from_ratings(stored, now.movies, now.ratings, now.count, need_distances, cxt, out);
}

void place_from_ratings(const StoredAssignment& stored, int64* movies, const double* ratings,
                        int64 count, bool need_distances, MemoryContext cxt, UserPlacement* out) {
    out->seen = movies;
    out->nseen = count;
    int64* rated = static_cast<int64*>(MemoryContextAlloc(cxt, sizeof(int64) * Max(count, 1)));
    double* rated_values =
        static_cast<double*>(MemoryContextAlloc(cxt, sizeof(double) * Max(count, 1)));
    int64 nrated = 0;
    for (int64 i = 0; i < count; ++i) {
        if (!core::rating_in_range(ratings[i])) continue;
        rated[nrated] = movies[i];
        rated_values[nrated++] = ratings[i];
    }

    // Known and unchanged: the stored assignment. Otherwise fold in from the current ratings.
    const bool unchanged =
        stored.known &&
        (stored.null_fingerprint ||
         (nrated > 0 && fingerprint_of(rated, nrated) == stored.fingerprint));
    int fold_width = 0;
    int32* fold_clusters = nullptr;
    float* fold_weights = nullptr;
    const bool folded =
        (!unchanged || need_distances) && nrated > 0 &&
        fold_in_into(*serving_cache().fold_in, rated, rated_values, nrated, need_distances, cxt,
                     &fold_width, &fold_clusters, &fold_weights, &out->distances, &out->nearest);
    if (unchanged) {
        out->source = "cluster";
        out->width = stored.width;
        out->clusters = stored.clusters;
        out->weights = stored.weights;
    } else if (folded) {
        out->source = "fold_in";
        out->width = fold_width;
        out->clusters = fold_clusters;
        out->weights = fold_weights;
    } else {
        out->source = "popular";
    }
}

void load_active_serving(ActiveServing* out) {
    const int rc = SPI_execute(kActiveSql, true, 0);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "reading the movie_recs catalog failed: %s", SPI_result_code_string(rc));
    if (SPI_processed == 0)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("no trained movie_recs model"),
                        errhint("Run train_movie_clusters() first.")));
    SPITupleTable* t = SPI_tuptable;
    bool isnull;
    const int64 model_id = DatumGetInt64(SPI_getbinval(t->vals[0], t->tupdesc, 1, &isnull));
    const TimestampTz created_at =
        DatumGetTimestampTz(SPI_getbinval(t->vals[0], t->tupdesc, 2, &isnull));
    const int k = DatumGetInt32(SPI_getbinval(t->vals[0], t->tupdesc, 3, &isnull));
    const Oid catalog_oid = DatumGetObjectId(SPI_getbinval(t->vals[0], t->tupdesc, 4, &isnull));
    SPI_freetuptable(t);
    if (!serving_cache_holds(model_id, created_at, catalog_oid))
        load_serving_cache(model_id, created_at, catalog_oid, k);
    const ServingCache& cache = serving_cache();
    out->model_id = model_id;
    out->k = k;
    out->cluster_ids = cache.cluster_ids;
    out->source_schema = cache.source_schema;
    out->source_table = cache.source_table;
    out->user_column = cache.user_column;
    out->movie_column = cache.movie_column;
    out->rating_column = cache.rating_column;
}

const core::ServingModel& serving_model() { return *serving_cache().model; }

}  // namespace movie_recs::pg

using namespace movie_recs::pg;

MOVIE_RECS_FUNCTION(recommend_movies) {
    if (PG_ARGISNULL(0))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("user_id must not be null")));
    if (PG_ARGISNULL(1))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED), errmsg("n must not be null")));
    const int64 user_id = PG_GETARG_INT64(0);
    const int32 n = PG_GETARG_INT32(1);
    if (n < 0 || n > movie_recs::core::kMaxRecommendations)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("n must be between 0 and %d",
                               movie_recs::core::kMaxRecommendations)));
    // The row type the executor expects (it has built it already, for a call in FROM or in the
    // select list): taken as it is rather than built again from the catalog at every call.
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
    const bool expected = rsinfo != nullptr && IsA(rsinfo, ReturnSetInfo) &&
                          rsinfo->expectedDesc != nullptr;
    InitMaterializedSRF(fcinfo, expected ? MAT_SRF_USE_EXPECTED_DESC : 0);
    MemoryContext cxt = CurrentMemoryContext;

    // Declared by the 0.1.0 script (a 0.1.0 catalog, before ALTER EXTENSION ... UPDATE), the
    // function returns three columns, without source.
    const int natts = rsinfo->setDesc->natts;
    const bool catalog_0_1_0 = natts == 3;
    UserPlacement place;
    place_user(user_id, false, catalog_0_1_0, cxt, &place);

    int64* ids = nullptr;
    double* scores = nullptr;
    int rows = recommend_into(serving_model(), place.clusters, place.weights, place.width,
                              place.seen, place.nseen, n, cxt, &ids, &scores);
    Datum source = CStringGetTextDatum(place.source);
    for (int i = 0; i < rows; ++i) {
        Datum values[4] = {Int64GetDatum(ids[i]), Float8GetDatum(scores[i]), Int32GetDatum(i + 1),
                           source};
        bool nulls[4] = {false, false, false, false};
        // Only the first natts values are used: a 0.1.0 declaration has no source column.
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum)0;
}
