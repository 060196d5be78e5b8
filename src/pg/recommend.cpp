// recommend_movies(): top-n unseen movies for one user from the active model.
//
// Per backend, the serving part of the active model (cluster lists, prior weights, popular list,
// and the centroids for fold-in) is cached as a core::ServingModel and a core::FoldIn together
// with a kept plan that reads a user's current ratings from the model's source relation. Every
// call looks up the active model and the user's stored assignment, and reads the user's ratings:
// directly through the indexes (serving_reads.cpp) when the caller's rights allow it without row-
// level security, else by the SQL queries (one lookup query, the kept plan); SPI is connected only
// when a query is needed. The cache is reloaded when the active model changed. The user's ratings
// are read at call time: they are
// excluded from the result, and when they differ from the ones the model was trained on (or the
// model does not know the user) the user is folded in from them (source 'fold_in'). Cluster ids
// of the catalog are stable across retraining, not necessarily 1..k: the stored soft assignments
// and the centroids map to the core's indexes 0..k-1 through cluster_index.hpp.
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
#include "pg/serving_reads.hpp"

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

// The cached serving model of this backend. Plain static data: zero-initialised, no
// constructors or destructors run at load or exit.
struct ServingCache {
    bool valid;
    int64 model_id;
    // With model_id, created_at and the catalog table's oid identify a model even across a
    // catalog dropped and re-created in one transaction, where ids restart and now() stays put.
    TimestampTz created_at;
    Oid catalog_oid;
    int k;
    int32* cluster_ids;         // k, ascending: the catalog's ids of core clusters 0..k-1
    core::ServingModel* model;  // owned
    core::FoldIn* fold_in;      // owned
    SPIPlanPtr seen_plan;       // kept: (movie, rating) of one user
    char* source;               // "schema.table", in TopMemoryContext
    // The names the source was trained with, for the direct read (in TopMemoryContext).
    char* source_schema;
    char* source_table;
    char* user_column;
    char* movie_column;
    char* rating_column;  // NULL: every row counts as a rating of 1
};
ServingCache cache;
SPIPlanPtr lookup_plan;        // kept
SPIPlanPtr lookup_plan_0_1_0;  // kept

// The serving data of one model as read from the catalog (plain arrays).
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
    // Fold-in: the stored centroids and the model's soft assignment parameters.
    int64* centroid_offsets;  // k + 1
    int64* centroid_movie_ids;
    float* centroid_weights;
    const char* user_vector;
    int soft_clusters;
    double temperature;
};

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

void free_serving_model(core::ServingModel* m) noexcept { delete m; }

core::FoldIn* build_fold_in(const ModelRows& r) {
    core::UserVector kind;
    if (!core::parse_user_vector(r.user_vector, &kind))
        throw core::Error(core::ErrorKind::InvalidData,
                          std::string("the active movie_recs model has an unknown user_vector \"") +
                              r.user_vector + "\"",
                          {}, "Run train_movie_clusters() again.");
    std::vector<core::SparseCentroid> centroids(static_cast<std::size_t>(r.k));
    for (int c = 0; c < r.k; ++c) {
        const int64 begin = r.centroid_offsets[c], end = r.centroid_offsets[c + 1];
        centroids[c].movie_ids.assign(r.centroid_movie_ids + begin, r.centroid_movie_ids + end);
        centroids[c].weights.assign(r.centroid_weights + begin, r.centroid_weights + end);
    }
    return new core::FoldIn(centroids, kind, r.soft_clusters, r.temperature);
}

void free_fold_in(core::FoldIn* f) noexcept { delete f; }

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
    std::vector<std::int64_t> seen_ids(seen, seen + nseen);
    std::vector<core::ScoredMovie> top =
        model.recommend(clusters, weights, width, std::move(seen_ids), n);
    *ids = alloc_array<int64>(cxt, top.size());
    *scores = alloc_array<double>(cxt, top.size());
    for (std::size_t i = 0; i < top.size(); ++i) {
        (*ids)[i] = top[i].movie_id;
        (*scores)[i] = top[i].score;
    }
    return static_cast<int>(top.size());
}

// ---- PostgreSQL phase --------------------------------------------------------------------

// Errors reading a user's ratings that mean the source relation is no longer what the model was
// trained on: gone, renamed, replaced by another kind of object, a column dropped or renamed, or
// a column's type changed to one whose values no longer convert (e.g. text holding 'r4').
bool source_changed(int sqlstate) {
    return sqlstate == ERRCODE_UNDEFINED_TABLE || sqlstate == ERRCODE_UNDEFINED_COLUMN ||
           sqlstate == ERRCODE_INVALID_SCHEMA_NAME || sqlstate == ERRCODE_UNDEFINED_FUNCTION ||
           sqlstate == ERRCODE_DATATYPE_MISMATCH || sqlstate == ERRCODE_CANNOT_COERCE ||
           sqlstate == ERRCODE_WRONG_OBJECT_TYPE ||
           sqlstate == ERRCODE_INVALID_TEXT_REPRESENTATION ||
           sqlstate == ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE;
}

// Inside PG_CATCH: when the error says the source relation is gone or different, re-raise it
// with a hint to retrain; otherwise return (the caller re-throws the original).
void add_source_hint(MemoryContext saved, const char* source) {
    MemoryContextSwitchTo(saved);
    ErrorData* e = CopyErrorData();
    if (!source_changed(e->sqlerrcode)) {
        FreeErrorData(e);
        return;
    }
    FlushErrorState();
    e->hint = psprintf("Relation \"%s\" changed after the active movie_recs model was trained "
                       "on it; run train_movie_clusters() again.",
                       source);
    ReThrowError(e);
}

SPIPlanPtr prepare_seen_plan(const char* schema, const char* table, const char* user_column,
                             const char* movie_column, const char* rating_column,
                             const char* source) {
    char* sql = psprintf("SELECT %s::pg_catalog.int8, %s::pg_catalog.float8 FROM %s WHERE %s = $1",
                         quote_identifier(movie_column),
                         rating_column != nullptr ? quote_identifier(rating_column) : "1",
                         quote_qualified_identifier(schema, table), quote_identifier(user_column));
    Oid types[1] = {INT8OID};
    MemoryContext saved = CurrentMemoryContext;
    SPIPlanPtr plan = nullptr;
    PG_TRY();
    {
        plan = SPI_prepare(sql, 1, types);
    }
    PG_CATCH();
    {
        add_source_hint(saved, source);
        PG_RE_THROW();
    }
    PG_END_TRY();
    if (plan == nullptr)
        elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
    return plan;
}

void execute_seen_plan(int64 user_id) {
    MemoryContext saved = CurrentMemoryContext;
    PG_TRY();
    {
        Datum v[1] = {Int64GetDatum(user_id)};
        int rc = SPI_execute_plan(cache.seen_plan, v, nullptr, true, 0);
        if (rc != SPI_OK_SELECT)
            elog(ERROR, "reading seen movies failed: %s", SPI_result_code_string(rc));
    }
    PG_CATCH();
    {
        add_source_hint(saved, cache.source);
        PG_RE_THROW();
    }
    PG_END_TRY();
}

SPITupleTable* query_model(const char* sql, int64 model_id) {
    Oid types[1] = {INT8OID};
    Datum v[1] = {Int64GetDatum(model_id)};
    int rc = SPI_execute_with_args(sql, 1, types, v, nullptr, true, 0);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "reading the movie_recs catalog failed: %s", SPI_result_code_string(rc));
    return SPI_tuptable;
}

// Reads the serving data of a model into `r` (memory of the current SPI procedure).
void read_model_rows(int64 model_id, int k, ModelRows* r) {
    r->k = k;
    SPITupleTable* t = query_model(
        "SELECT cluster_id, prior_weight FROM movie_recs.centroids WHERE model_id = $1"
        " ORDER BY cluster_id",
        model_id);
    if (SPI_processed != static_cast<uint64>(k))
        catalog_corrupt(model_id, "centroids do not match k");
    r->prior = static_cast<double*>(palloc(sizeof(double) * k));
    r->cluster_ids = static_cast<int32*>(palloc(sizeof(int32) * k));
    for (int c = 0; c < k; ++c) {
        r->cluster_ids[c] = DatumGetInt32(catalog_value(t, c, 1, model_id));
        if (c > 0 && r->cluster_ids[c] <= r->cluster_ids[c - 1])
            catalog_corrupt(model_id, "cluster ids of the centroids are not distinct");
        r->prior[c] = DatumGetFloat8(catalog_value(t, c, 2, model_id));
    }

    t = query_model(
        "SELECT cluster_id, movie_id, score FROM movie_recs.cluster_movies WHERE model_id = $1"
        " ORDER BY cluster_id, rank",
        model_id);
    uint64 rows = SPI_processed;
    r->list_offsets = static_cast<int64*>(palloc0(sizeof(int64) * (k + 1)));
    r->list_movie_ids = static_cast<int64*>(palloc_extended(sizeof(int64) * Max(rows, 1), MCXT_ALLOC_HUGE));
    r->list_scores = static_cast<double*>(palloc_extended(sizeof(double) * Max(rows, 1), MCXT_ALLOC_HUGE));
    for (uint64 i = 0; i < rows; ++i) {
        int c = cluster_index(r->cluster_ids, k, DatumGetInt32(catalog_value(t, i, 1, model_id)));
        if (c < 0) catalog_corrupt(model_id, "cluster_movies names a cluster without a centroid");
        r->list_offsets[c + 1] += 1;
        r->list_movie_ids[i] = DatumGetInt64(catalog_value(t, i, 2, model_id));
        r->list_scores[i] = DatumGetFloat8(catalog_value(t, i, 3, model_id));
    }
    for (int c = 0; c < k; ++c) r->list_offsets[c + 1] += r->list_offsets[c];

    t = query_model(
        "SELECT movie_id, score FROM movie_recs.popular_movies WHERE model_id = $1 ORDER BY rank",
        model_id);
    rows = SPI_processed;
    r->popular_count = static_cast<int64>(rows);
    r->popular_movie_ids = static_cast<int64*>(palloc(sizeof(int64) * Max(rows, 1)));
    r->popular_scores = static_cast<double*>(palloc(sizeof(double) * Max(rows, 1)));
    for (uint64 i = 0; i < rows; ++i) {
        r->popular_movie_ids[i] = DatumGetInt64(catalog_value(t, i, 1, model_id));
        r->popular_scores[i] = DatumGetFloat8(catalog_value(t, i, 2, model_id));
    }

    // In cluster_id order like r->cluster_ids: centroid c is core cluster index c.
    t = query_model(
        "SELECT movie_ids, weights FROM movie_recs.centroids WHERE model_id = $1"
        " ORDER BY cluster_id",
        model_id);
    if (SPI_processed != static_cast<uint64>(k))
        catalog_corrupt(model_id, "centroids do not match k");
    int64 total = 0;
    ArrayType** ids = static_cast<ArrayType**>(palloc(sizeof(ArrayType*) * k));
    ArrayType** ws = static_cast<ArrayType**>(palloc(sizeof(ArrayType*) * k));
    for (int c = 0; c < k; ++c) {
        ids[c] = DatumGetArrayTypeP(catalog_value(t, c, 1, model_id));
        ws[c] = DatumGetArrayTypeP(catalog_value(t, c, 2, model_id));
        if (ARR_NDIM(ids[c]) > 1 || ARR_HASNULL(ids[c]) || ARR_HASNULL(ws[c]) ||
            ARR_ELEMTYPE(ids[c]) != INT8OID || ARR_ELEMTYPE(ws[c]) != FLOAT4OID ||
            ArrayGetNItems(ARR_NDIM(ids[c]), ARR_DIMS(ids[c])) !=
                ArrayGetNItems(ARR_NDIM(ws[c]), ARR_DIMS(ws[c])))
            catalog_corrupt(model_id, "malformed centroid");
        total += ArrayGetNItems(ARR_NDIM(ids[c]), ARR_DIMS(ids[c]));
    }
    r->centroid_offsets = static_cast<int64*>(palloc0(sizeof(int64) * (k + 1)));
    r->centroid_movie_ids =
        static_cast<int64*>(palloc_extended(sizeof(int64) * Max(total, 1), MCXT_ALLOC_HUGE));
    r->centroid_weights =
        static_cast<float*>(palloc_extended(sizeof(float) * Max(total, 1), MCXT_ALLOC_HUGE));
    for (int c = 0; c < k; ++c) {
        const int n = ArrayGetNItems(ARR_NDIM(ids[c]), ARR_DIMS(ids[c]));
        r->centroid_offsets[c + 1] = r->centroid_offsets[c] + n;
        memcpy(r->centroid_movie_ids + r->centroid_offsets[c], ARR_DATA_PTR(ids[c]),
               sizeof(int64) * n);
        memcpy(r->centroid_weights + r->centroid_offsets[c], ARR_DATA_PTR(ws[c]),
               sizeof(float) * n);
    }
}

void invalidate_cache() {
    cache.valid = false;
    if (cache.seen_plan != nullptr) {
        SPI_freeplan(cache.seen_plan);
        cache.seen_plan = nullptr;
    }
    if (cache.model != nullptr) {
        free_serving_model(cache.model);
        cache.model = nullptr;
    }
    if (cache.fold_in != nullptr) {
        free_fold_in(cache.fold_in);
        cache.fold_in = nullptr;
    }
    if (cache.source != nullptr) {
        pfree(cache.source);
        cache.source = nullptr;
    }
    if (cache.cluster_ids != nullptr) {
        pfree(cache.cluster_ids);
        cache.cluster_ids = nullptr;
    }
    for (char** name : {&cache.source_schema, &cache.source_table, &cache.user_column,
                        &cache.movie_column, &cache.rating_column})
        if (*name != nullptr) {
            pfree(*name);
            *name = nullptr;
        }
}

char* kept_name(const char* name) {
    return name != nullptr ? MemoryContextStrdup(TopMemoryContext, name) : nullptr;
}

// Loads model_id into the cache (SPI connected).
void load_cache(int64 model_id, TimestampTz created_at, Oid catalog_oid, int k) {
    invalidate_cache();

    SPITupleTable* t = query_model(
        "SELECT source_schema, source_table, user_column, movie_column, rating_column,"
        " user_vector, soft_clusters, temperature"
        " FROM movie_recs.models WHERE model_id = $1",
        model_id);
    if (SPI_processed != 1) catalog_corrupt(model_id, "model row not found");
    const char* schema = NameStr(*DatumGetName(catalog_value(t, 0, 1, model_id)));
    const char* table = NameStr(*DatumGetName(catalog_value(t, 0, 2, model_id)));
    const char* user_column = NameStr(*DatumGetName(catalog_value(t, 0, 3, model_id)));
    const char* movie_column = NameStr(*DatumGetName(catalog_value(t, 0, 4, model_id)));
    bool no_rating;
    Datum rating_datum = SPI_getbinval(t->vals[0], t->tupdesc, 5, &no_rating);
    const char* rating_column = no_rating ? nullptr : NameStr(*DatumGetName(rating_datum));
    ModelRows rows;
    rows.user_vector = TextDatumGetCString(catalog_value(t, 0, 6, model_id));
    rows.soft_clusters = DatumGetInt32(catalog_value(t, 0, 7, model_id));
    rows.temperature = DatumGetFloat8(catalog_value(t, 0, 8, model_id));
    if (rows.soft_clusters < 1 || !(rows.temperature > 0))
        catalog_corrupt(model_id, "soft_clusters or temperature out of range");
    char* source = psprintf("%s.%s", schema, table);

    // The plan is kept only once everything else succeeded; until then an error frees it.
    SPIPlanPtr seen =
        prepare_seen_plan(schema, table, user_column, movie_column, rating_column, source);
    read_model_rows(model_id, k, &rows);
    char* kept_source = MemoryContextStrdup(TopMemoryContext, source);
    int32* kept_ids = static_cast<int32*>(MemoryContextAlloc(TopMemoryContext, sizeof(int32) * k));
    memcpy(kept_ids, rows.cluster_ids, sizeof(int32) * k);
    core::ServingModel* model = build_serving_model(rows);  // may throw (leaks the two copies)
    core::FoldIn* fold = nullptr;
    try {
        fold = build_fold_in(rows);
    } catch (...) {
        free_serving_model(model);
        throw;
    }

    if (SPI_keepplan(seen) != 0) {
        free_serving_model(model);
        free_fold_in(fold);
        elog(ERROR, "SPI_keepplan failed");
    }
    cache.seen_plan = seen;
    cache.model = model;
    cache.fold_in = fold;
    cache.source = kept_source;
    cache.cluster_ids = kept_ids;
    cache.source_schema = kept_name(schema);
    cache.source_table = kept_name(table);
    cache.user_column = kept_name(user_column);
    cache.movie_column = kept_name(movie_column);
    cache.rating_column = kept_name(rating_column);
    cache.model_id = model_id;
    cache.created_at = created_at;
    cache.catalog_oid = catalog_oid;
    cache.k = k;
    cache.valid = true;
}

// Copies a one-dimensional array without NULLs of `n` 4-byte elements into dst.
bool read_soft_array(Datum d, Oid elemtype, int* n, void** dst, MemoryContext cxt) {
    ArrayType* a = DatumGetArrayTypeP(d);
    if (ARR_ELEMTYPE(a) != elemtype || ARR_HASNULL(a) || ARR_NDIM(a) > 1) return false;
    *n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
    *dst = MemoryContextAlloc(cxt, sizeof(int32) * Max(*n, 1));
    memcpy(*dst, ARR_DATA_PTR(a), sizeof(int32) * *n);
    return true;
}

void connect_spi(bool* connected) {
    if (*connected) return;
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    *connected = true;
}

// The active model and the user's stored assignment by the SQL query (SPI connected).
void lookup_by_query(int64 user_id, bool catalog_0_1_0, MemoryContext cxt, ActiveModel* out) {
    memset(out, 0, sizeof(*out));
    out->null_fingerprint = true;
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
    out->found = true;
    SPITupleTable* t = SPI_tuptable;
    bool isnull;
    out->model_id = DatumGetInt64(SPI_getbinval(t->vals[0], t->tupdesc, 1, &isnull));
    out->created_at = DatumGetTimestampTz(SPI_getbinval(t->vals[0], t->tupdesc, 2, &isnull));
    out->k = DatumGetInt32(SPI_getbinval(t->vals[0], t->tupdesc, 3, &isnull));
    out->catalog_oid = DatumGetObjectId(SPI_getbinval(t->vals[0], t->tupdesc, 6, &isnull));
    bool null_clusters, null_weights;
    Datum dc = SPI_getbinval(t->vals[0], t->tupdesc, 4, &null_clusters);
    Datum dw = SPI_getbinval(t->vals[0], t->tupdesc, 5, &null_weights);
    Datum df = SPI_getbinval(t->vals[0], t->tupdesc, 7, &out->null_fingerprint);
    if (!out->null_fingerprint) out->fingerprint = DatumGetInt64(df);
    out->known = !null_clusters && !null_weights;
    if (out->known) {
        int nw = 0;
        void* pc = nullptr;
        void* pw = nullptr;
        if (!read_soft_array(dc, INT4OID, &out->width, &pc, cxt) ||
            !read_soft_array(dw, FLOAT4OID, &nw, &pw, cxt) || nw != out->width)
            out->malformed = true;
        out->clusters = static_cast<int32*>(pc);
        out->weights = static_cast<float*>(pw);
    }
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
    bool spi = false;  // connected only when a query is needed

    ActiveModel found;
    if (!read_active_model(user_id, catalog_0_1_0, cxt, &found)) {
        connect_spi(&spi);
        lookup_by_query(user_id, catalog_0_1_0, cxt, &found);
    }
    if (!found.found)
        ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                        errmsg("no trained movie_recs model"),
                        errhint("Run train_movie_clusters() first.")));
    const int64 model_id = found.model_id;
    const int k = found.k;
    out->model_id = model_id;
    out->k = k;
    if (found.malformed) catalog_corrupt(model_id, "malformed soft assignment");
    // The user's stored soft assignment; none for a user the model was not trained on.
    // A NULL fingerprint: the model was trained before fingerprints existed (a 0.1.0 catalog, or
    // a 0.1.0 model kept through the upgrade); the stored assignment is used as 0.1.0 did.
    const bool known = found.known;
    const bool null_fingerprint = found.null_fingerprint;
    const int64 stored_fingerprint = known && !null_fingerprint ? found.fingerprint : 0;
    const int width = found.width;
    int32* clusters = found.clusters;
    float* weights = found.weights;

    if (!cache.valid || cache.model_id != model_id || cache.created_at != found.created_at ||
        cache.catalog_oid != found.catalog_oid) {
        connect_spi(&spi);
        load_cache(model_id, found.created_at, found.catalog_oid, k);
    }
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
    if (spi) SPI_finish();

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
        fold_in_into(*cache.fold_in, rated, rated_values, nrated, need_distances, cxt,
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
    if (!cache.valid || cache.model_id != model_id || cache.created_at != created_at ||
        cache.catalog_oid != catalog_oid)
        load_cache(model_id, created_at, catalog_oid, k);
    out->model_id = model_id;
    out->k = k;
    out->cluster_ids = cache.cluster_ids;
    out->source_schema = cache.source_schema;
    out->source_table = cache.source_table;
    out->user_column = cache.user_column;
    out->movie_column = cache.movie_column;
    out->rating_column = cache.rating_column;
}

const core::ServingModel& serving_model() { return *cache.model; }

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
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);
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
