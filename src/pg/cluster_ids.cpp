// Stable cluster ids: before a new model is written, its clusters are matched to the clusters of
// the active model by centroid distance (core/matching.hpp) and take their ids; clusters without
// a partner get new ids. The previous centroids are read here (PostgreSQL phase), the matching
// runs in match_labels() (C++ phase, no PostgreSQL call), and the users' cluster ids are then
// rewritten in place.
#include <algorithm>
#include <cstdint>
#include <vector>

#include "core/errors.hpp"
#include "core/matching.hpp"
#include "pg/guard.hpp"
#include "pg/lifecycle.hpp"

extern "C" {
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
}

namespace movie_recs::pg {
namespace {

// Centroids of the active model, when it lives in the same vector space as the new model.
const char kPreviousSql[] =
    "SELECT c.cluster_id, c.movie_ids, c.weights FROM movie_recs.models m"
    " JOIN movie_recs.centroids c ON c.model_id = m.model_id"
    " WHERE m.active AND m.user_vector = $1 ORDER BY c.cluster_id";

// The previous model's centroids in plain arrays (training memory context).
struct PreviousCentroids {
    int count;
    int32* ids;
    int64* offsets;  // count + 1
    int64* movie_ids;
    float* weights;
};

bool cancel_requested() noexcept {
    return InterruptPending && (QueryCancelPending || ProcDiePending);
}

// Copies the elements of a one-dimensional array without NULLs; false when it is not one.
bool array_elements(Datum d, Oid elemtype, int* n, const char** data) {
    ArrayType* a = DatumGetArrayTypeP(d);
    if (ARR_ELEMTYPE(a) != elemtype || ARR_HASNULL(a) || ARR_NDIM(a) > 1)
        return false;
    *n = ARR_NDIM(a) == 0 ? 0 : ARR_DIMS(a)[0];
    *data = ARR_DATA_PTR(a);
    return true;
}

void read_previous(const TrainedModel& m, MemoryContext cxt, PreviousCentroids* out) {
    out->count = 0;
    Oid types[1] = {TEXTOID};
    Datum v[1] = {CStringGetTextDatum(m.user_vector)};
    int rc = SPI_execute_with_args(kPreviousSql, 1, types, v, nullptr, true, 0);
    if (rc != SPI_OK_SELECT)
        elog(ERROR, "reading the active model's centroids failed: %s", SPI_result_code_string(rc));
    const uint64 rows = SPI_processed;
    if (rows == 0)
        return;
    out->count = static_cast<int>(rows);
    out->ids = static_cast<int32*>(MemoryContextAlloc(cxt, sizeof(int32) * rows));
    out->offsets = static_cast<int64*>(MemoryContextAlloc(cxt, sizeof(int64) * (rows + 1)));
    // First pass: sizes; second: copy.
    int64 total = 0;
    out->offsets[0] = 0;
    for (uint64 r = 0; r < rows; ++r) {
        bool isnull;
        Datum d = SPI_getbinval(SPI_tuptable->vals[r], SPI_tuptable->tupdesc, 2, &isnull);
        int n = 0;
        const char* data;
        if (isnull || !array_elements(d, INT8OID, &n, &data))
            elog(ERROR, "movie_recs.centroids holds a malformed movie_ids array");
        total += n;
        out->offsets[r + 1] = total;
    }
    out->movie_ids =
        static_cast<int64*>(MemoryContextAllocHuge(cxt, sizeof(int64) * Max(total, 1)));
    out->weights = static_cast<float*>(MemoryContextAllocHuge(cxt, sizeof(float) * Max(total, 1)));
    for (uint64 r = 0; r < rows; ++r) {
        HeapTuple row = SPI_tuptable->vals[r];
        TupleDesc desc = SPI_tuptable->tupdesc;
        bool null_id, null_movies, null_weights;
        Datum id = SPI_getbinval(row, desc, 1, &null_id);
        Datum movies = SPI_getbinval(row, desc, 2, &null_movies);
        Datum weights = SPI_getbinval(row, desc, 3, &null_weights);
        int n_movies = 0, n_weights = 0;
        const char *movie_data, *weight_data;
        if (null_id || null_movies || null_weights ||
            !array_elements(movies, INT8OID, &n_movies, &movie_data) ||
            !array_elements(weights, FLOAT4OID, &n_weights, &weight_data) ||
            n_movies != n_weights || n_movies != out->offsets[r + 1] - out->offsets[r])
            elog(ERROR, "movie_recs.centroids holds a malformed centroid");
        out->ids[r] = DatumGetInt32(id);
        memcpy(out->movie_ids + out->offsets[r], movie_data, sizeof(int64) * n_movies);
        memcpy(out->weights + out->offsets[r], weight_data, sizeof(float) * n_weights);
    }
}

// C++ phase: the ids of the new clusters into m->cluster_labels. Calls no PostgreSQL function.
void match_labels(const PreviousCentroids& prev, TrainedModel* m) {
    std::vector<core::CentroidView> current(static_cast<std::size_t>(m->k));
    for (int c = 0; c < m->k; ++c) {
        const int64 from = m->centroid_offsets[c];
        current[static_cast<std::size_t>(c)] = {
            m->centroid_movie_ids + from, m->centroid_weights + from,
            static_cast<std::size_t>(m->centroid_offsets[c + 1] - from)};
    }
    std::vector<core::CentroidView> previous(static_cast<std::size_t>(prev.count));
    std::vector<std::int32_t> previous_ids(prev.ids, prev.ids + prev.count);
    for (int c = 0; c < prev.count; ++c) {
        const int64 from = prev.offsets[c];
        previous[static_cast<std::size_t>(c)] = {
            prev.movie_ids + from, prev.weights + from,
            static_cast<std::size_t>(prev.offsets[c + 1] - from)};
    }
    core::Hooks hooks;
    hooks.interrupted = cancel_requested;
    const std::vector<std::int32_t> ids =
        core::stable_cluster_ids(current, previous, previous_ids, hooks);
    std::copy(ids.begin(), ids.end(), m->cluster_labels);
}

}  // namespace

void assign_stable_cluster_ids(TrainedModel* m, MemoryContext cxt) {
    if (SPI_connect() != SPI_OK_CONNECT)
        elog(ERROR, "SPI_connect failed");
    // From here to commit no other session can activate a model: the ids stay consistent with
    // the model the new one replaces.
    int rc = SPI_execute("LOCK TABLE movie_recs.models IN SHARE ROW EXCLUSIVE MODE", false, 0);
    if (rc != SPI_OK_UTILITY)
        elog(ERROR, "locking movie_recs.models failed: %s", SPI_result_code_string(rc));
    PreviousCentroids prev;
    read_previous(*m, cxt, &prev);
    SPI_finish();

    const bool too_many =
        prev.count > core::kMaxMatchedClusters || m->k > core::kMaxMatchedClusters;
    if (prev.count > 0 && too_many)
        ereport(NOTICE,
                (errmsg("cluster ids are not matched to those of the active model"),
                 errdetail("Cluster ids are matched for at most %d clusters; this model has %d "
                           "and the active model %d, so its clusters are numbered 1 to %d.",
                           core::kMaxMatchedClusters, m->k, prev.count, m->k)));
    if (prev.count == 0 || too_many) {
        for (int c = 0; c < m->k; ++c)
            m->cluster_labels[c] = c + 1;
        return;  // the users' ids are the cluster indexes + 1 already
    }
    match_labels(prev, m);

    // Users: cluster index + 1 -> stored id.
    for (int64 u = 0; u < m->users; ++u)
        m->cluster_ids[u] = m->cluster_labels[m->cluster_ids[u] - 1];
    const int64 soft = m->users * m->soft_width;
    for (int64 i = 0; i < soft; ++i)
        m->soft_cluster_ids[i] = m->cluster_labels[m->soft_cluster_ids[i] - 1];
}

}  // namespace movie_recs::pg
