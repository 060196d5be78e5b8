// train_movie_clusters(): validate the arguments, read the ratings (read_ratings.cpp), train in
// the core, write the catalog (catalog_write.cpp), return one summary row. The C++ work happens
// in compute_model(), whose objects are all gone before the catalog is written.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <string>
#include <vector>

#include "core/cluster_ratings.hpp"
#include "core/errors.hpp"
#include "core/hooks.hpp"
#include "core/kmeans.hpp"
#include "core/model.hpp"
#include "core/rating_matrix.hpp"
#include "pg/guard.hpp"
#include "pg/lifecycle.hpp"
#include "pg/progress.hpp"
#include "pg/read_only.hpp"
#include "pg/settings.hpp"
#include "pg/train_types.hpp"

extern "C" {
#include "access/xact.h"
#include "access/xlog.h"
#include "tcop/utility.h"
#include "utils/timestamp.h"
#include "utils/tuplestore.h"
}

namespace movie_recs::pg {
namespace {

enum TrainArg {
    kArgTable,
    kArgK,
    kArgUserColumn,
    kArgMovieColumn,
    kArgRatingColumn,
    kArgMaxIterations,
    kArgTolerance,
    kArgSeed,
    kArgActivate,  // from 0.2.0 on; a 0.1.0 catalog declares the function without these two
    kArgWait,
};

void require_arg(FunctionCallInfo fcinfo, int arg, const char* name) {
    if (PG_ARGISNULL(arg))
        ereport(ERROR, (errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
                        errmsg("%s must not be null", name)));
}

// Reads and checks every argument before any data is touched.
void parse_args(FunctionCallInfo fcinfo, TrainArgs* a) {
    require_arg(fcinfo, kArgTable, "ratings_table");
    require_arg(fcinfo, kArgK, "k");
    require_arg(fcinfo, kArgUserColumn, "user_column");
    require_arg(fcinfo, kArgMovieColumn, "movie_column");
    require_arg(fcinfo, kArgMaxIterations, "max_iterations");
    require_arg(fcinfo, kArgTolerance, "tolerance");
    require_arg(fcinfo, kArgSeed, "seed");

    a->relid = PG_GETARG_OID(kArgTable);
    a->k = PG_GETARG_INT32(kArgK);
    a->user_column = NameStr(*PG_GETARG_NAME(kArgUserColumn));
    a->movie_column = NameStr(*PG_GETARG_NAME(kArgMovieColumn));
    a->rating_column =
        PG_ARGISNULL(kArgRatingColumn) ? nullptr : NameStr(*PG_GETARG_NAME(kArgRatingColumn));
    a->max_iterations = PG_GETARG_INT32(kArgMaxIterations);
    a->tolerance = PG_GETARG_FLOAT8(kArgTolerance);
    a->seed = PG_GETARG_INT64(kArgSeed);
    a->threads = training_threads();
    a->memory_limit = static_cast<int64>(maintenance_work_mem) * 1024;
    a->activate = true;
    a->wait = false;
    if (PG_NARGS() > kArgWait) {
        require_arg(fcinfo, kArgActivate, "activate");
        require_arg(fcinfo, kArgWait, "wait");
        a->activate = PG_GETARG_BOOL(kArgActivate);
        a->wait = PG_GETARG_BOOL(kArgWait);
    }

    if (a->k < 1 || a->k > core::kMaxClusters)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("k must be between 1 and %d", core::kMaxClusters)));
    if (a->max_iterations < 1 || a->max_iterations > core::kMaxIterations)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("max_iterations must be between 1 and %d", core::kMaxIterations)));
    if (!(a->tolerance >= 0) || !std::isfinite(a->tolerance))
        ereport(ERROR,
                (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                 errmsg("tolerance must be a finite number greater than or equal to 0")));
    if (strcmp(a->user_column, a->movie_column) == 0)
        ereport(ERROR, (errcode(ERRCODE_INVALID_PARAMETER_VALUE),
                        errmsg("user_column and movie_column must name different columns")));
}

// Progress of the core: DEBUG1 always, NOTICE per k-means iteration when movie_recs.progress
// is on. Never raises an error (report_noexcept).
void report_progress(const core::Progress& p) noexcept {
    const bool iteration = strcmp(p.phase, "iteration") == 0;
    char msg[256];
    if (iteration)
        snprintf(msg, sizeof msg, "k-means iteration %lld: inertia %.6g, %lld users changed cluster",
                 static_cast<long long>(p.done), p.inertia, static_cast<long long>(p.moved));
    else
        snprintf(msg, sizeof msg, "training phase %s: %lld of %lld", p.phase,
                 static_cast<long long>(p.done), static_cast<long long>(p.total));
    report_noexcept(iteration && progress_setting ? NOTICE : DEBUG1, msg);
    progress_core(p);
}

// Only a pending cancel or termination stops training; other interrupts (e.g. a configuration
// reload) are served by PostgreSQL later. Reads signal flags only.
bool cancel_pending() noexcept {
    return InterruptPending && (QueryCancelPending || ProcDiePending);
}

template <typename T, typename U>
void copy_out(MemoryContext cxt, const std::vector<U>& from, T** to) {
    *to = alloc_array<T>(cxt, from.size());
    for (std::size_t i = 0; i < from.size(); ++i) (*to)[i] = static_cast<T>(from[i]);
}

// The C++ phase: ratings -> matrix -> model -> plain arrays in cxt. Throws core::Error,
// std::bad_alloc or PgError; calls PostgreSQL only through pg_guarded() and the noexcept hooks.
void compute_model(const TrainArgs& args, RatingsInput* input, MemoryContext cxt,
                   TrainedModel* out) {
    core::Hooks hooks;
    hooks.interrupted = cancel_pending;
    hooks.progress = report_progress;

    core::RatingMatrix matrix = build_rating_matrix(input, args.threads, hooks);

    const std::int64_t needed = core::estimate_training_bytes(
        matrix.ratings(), matrix.users(), matrix.movies(), args.k, args.threads);
    if (needed > args.memory_limit) {
        char need[32], have[32];
        format_memory(needed, true, need, sizeof need);
        format_memory(args.memory_limit, false, have, sizeof have);
        throw core::Error(core::ErrorKind::OutOfMemory,
                          std::string("training needs ") + need +
                              " of memory but maintenance_work_mem is " + have,
                          "The estimate covers " + std::to_string(matrix.users()) + " users, " +
                              std::to_string(matrix.movies()) + " movies and k = " +
                              std::to_string(args.k) + ".",
                          std::string("Raise the limit for this session: SET "
                                      "maintenance_work_mem = '") +
                              need + "';");
    }

    core::ModelParams params;
    params.kmeans.k = args.k;
    params.kmeans.max_iterations = args.max_iterations;
    params.kmeans.tolerance = args.tolerance;
    params.kmeans.seed = static_cast<std::uint64_t>(args.seed);
    params.kmeans.threads = args.threads;
    core::Model model = core::train_model(matrix, params, hooks);
    const core::ClusterRatings cluster_stats =
        core::cluster_ratings(matrix, model.km.assignment, model.km.k, args.threads, hooks);

    const int k = model.km.k;
    out->k = k;
    out->iterations = model.km.iterations;
    out->converged = model.km.converged;
    out->inertia = model.km.inertia;
    out->users = static_cast<int64>(model.user_ids.size());
    out->movies = static_cast<int64>(model.movie_ids.size());
    out->ratings = model.ratings;
    out->duplicates_merged = model.duplicates_merged;
    out->user_vector = strdup_or_throw(cxt, core::to_string(model.params.vectors));
    out->soft_clusters = model.params.soft_clusters;
    out->temperature = model.params.temperature;
    out->shrinkage = model.params.shrinkage;
    out->list_length = model.params.list_length;

    // Users: assignment, Euclidean distance, soft assignment; cluster ids 1-based.
    const std::size_t users = model.user_ids.size();
    copy_out(cxt, model.user_ids, &out->user_ids);
    out->cluster_ids = alloc_array<int32>(cxt, users);
    out->distances = alloc_array<double>(cxt, users);
    for (std::size_t u = 0; u < users; ++u) {
        out->cluster_ids[u] = model.km.assignment[u] + 1;
        out->distances[u] = std::sqrt(std::max(0.0, model.km.sq_distance[u]));
    }
    out->soft_width = model.soft_width;
    copy_out(cxt, model.soft_cluster, &out->soft_cluster_ids);
    for (std::size_t i = 0; i < model.soft_cluster.size(); ++i) out->soft_cluster_ids[i] += 1;
    copy_out(cxt, model.soft_weight, &out->soft_weights);
    copy_out(cxt, model.fingerprint, &out->fingerprints);

    // Clusters: ids 1..k until cluster_ids.cpp matches them, sizes, rating statistics, prior
    // weights, sparse centroids, movie lists.
    out->cluster_labels = alloc_array<int32>(cxt, static_cast<std::size_t>(k));
    for (int c = 0; c < k; ++c) out->cluster_labels[c] = c + 1;
    copy_out(cxt, model.km.sizes, &out->cluster_sizes);
    copy_out(cxt, cluster_stats.ratings, &out->cluster_ratings);
    out->cluster_mean_ratings = nullptr;
    if (args.rating_column != nullptr)
        copy_out(cxt, cluster_stats.mean_rating, &out->cluster_mean_ratings);
    copy_out(cxt, model.prior_weight, &out->prior_weights);
    std::vector<std::vector<std::int64_t>> nz_movies(static_cast<std::size_t>(k));
    std::vector<std::vector<float>> nz_weights(static_cast<std::size_t>(k));
    out->centroid_offsets = alloc_array<int64>(cxt, static_cast<std::size_t>(k) + 1);
    out->list_offsets = alloc_array<int64>(cxt, static_cast<std::size_t>(k) + 1);
    out->centroid_offsets[0] = 0;
    out->list_offsets[0] = 0;
    for (int c = 0; c < k; ++c) {
        core::centroid_nonzeros(model, c, &nz_movies[c], &nz_weights[c]);
        out->centroid_offsets[c + 1] =
            out->centroid_offsets[c] + static_cast<int64>(nz_movies[c].size());
        out->list_offsets[c + 1] =
            out->list_offsets[c] + static_cast<int64>(model.cluster_lists[c].size());
    }
    out->centroid_movie_ids = alloc_array<int64>(cxt, out->centroid_offsets[k]);
    out->centroid_weights = alloc_array<float>(cxt, out->centroid_offsets[k]);
    out->list_movie_ids = alloc_array<int64>(cxt, out->list_offsets[k]);
    out->list_scores = alloc_array<double>(cxt, out->list_offsets[k]);
    for (int c = 0; c < k; ++c) {
        int64 at = out->centroid_offsets[c];
        for (std::size_t i = 0; i < nz_movies[c].size(); ++i) {
            out->centroid_movie_ids[at + i] = nz_movies[c][i];
            out->centroid_weights[at + i] = nz_weights[c][i];
        }
        at = out->list_offsets[c];
        for (std::size_t i = 0; i < model.cluster_lists[c].size(); ++i) {
            out->list_movie_ids[at + i] = model.cluster_lists[c][i].movie_id;
            out->list_scores[at + i] = model.cluster_lists[c][i].score;
        }
    }
    out->popular_count = static_cast<int64>(model.popular.size());
    out->popular_movie_ids = alloc_array<int64>(cxt, model.popular.size());
    out->popular_scores = alloc_array<double>(cxt, model.popular.size());
    for (std::size_t i = 0; i < model.popular.size(); ++i) {
        out->popular_movie_ids[i] = model.popular[i].movie_id;
        out->popular_scores[i] = model.popular[i].score;
    }
}

}  // namespace
}  // namespace movie_recs::pg

using namespace movie_recs::pg;

MOVIE_RECS_FUNCTION(train_movie_clusters) {
    TimestampTz start = GetCurrentTimestamp();
    InitMaterializedSRF(fcinfo, 0);
    ReturnSetInfo* rsinfo = reinterpret_cast<ReturnSetInfo*>(fcinfo->resultinfo);

    TrainArgs args;
    parse_args(fcinfo, &args);
    require_writable("train_movie_clusters()");
    // One training at a time per database; fails fast (or waits) before any work is done.
    acquire_training_lock(args.wait);
    args.catalog_0_1_0 = catalog_is_0_1_0();

    RatingsSource src;
    resolve_ratings_source(args, &src);
    SourceSnapshot snapshot = {false, 0};
    if (!args.catalog_0_1_0) snapshot_source(args, &snapshot);

    MemoryContext cxt = AllocSetContextCreate(CurrentMemoryContext, "movie_recs training",
                                              ALLOCSET_DEFAULT_SIZES);
    RatingsInput input;
    read_ratings(args, src, cxt, &input);
    if (input.skipped_nulls > 0)
        ereport(NOTICE,
                (errmsg("skipped %lld rows with a NULL user, movie or rating",
                        static_cast<long long>(input.skipped_nulls)),
                 errdetail("Rows of relation \"%s\" with a NULL in a column used for training "
                           "are ignored.",
                           src.display)));
    if (input.count == 0)
        ereport(ERROR, (errcode(ERRCODE_DATA_EXCEPTION),
                        errmsg("relation \"%s\" has no ratings to train on", src.display),
                        errhint("Load ratings into it first, e.g. with "
                                "movie_recs.load_demo_data().")));

    TrainedModel model;
    compute_model(args, &input, cxt, &model);
    release_free_memory();
    if (model.duplicates_merged > 0)
        ereport(NOTICE,
                (errmsg("merged %lld duplicate ratings",
                        static_cast<long long>(model.duplicates_merged)),
                 errdetail("A user who rated the same movie more than once counts once, with "
                           "the mean of the ratings.")));

    if (!args.catalog_0_1_0) assign_stable_cluster_ids(&model, cxt);
    double train_seconds = 0;
    int64 model_id = write_model(args, src, input, model, start, &train_seconds);
    if (!args.catalog_0_1_0) finish_training(model_id, args, input, snapshot);

    Datum values[9];
    bool nulls[9] = {false, false, false, false, false, false, false, false, false};
    values[0] = Int64GetDatum(model_id);
    values[1] = Int32GetDatum(model.k);
    values[2] = Int32GetDatum(model.iterations);
    values[3] = BoolGetDatum(model.converged);
    values[4] = Float8GetDatum(model.inertia);
    values[5] = Int64GetDatum(model.users);
    values[6] = Int64GetDatum(model.movies);
    values[7] = Int64GetDatum(model.ratings);
    values[8] = Float8GetDatum(train_seconds);
    tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
    MemoryContextDelete(cxt);
    return (Datum)0;
}
