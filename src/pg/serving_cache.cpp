// The per-backend cache of the active model's serving data (see serving_cache.hpp).
#include <new>
#include <string>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "core/fold_in.hpp"
#include "core/model.hpp"
#include "core/recommend.hpp"
#include "pg/cluster_index.hpp"
#include "pg/guard.hpp"
#include "pg/serving.hpp"
#include "pg/serving_cache.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
}

namespace movie_recs::pg {
namespace {

ServingCache cache;

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
};

// The stored centroids of a model for the fold-in, in core cluster index order (plain arrays).
struct CentroidRows {
    int k;
    int64* offsets;  // k + 1
    int64* movie_ids;
    float* weights;
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

// The core::UserVector named by a model's user_vector column.
int user_vector_kind(const char* name) {
    core::UserVector kind;
    if (!core::parse_user_vector(name, &kind))
        throw core::Error(core::ErrorKind::InvalidData,
                          std::string("the active movie_recs model has an unknown user_vector \"") +
                              name + "\"",
                          {}, "Run train_movie_clusters() again.");
    return static_cast<int>(kind);
}

core::FoldIn* build_fold_in(const CentroidRows& r, int user_vector, int soft_clusters,
                            double temperature) {
    std::vector<core::SparseCentroid> centroids(static_cast<std::size_t>(r.k));
    for (int c = 0; c < r.k; ++c) {
        const int64 begin = r.offsets[c], end = r.offsets[c + 1];
        centroids[c].movie_ids.assign(r.movie_ids + begin, r.movie_ids + end);
        centroids[c].weights.assign(r.weights + begin, r.weights + end);
    }
    return new core::FoldIn(centroids, static_cast<core::UserVector>(user_vector), soft_clusters,
                            temperature);
}

void free_fold_in(core::FoldIn* f) noexcept { delete f; }

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

void run_seen_plan(int64 user_id) {
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
}

// Reads the stored centroids of a model into `r` (memory of the current SPI procedure), in
// cluster_id order like cluster_ids (k, ascending, as the cache read them): centroid c is core
// cluster index c.
void read_centroids(int64 model_id, int k, const int32* cluster_ids, CentroidRows* r) {
    r->k = k;
    SPITupleTable* t = query_model(
        "SELECT cluster_id, movie_ids, weights FROM movie_recs.centroids WHERE model_id = $1"
        " ORDER BY cluster_id",
        model_id);
    if (SPI_processed != static_cast<uint64>(k))
        catalog_corrupt(model_id, "centroids do not match k");
    int64 total = 0;
    ArrayType** ids = static_cast<ArrayType**>(palloc(sizeof(ArrayType*) * k));
    ArrayType** ws = static_cast<ArrayType**>(palloc(sizeof(ArrayType*) * k));
    for (int c = 0; c < k; ++c) {
        if (DatumGetInt32(catalog_value(t, c, 1, model_id)) != cluster_ids[c])
            catalog_corrupt(model_id, "centroids do not match k");
        ids[c] = DatumGetArrayTypeP(catalog_value(t, c, 2, model_id));
        ws[c] = DatumGetArrayTypeP(catalog_value(t, c, 3, model_id));
        if (ARR_NDIM(ids[c]) > 1 || ARR_HASNULL(ids[c]) || ARR_HASNULL(ws[c]) ||
            ARR_ELEMTYPE(ids[c]) != INT8OID || ARR_ELEMTYPE(ws[c]) != FLOAT4OID ||
            ArrayGetNItems(ARR_NDIM(ids[c]), ARR_DIMS(ids[c])) !=
                ArrayGetNItems(ARR_NDIM(ws[c]), ARR_DIMS(ws[c])))
            catalog_corrupt(model_id, "malformed centroid");
        total += ArrayGetNItems(ARR_NDIM(ids[c]), ARR_DIMS(ids[c]));
    }
    r->offsets = static_cast<int64*>(palloc0(sizeof(int64) * (k + 1)));
    r->movie_ids =
        static_cast<int64*>(palloc_extended(sizeof(int64) * Max(total, 1), MCXT_ALLOC_HUGE));
    r->weights =
        static_cast<float*>(palloc_extended(sizeof(float) * Max(total, 1), MCXT_ALLOC_HUGE));
    for (int c = 0; c < k; ++c) {
        const int n = ArrayGetNItems(ARR_NDIM(ids[c]), ARR_DIMS(ids[c]));
        r->offsets[c + 1] = r->offsets[c] + n;
        memcpy(r->movie_ids + r->offsets[c], ARR_DATA_PTR(ids[c]), sizeof(int64) * n);
        memcpy(r->weights + r->offsets[c], ARR_DATA_PTR(ws[c]), sizeof(float) * n);
    }
}

// Reads the cached model's centroids and builds its fold-in (into cache.fold_in).
void load_fold_in() {
    const int guc_level = set_catalog_search_path();  // recommend_movies() may get here
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    CentroidRows rows;
    read_centroids(cache.model_id, cache.k, cache.cluster_ids, &rows);
    // May throw; the rows are freed with the SPI procedure's memory when the error ends it.
    core::FoldIn* fold =
        build_fold_in(rows, cache.user_vector, cache.soft_clusters, cache.temperature);
    cache.fold_in.built = fold;
    SPI_finish();
    restore_search_path(guc_level);
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
    if (cache.fold_in.built != nullptr) {
        free_fold_in(cache.fold_in.built);
        cache.fold_in.built = nullptr;
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
    const int user_vector = user_vector_kind(TextDatumGetCString(catalog_value(t, 0, 6, model_id)));
    const int soft_clusters = DatumGetInt32(catalog_value(t, 0, 7, model_id));
    const double temperature = DatumGetFloat8(catalog_value(t, 0, 8, model_id));
    if (soft_clusters < 1 || !(temperature > 0))
        catalog_corrupt(model_id, "soft_clusters or temperature out of range");
    char* source = psprintf("%s.%s", schema, table);

    // The plan is kept only once everything else succeeded; until then an error frees it.
    SPIPlanPtr seen =
        prepare_seen_plan(schema, table, user_column, movie_column, rating_column, source);
    ModelRows rows;
    read_model_rows(model_id, k, &rows);
    char* kept_source = MemoryContextStrdup(TopMemoryContext, source);
    int32* kept_ids = static_cast<int32*>(MemoryContextAlloc(TopMemoryContext, sizeof(int32) * k));
    memcpy(kept_ids, rows.cluster_ids, sizeof(int32) * k);
    core::ServingModel* model = build_serving_model(rows);  // may throw (leaks the two copies)

    if (SPI_keepplan(seen) != 0) {
        free_serving_model(model);
        elog(ERROR, "SPI_keepplan failed");
    }
    cache.seen_plan = seen;
    cache.model = model;
    cache.user_vector = user_vector;
    cache.soft_clusters = soft_clusters;
    cache.temperature = temperature;
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


}  // namespace

const ServingCache& serving_cache() { return cache; }

bool serving_cache_holds(int64 model_id, TimestampTz created_at, Oid catalog_oid) {
    return cache.valid && cache.model_id == model_id && cache.created_at == created_at &&
           cache.catalog_oid == catalog_oid;
}

void load_serving_cache(int64 model_id, TimestampTz created_at, Oid catalog_oid, int k) {
    load_cache(model_id, created_at, catalog_oid, k);
}

int set_catalog_search_path() {
    const int level = NewGUCNestLevel();
    (void)set_config_option("search_path", "pg_catalog, pg_temp", PGC_USERSET, PGC_S_SESSION,
                            GUC_ACTION_SAVE, true, 0, false);
    return level;
}

void restore_search_path(int level) { AtEOXact_GUC(true, level); }

void execute_seen_plan(int64 user_id) { run_seen_plan(user_id); }

const core::FoldIn& LazyFoldIn::operator*() const {
    if (cache.fold_in.built == nullptr) load_fold_in();
    return *cache.fold_in.built;
}

}  // namespace movie_recs::pg
