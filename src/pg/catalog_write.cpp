// Writing a trained model to the catalog (schema movie_recs) through SPI, with the caller's
// rights and in the caller's transaction: an error or a cancel rolls everything back and the
// previously active model stays active. The model is written inactive and lifecycle.cpp
// activates it (into a 0.1.0 catalog it is written active, as 0.1.0 did). Per-user and per-movie
// rows go straight to the tables with their indexes (bulk_insert.hpp) where that is equivalent to
// an INSERT, else in batches through INSERT ... SELECT FROM unnest(arrays). Plain PostgreSQL
// code: no C++ object is alive here.
#include <cstddef>

#include "core/rating_matrix.hpp"
#include "pg/bulk_insert.hpp"
#include "pg/guard.hpp"
#include "pg/train_types.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"
}

namespace movie_recs::pg {
namespace {

const char kInsertModel[] =
    "INSERT INTO movie_recs.models (active, source_schema, source_table, user_column,"
    " movie_column, rating_column, k, max_iterations, tolerance, seed, user_vector,"
    " soft_clusters, temperature, shrinkage, list_length, threads, iterations, converged,"
    " inertia, users, movies, ratings, skipped_rows, duplicates_merged)"
    " VALUES ($24, $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,"
    " $17, $18, $19, $20, $21, $22, $23) RETURNING model_id";

const char kInsertCentroid[] =
    "INSERT INTO movie_recs.centroids (model_id, cluster_id, size, prior_weight, movie_ids,"
    " weights, ratings, mean_rating) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
const char kInsertCentroid_0_1_0[] =
    "INSERT INTO movie_recs.centroids (model_id, cluster_id, size, prior_weight, movie_ids,"
    " weights) VALUES ($1, $2, $3, $4, $5, $6)";

// $5/$6 hold the soft assignment of the batch flattened, $7 entries per user.
const char kInsertAssignments[] =
    "INSERT INTO movie_recs.assignments (model_id, user_id, cluster_id, distance,"
    " soft_clusters, soft_weights, fingerprint)"
    " SELECT $1, t.u, t.c, t.d,"
    " $5[((t.o - 1) * $7 + 1)::pg_catalog.int4 : (t.o * $7)::pg_catalog.int4],"
    " $6[((t.o - 1) * $7 + 1)::pg_catalog.int4 : (t.o * $7)::pg_catalog.int4], t.f"
    " FROM unnest($2::pg_catalog.int8[], $3::pg_catalog.int4[],"
    " $4::pg_catalog.float8[], $8::pg_catalog.int8[]) WITH ORDINALITY AS t(u, c, d, f, o)";

const char kInsertAssignments_0_1_0[] =
    "INSERT INTO movie_recs.assignments (model_id, user_id, cluster_id, distance,"
    " soft_clusters, soft_weights)"
    " SELECT $1, t.u, t.c, t.d,"
    " $5[((t.o - 1) * $7 + 1)::pg_catalog.int4 : (t.o * $7)::pg_catalog.int4],"
    " $6[((t.o - 1) * $7 + 1)::pg_catalog.int4 : (t.o * $7)::pg_catalog.int4]"
    " FROM unnest($2::pg_catalog.int8[], $3::pg_catalog.int4[],"
    " $4::pg_catalog.float8[]) WITH ORDINALITY AS t(u, c, d, o)";

const char kInsertClusterMovies[] =
    "INSERT INTO movie_recs.cluster_movies (model_id, cluster_id, rank, movie_id, score)"
    " SELECT $1, t.c, t.r, t.m, t.s FROM unnest($2::pg_catalog.int4[],"
    " $3::pg_catalog.int4[], $4::pg_catalog.int8[], $5::pg_catalog.float8[]) AS t(c, r, m, s)";

const char kInsertPopular[] =
    "INSERT INTO movie_recs.popular_movies (model_id, rank, movie_id, score)"
    " SELECT $1, t.r, t.m, t.s FROM unnest($2::pg_catalog.int4[],"
    " $3::pg_catalog.int8[], $4::pg_catalog.float8[]) AS t(r, m, s)";

// Typed one-dimensional arrays from plain C arrays; scratch holds at least n Datums.
Datum int8_array(const int64* v, int n, Datum* scratch) {
    for (int i = 0; i < n; ++i) scratch[i] = Int64GetDatum(v[i]);
    return PointerGetDatum(construct_array(scratch, n, INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

Datum int4_array(const int32* v, int n, Datum* scratch) {
    for (int i = 0; i < n; ++i) scratch[i] = Int32GetDatum(v[i]);
    return PointerGetDatum(construct_array(scratch, n, INT4OID, 4, true, TYPALIGN_INT));
}

Datum float8_array(const double* v, int n, Datum* scratch) {
    for (int i = 0; i < n; ++i) scratch[i] = Float8GetDatum(v[i]);
    return PointerGetDatum(
        construct_array(scratch, n, FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE));
}

Datum float4_array(const float* v, int n, Datum* scratch) {
    for (int i = 0; i < n; ++i) scratch[i] = Float4GetDatum(v[i]);
    return PointerGetDatum(construct_array(scratch, n, FLOAT4OID, 4, true, TYPALIGN_INT));
}

SPIPlanPtr prepare(const char* sql, int nargs, Oid* types) {
    SPIPlanPtr plan = SPI_prepare(sql, nargs, types);
    if (plan == nullptr)
        elog(ERROR, "SPI_prepare failed for \"%s\": %s", sql, SPI_result_code_string(SPI_result));
    return plan;
}

void execute(SPIPlanPtr plan, Datum* values, const char* nulls, int expected) {
    int rc = SPI_execute_plan(plan, values, nulls, false, 0);
    if (rc != expected)
        elog(ERROR, "writing the movie_recs catalog failed: %s", SPI_result_code_string(rc));
}

int64 insert_model_row(const TrainArgs& args, const RatingsSource& src, const RatingsInput& input,
                       const TrainedModel& m) {
    constexpr int kArgs = 24;
    Oid types[kArgs] = {TEXTOID,   TEXTOID, TEXTOID,   TEXTOID,   TEXTOID, INT4OID,
                        INT4OID,   FLOAT8OID, INT8OID, TEXTOID,   INT4OID, FLOAT8OID,
                        FLOAT8OID, INT4OID,   INT4OID, INT4OID,   BOOLOID, FLOAT8OID,
                        INT8OID,   INT8OID,   INT8OID, INT8OID,   INT8OID, BOOLOID};
    Datum v[kArgs];
    char nulls[kArgs];
    for (int i = 0; i < kArgs; ++i) nulls[i] = ' ';
    v[0] = CStringGetTextDatum(src.schema);
    v[1] = CStringGetTextDatum(src.relname);
    v[2] = CStringGetTextDatum(args.user_column);
    v[3] = CStringGetTextDatum(args.movie_column);
    if (args.rating_column != nullptr)
        v[4] = CStringGetTextDatum(args.rating_column);
    else {
        v[4] = (Datum)0;
        nulls[4] = 'n';
    }
    v[5] = Int32GetDatum(args.k);
    v[6] = Int32GetDatum(args.max_iterations);
    v[7] = Float8GetDatum(args.tolerance);
    v[8] = Int64GetDatum(args.seed);
    v[9] = CStringGetTextDatum(m.user_vector);
    v[10] = Int32GetDatum(m.soft_clusters);
    v[11] = Float8GetDatum(m.temperature);
    v[12] = Float8GetDatum(m.shrinkage);
    v[13] = Int32GetDatum(m.list_length);
    v[14] = Int32GetDatum(args.threads);
    v[15] = Int32GetDatum(m.iterations);
    v[16] = BoolGetDatum(m.converged);
    v[17] = Float8GetDatum(m.inertia);
    v[18] = Int64GetDatum(m.users);
    v[19] = Int64GetDatum(m.movies);
    v[20] = Int64GetDatum(m.ratings);
    v[21] = Int64GetDatum(input.skipped_nulls);
    v[22] = Int64GetDatum(m.duplicates_merged);
    v[23] = BoolGetDatum(args.catalog_0_1_0);  // active: only a 0.1.0 catalog activates here

    int rc = SPI_execute_with_args(kInsertModel, kArgs, types, v, nulls, false, 1);
    if (rc != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
        elog(ERROR, "inserting into movie_recs.models failed: %s", SPI_result_code_string(rc));
    bool isnull;
    Datum id = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
    if (isnull) elog(ERROR, "movie_recs.models returned a NULL model_id. Please report a bug.");
    return DatumGetInt64(id);
}

void insert_centroids(int64 model_id, const TrainedModel& m, bool catalog_0_1_0) {
    Oid types[8] = {INT8OID, INT4OID, INT8OID, FLOAT8OID, INT8ARRAYOID, FLOAT4ARRAYOID,
                    INT8OID, FLOAT8OID};
    SPIPlanPtr plan = catalog_0_1_0 ? prepare(kInsertCentroid_0_1_0, 6, types)
                                    : prepare(kInsertCentroid, 8, types);
    int64 widest = 0;
    for (int c = 0; c < m.k; ++c)
        widest = Max(widest, m.centroid_offsets[c + 1] - m.centroid_offsets[c]);
    Datum* scratch = static_cast<Datum*>(palloc_extended(
        Max(widest, 1) * sizeof(Datum), MCXT_ALLOC_HUGE));
    for (int c = 0; c < m.k; ++c) {
        CHECK_FOR_INTERRUPTS();
        int64 from = m.centroid_offsets[c];
        int n = static_cast<int>(m.centroid_offsets[c + 1] - from);
        Datum v[8];
        char nulls[8] = {' ', ' ', ' ', ' ', ' ', ' ', ' ', ' '};
        v[0] = Int64GetDatum(model_id);
        v[1] = Int32GetDatum(m.cluster_labels[c]);
        v[2] = Int64GetDatum(m.cluster_sizes[c]);
        v[3] = Float8GetDatum(m.prior_weights[c]);
        v[4] = int8_array(m.centroid_movie_ids + from, n, scratch);
        v[5] = float4_array(m.centroid_weights + from, n, scratch);
        v[6] = Int64GetDatum(m.cluster_ratings[c]);
        v[7] = m.cluster_mean_ratings != nullptr ? Float8GetDatum(m.cluster_mean_ratings[c])
                                                 : (Datum)0;
        if (m.cluster_mean_ratings == nullptr) nulls[7] = 'n';
        execute(plan, v, nulls, SPI_OK_INSERT);
        pfree(DatumGetPointer(v[4]));
        pfree(DatumGetPointer(v[5]));
    }
    pfree(scratch);
    SPI_freeplan(plan);
}

// The per-user rows through bulk_insert.hpp; false when it declines.
bool bulk_assignments(int64 model_id, const TrainedModel& m) {
    static const char* const kColumns[] = {"model_id",      "user_id",      "cluster_id",
                                           "distance",      "soft_clusters", "soft_weights",
                                           "fingerprint"};
    BulkInsert b;
    if (!bulk_insert_begin(&b, "assignments", kColumns, 7)) return false;
    const int width = m.soft_width;
    Datum* scratch = static_cast<Datum*>(palloc(sizeof(Datum) * Max(width, 1)));
    for (int64 u = 0; u < m.users; ++u) {
        if (u % kSpiBatchRows == 0) CHECK_FOR_INTERRUPTS();
        Datum* v = bulk_insert_values(&b);
        MemoryContext old = MemoryContextSwitchTo(bulk_insert_memory(&b));
        v[0] = Int64GetDatum(model_id);
        v[1] = Int64GetDatum(m.user_ids[u]);
        v[2] = Int32GetDatum(m.cluster_ids[u]);
        v[3] = Float8GetDatum(m.distances[u]);
        v[4] = int4_array(m.soft_cluster_ids + u * width, width, scratch);
        v[5] = float4_array(m.soft_weights + u * width, width, scratch);
        v[6] = Int64GetDatum(m.fingerprints[u]);
        MemoryContextSwitchTo(old);
        bulk_insert_next(&b, v);
    }
    pfree(scratch);
    bulk_insert_end(&b);
    return true;
}

void insert_assignments(int64 model_id, const TrainedModel& m, bool catalog_0_1_0) {
    if (!catalog_0_1_0 && bulk_assignments(model_id, m)) return;
    Oid types[8] = {INT8OID, INT8ARRAYOID, INT4ARRAYOID, FLOAT8ARRAYOID, INT4ARRAYOID,
                    FLOAT4ARRAYOID, INT4OID, INT8ARRAYOID};
    SPIPlanPtr plan = catalog_0_1_0 ? prepare(kInsertAssignments_0_1_0, 7, types)
                                    : prepare(kInsertAssignments, 8, types);
    const int width = m.soft_width;
    Datum* scratch = static_cast<Datum*>(
        palloc(sizeof(Datum) * static_cast<Size>(kSpiBatchRows) * Max(width, 1)));
    for (int64 from = 0; from < m.users; from += kSpiBatchRows) {
        CHECK_FOR_INTERRUPTS();
        int n = static_cast<int>(Min(static_cast<int64>(kSpiBatchRows), m.users - from));
        Datum v[8];
        v[0] = Int64GetDatum(model_id);
        v[1] = int8_array(m.user_ids + from, n, scratch);
        v[2] = int4_array(m.cluster_ids + from, n, scratch);
        v[3] = float8_array(m.distances + from, n, scratch);
        v[4] = int4_array(m.soft_cluster_ids + from * width, n * width, scratch);
        v[5] = float4_array(m.soft_weights + from * width, n * width, scratch);
        v[6] = Int32GetDatum(width);
        // A 0.1.0 catalog has no fingerprint column (its statement has 7 parameters).
        if (!catalog_0_1_0) v[7] = int8_array(m.fingerprints + from, n, scratch);
        execute(plan, v, nullptr, SPI_OK_INSERT);
        for (int i = 1; i <= 5; ++i) pfree(DatumGetPointer(v[i]));
        if (!catalog_0_1_0) pfree(DatumGetPointer(v[7]));
    }
    pfree(scratch);
    SPI_freeplan(plan);
}

// The cluster lists through bulk_insert.hpp; false when it declines.
bool bulk_cluster_movies(int64 model_id, const TrainedModel& m) {
    static const char* const kColumns[] = {"model_id", "cluster_id", "rank", "movie_id", "score"};
    BulkInsert b;
    if (!bulk_insert_begin(&b, "cluster_movies", kColumns, 5)) return false;
    for (int c = 0; c < m.k; ++c) {
        CHECK_FOR_INTERRUPTS();
        for (int64 row = m.list_offsets[c]; row < m.list_offsets[c + 1]; ++row) {
            Datum* v = bulk_insert_values(&b);
            v[0] = Int64GetDatum(model_id);
            v[1] = Int32GetDatum(m.cluster_labels[c]);
            v[2] = Int32GetDatum(static_cast<int32>(row - m.list_offsets[c] + 1));
            v[3] = Int64GetDatum(m.list_movie_ids[row]);
            v[4] = Float8GetDatum(m.list_scores[row]);
            bulk_insert_next(&b, v);
        }
    }
    bulk_insert_end(&b);
    return true;
}

void insert_cluster_movies(int64 model_id, const TrainedModel& m) {
    if (bulk_cluster_movies(model_id, m)) return;
    Oid types[5] = {INT8OID, INT4ARRAYOID, INT4ARRAYOID, INT8ARRAYOID, FLOAT8ARRAYOID};
    SPIPlanPtr plan = prepare(kInsertClusterMovies, 5, types);
    Datum* scratch = static_cast<Datum*>(palloc(sizeof(Datum) * kSpiBatchRows));
    int32* clusters = static_cast<int32*>(palloc(sizeof(int32) * kSpiBatchRows));
    int32* ranks = static_cast<int32*>(palloc(sizeof(int32) * kSpiBatchRows));
    const int64 total = m.list_offsets[m.k];
    int cluster = 0;
    for (int64 from = 0; from < total; from += kSpiBatchRows) {
        CHECK_FOR_INTERRUPTS();
        int n = static_cast<int>(Min(static_cast<int64>(kSpiBatchRows), total - from));
        for (int i = 0; i < n; ++i) {
            int64 row = from + i;
            while (row >= m.list_offsets[cluster + 1]) ++cluster;
            clusters[i] = m.cluster_labels[cluster];
            ranks[i] = static_cast<int32>(row - m.list_offsets[cluster] + 1);
        }
        Datum v[5];
        v[0] = Int64GetDatum(model_id);
        v[1] = int4_array(clusters, n, scratch);
        v[2] = int4_array(ranks, n, scratch);
        v[3] = int8_array(m.list_movie_ids + from, n, scratch);
        v[4] = float8_array(m.list_scores + from, n, scratch);
        execute(plan, v, nullptr, SPI_OK_INSERT);
        for (int i = 1; i <= 4; ++i) pfree(DatumGetPointer(v[i]));
    }
    pfree(ranks);
    pfree(clusters);
    pfree(scratch);
    SPI_freeplan(plan);
}

void insert_popular(int64 model_id, const TrainedModel& m) {
    Oid types[4] = {INT8OID, INT4ARRAYOID, INT8ARRAYOID, FLOAT8ARRAYOID};
    SPIPlanPtr plan = prepare(kInsertPopular, 4, types);
    Datum* scratch = static_cast<Datum*>(palloc(sizeof(Datum) * kSpiBatchRows));
    int32* ranks = static_cast<int32*>(palloc(sizeof(int32) * kSpiBatchRows));
    for (int64 from = 0; from < m.popular_count; from += kSpiBatchRows) {
        CHECK_FOR_INTERRUPTS();
        int n = static_cast<int>(Min(static_cast<int64>(kSpiBatchRows), m.popular_count - from));
        for (int i = 0; i < n; ++i) ranks[i] = static_cast<int32>(from + i + 1);
        Datum v[4];
        v[0] = Int64GetDatum(model_id);
        v[1] = int4_array(ranks, n, scratch);
        v[2] = int8_array(m.popular_movie_ids + from, n, scratch);
        v[3] = float8_array(m.popular_scores + from, n, scratch);
        execute(plan, v, nullptr, SPI_OK_INSERT);
        for (int i = 1; i <= 3; ++i) pfree(DatumGetPointer(v[i]));
    }
    pfree(ranks);
    pfree(scratch);
    SPI_freeplan(plan);
}

}  // namespace

int64 write_model(const TrainArgs& args, const RatingsSource& src, const RatingsInput& input,
                  const TrainedModel& model, TimestampTz start, double* train_seconds) {
    if (SPI_connect() != SPI_OK_CONNECT) elog(ERROR, "SPI_connect failed");

    // Writers of the catalog queue here (readers are not blocked), so each one sees the model the
    // previous one activated.
    int rc = SPI_execute("LOCK TABLE movie_recs.models IN SHARE ROW EXCLUSIVE MODE", false, 0);
    if (rc != SPI_OK_UTILITY)
        elog(ERROR, "locking movie_recs.models failed: %s", SPI_result_code_string(rc));
    if (args.catalog_0_1_0) {
        rc = SPI_execute("UPDATE movie_recs.models SET active = false WHERE active", false, 0);
        if (rc != SPI_OK_UPDATE)
            elog(ERROR, "updating movie_recs.models failed: %s", SPI_result_code_string(rc));
    }

    int64 model_id = insert_model_row(args, src, input, model);
    insert_centroids(model_id, model, args.catalog_0_1_0);
    insert_assignments(model_id, model, args.catalog_0_1_0);
    insert_cluster_movies(model_id, model);
    insert_popular(model_id, model);

    long secs;
    int usecs;
    TimestampDifference(start, GetCurrentTimestamp(), &secs, &usecs);
    *train_seconds = static_cast<double>(secs) + usecs / 1e6;
    Oid types[2] = {INT8OID, FLOAT8OID};
    Datum v[2] = {Int64GetDatum(model_id), Float8GetDatum(*train_seconds)};
    rc = SPI_execute_with_args(
        "UPDATE movie_recs.models SET train_seconds = $2 WHERE model_id = $1", 2, types, v,
        nullptr, false, 0);
    if (rc != SPI_OK_UPDATE || SPI_processed != 1)
        elog(ERROR, "updating movie_recs.models failed: %s", SPI_result_code_string(rc));

    SPI_finish();
    return model_id;
}

}  // namespace movie_recs::pg
