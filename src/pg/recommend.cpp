// recommend_movies(): top-n unseen movies for one user from the active model.
//
// Per backend, the serving part of the active model (cluster lists, prior weights, popular list)
// is cached as a core::ServingModel together with a kept plan that reads a user's seen movies
// from the model's source relation. Every call looks up the active model and the user's soft
// assignment in one query; the cache is reloaded when the active model changed. The seen movies
// are read at call time, so ratings added after training are excluded too.
#include <cstdint>
#include <new>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "core/model.hpp"
#include "core/recommend.hpp"
#include "pg/guard.hpp"
#include "pg/serving_reads.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

namespace movie_recs::pg {
namespace {

const char kLookupSql[] =
    "SELECT m.model_id, m.created_at, m.k, a.soft_clusters, a.soft_weights, m.tableoid"
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
    core::ServingModel* model;  // owned
    SPIPlanPtr seen_plan;       // kept
    char* source;               // "schema.table", in TopMemoryContext
    char* names;                // schema, table, user and movie column, NUL-separated, ditto
};
ServingCache cache;
SPIPlanPtr lookup_plan;  // kept

// The serving data of one model as read from the catalog (plain arrays).
struct ModelRows {
    int k;
    double* prior;            // k
    int64* list_offsets;      // k + 1
    int64* list_movie_ids;
    double* list_scores;
    int64 popular_count;
    int64* popular_movie_ids;
    double* popular_scores;
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

bool source_changed(int sqlstate) {
    return sqlstate == ERRCODE_UNDEFINED_TABLE || sqlstate == ERRCODE_UNDEFINED_COLUMN ||
           sqlstate == ERRCODE_INVALID_SCHEMA_NAME || sqlstate == ERRCODE_UNDEFINED_FUNCTION ||
           sqlstate == ERRCODE_DATATYPE_MISMATCH || sqlstate == ERRCODE_CANNOT_COERCE;
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
                             const char* movie_column, const char* source) {
    char* sql = psprintf("SELECT %s::pg_catalog.int8 FROM %s WHERE %s = $1",
                         quote_identifier(movie_column), quote_qualified_identifier(schema, table),
                         quote_identifier(user_column));
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

[[noreturn]] void catalog_corrupt(int64 model_id, const char* what) {
    ereport(ERROR, (errcode(ERRCODE_DATA_CORRUPTED),
                    errmsg("movie_recs model %lld is incomplete: %s",
                           static_cast<long long>(model_id), what),
                    errhint("Run train_movie_clusters() again.")));
}

Datum column(SPITupleTable* t, uint64 row, int col, int64 model_id) {
    bool isnull;
    Datum d = SPI_getbinval(t->vals[row], t->tupdesc, col, &isnull);
    if (isnull) catalog_corrupt(model_id, "unexpected NULL");
    return d;
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
    for (int c = 0; c < k; ++c) {
        if (DatumGetInt32(column(t, c, 1, model_id)) != c + 1)
            catalog_corrupt(model_id, "cluster ids of the centroids are not 1..k");
        r->prior[c] = DatumGetFloat8(column(t, c, 2, model_id));
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
        int32 c = DatumGetInt32(column(t, i, 1, model_id));
        if (c < 1 || c > k) catalog_corrupt(model_id, "cluster_movies names a cluster out of range");
        r->list_offsets[c] += 1;
        r->list_movie_ids[i] = DatumGetInt64(column(t, i, 2, model_id));
        r->list_scores[i] = DatumGetFloat8(column(t, i, 3, model_id));
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
        r->popular_movie_ids[i] = DatumGetInt64(column(t, i, 1, model_id));
        r->popular_scores[i] = DatumGetFloat8(column(t, i, 2, model_id));
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
    if (cache.source != nullptr) {
        pfree(cache.source);
        cache.source = nullptr;
    }
    if (cache.names != nullptr) {
        pfree(cache.names);
        cache.names = nullptr;
    }
}

// Loads model_id into the cache (SPI connected).
void load_cache(int64 model_id, TimestampTz created_at, Oid catalog_oid, int k) {
    invalidate_cache();

    SPITupleTable* t = query_model(
        "SELECT source_schema, source_table, user_column, movie_column"
        " FROM movie_recs.models WHERE model_id = $1",
        model_id);
    if (SPI_processed != 1) catalog_corrupt(model_id, "model row not found");
    const char* schema = NameStr(*DatumGetName(column(t, 0, 1, model_id)));
    const char* table = NameStr(*DatumGetName(column(t, 0, 2, model_id)));
    const char* user_column = NameStr(*DatumGetName(column(t, 0, 3, model_id)));
    const char* movie_column = NameStr(*DatumGetName(column(t, 0, 4, model_id)));
    char* source = psprintf("%s.%s", schema, table);

    // The plan is kept only once everything else succeeded; until then an error frees it.
    SPIPlanPtr seen = prepare_seen_plan(schema, table, user_column, movie_column, source);
    ModelRows rows;
    read_model_rows(model_id, k, &rows);
    char* kept_source = MemoryContextStrdup(TopMemoryContext, source);
    const Size lens[4] = {strlen(schema) + 1, strlen(table) + 1, strlen(user_column) + 1,
                          strlen(movie_column) + 1};
    char* names = static_cast<char*>(
        MemoryContextAlloc(TopMemoryContext, lens[0] + lens[1] + lens[2] + lens[3]));
    memcpy(names, schema, lens[0]);
    memcpy(names + lens[0], table, lens[1]);
    memcpy(names + lens[0] + lens[1], user_column, lens[2]);
    memcpy(names + lens[0] + lens[1] + lens[2], movie_column, lens[3]);
    core::ServingModel* model = build_serving_model(rows);  // may throw (leaves kept_source)

    if (SPI_keepplan(seen) != 0) {
        free_serving_model(model);
        elog(ERROR, "SPI_keepplan failed");
    }
    cache.seen_plan = seen;
    cache.model = model;
    cache.source = kept_source;
    cache.names = names;
    cache.model_id = model_id;
    cache.created_at = created_at;
    cache.catalog_oid = catalog_oid;
    cache.k = k;
    cache.valid = true;
}

void connect_spi(bool* connected) {
    if (*connected) return;
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");
    *connected = true;
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

}  // namespace
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

    // SPI is connected only when a query is needed (a fallback, or loading the cache).
    bool spi = false;
    // The active model and the user's soft assignment: through the catalog's indexes
    // (serving_reads.cpp), or by the SQL query when that is not possible.
    int64 model_id;
    TimestampTz created_at;
    int k;
    Oid catalog_oid;
    int width = 0;
    int32* clusters = nullptr;
    float* weights = nullptr;
    bool isnull;
    ActiveModel direct;
    if (read_active_model(user_id, cxt, &direct)) {
        if (!direct.found)
            ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                            errmsg("no trained movie_recs model"),
                            errhint("Run train_movie_clusters() first.")));
        model_id = direct.model_id;
        created_at = direct.created_at;
        k = direct.k;
        catalog_oid = direct.catalog_oid;
        if (direct.malformed) catalog_corrupt(model_id, "malformed soft assignment");
        width = direct.width;
        clusters = direct.clusters;
        weights = direct.weights;
    } else {
        connect_spi(&spi);
        if (lookup_plan == nullptr) {
            Oid types[1] = {INT8OID};
            SPIPlanPtr plan = SPI_prepare(kLookupSql, 1, types);
            if (plan == nullptr || SPI_keepplan(plan) != 0)
                elog(ERROR, "preparing the movie_recs model lookup failed: %s",
                     SPI_result_code_string(SPI_result));
            lookup_plan = plan;
        }
        Datum arg[1] = {Int64GetDatum(user_id)};
        int rc = SPI_execute_plan(lookup_plan, arg, nullptr, true, 0);
        if (rc != SPI_OK_SELECT)
            elog(ERROR, "reading the movie_recs catalog failed: %s", SPI_result_code_string(rc));
        if (SPI_processed == 0)
            ereport(ERROR, (errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
                            errmsg("no trained movie_recs model"),
                            errhint("Run train_movie_clusters() first.")));
        SPITupleTable* t = SPI_tuptable;
        model_id = DatumGetInt64(SPI_getbinval(t->vals[0], t->tupdesc, 1, &isnull));
        created_at = DatumGetTimestampTz(SPI_getbinval(t->vals[0], t->tupdesc, 2, &isnull));
        k = DatumGetInt32(SPI_getbinval(t->vals[0], t->tupdesc, 3, &isnull));
        catalog_oid = DatumGetObjectId(SPI_getbinval(t->vals[0], t->tupdesc, 6, &isnull));

        // The user's soft assignment; none for a user the model was not trained on.
        bool null_clusters, null_weights;
        Datum dc = SPI_getbinval(t->vals[0], t->tupdesc, 4, &null_clusters);
        Datum dw = SPI_getbinval(t->vals[0], t->tupdesc, 5, &null_weights);
        if (!null_clusters && !null_weights) {
            int nw = 0;
            void* pc = nullptr;
            void* pw = nullptr;
            if (!read_soft_array(dc, INT4OID, &width, &pc, cxt) ||
                !read_soft_array(dw, FLOAT4OID, &nw, &pw, cxt) || nw != width)
                catalog_corrupt(model_id, "malformed soft assignment");
            clusters = static_cast<int32*>(pc);
            weights = static_cast<float*>(pw);
        }
    }
    for (int i = 0; i < width; ++i) {
        if (clusters[i] < 1 || clusters[i] > k)
            catalog_corrupt(model_id, "soft assignment names a cluster out of range");
        clusters[i] -= 1;  // SQL cluster ids are 1..k, core indexes 0..k-1
    }

    if (!cache.valid || cache.model_id != model_id || cache.created_at != created_at ||
        cache.catalog_oid != catalog_oid) {
        connect_spi(&spi);
        load_cache(model_id, created_at, catalog_oid, k);
    }

    // The movies the user has rated: through the source table's index, or by the SQL query.
    const char* schema = cache.names;
    const char* table = schema + strlen(schema) + 1;
    const char* user_column = table + strlen(table) + 1;
    const char* movie_column = user_column + strlen(user_column) + 1;
    int64* seen = nullptr;
    int64 kept = 0;
    if (!read_user_movies(schema, table, user_column, movie_column, user_id, cxt, &seen, &kept)) {
        connect_spi(&spi);
        execute_seen_plan(user_id);
        const int64 nseen = static_cast<int64>(SPI_processed);
        seen = static_cast<int64*>(MemoryContextAlloc(cxt, sizeof(int64) * Max(nseen, 1)));
        for (int64 i = 0; i < nseen; ++i) {
            Datum d = SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull);
            if (!isnull) seen[kept++] = DatumGetInt64(d);
        }
    }
    if (spi) SPI_finish();

    int64* ids = nullptr;
    double* scores = nullptr;
    int rows = recommend_into(*cache.model, clusters, weights, width, seen, kept, n, cxt, &ids,
                              &scores);
    for (int i = 0; i < rows; ++i) {
        Datum values[3] = {Int64GetDatum(ids[i]), Float8GetDatum(scores[i]), Int32GetDatum(i + 1)};
        bool nulls[3] = {false, false, false};
        tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    }
    return (Datum)0;
}
