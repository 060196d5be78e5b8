// Module entry: PG_MODULE_MAGIC, _PG_init and the movie_recs.* settings.
#include <algorithm>

#include "core/kmeans.hpp"
#include "pg/assignment_cache.hpp"
#include "pg/guard.hpp"
#include "pg/settings.hpp"

extern "C" {
#include "utils/guc.h"
}

extern "C" {
PG_MODULE_MAGIC;
PGDLLEXPORT void _PG_init(void);
}

namespace movie_recs::pg {

int max_threads_setting = 0;
bool progress_setting = false;
bool leaf_reads_setting = true;
int keep_models_setting = 0;

namespace {
constexpr int kMaxThreadsDefault = 0;  // 0 = follow max_parallel_maintenance_workers
constexpr int kKeepModelsDefault = 0;  // 0 = keep every model
constexpr int kMaxKeepModels = 1000000;
// 64 MB: the stored assignments of about 900,000 users (5 soft clusters each, about 70 bytes).
constexpr int kAssignmentCacheDefaultKb = 64 * 1024;
constexpr int kMaxAssignmentCacheKb = MAX_KILOBYTES;
}

int training_threads() {
    int threads = max_threads_setting > 0 ? max_threads_setting : max_parallel_maintenance_workers;
    return std::clamp(threads, 1, core::kMaxThreads);
}

}  // namespace movie_recs::pg

void _PG_init(void) {
    using namespace movie_recs;
    DefineCustomIntVariable(
        "movie_recs.max_threads", "Maximum number of threads train_movie_clusters() uses.",
        "0 uses max_parallel_maintenance_workers (at least 1). The model does not depend on "
        "the number of threads.",
        &pg::max_threads_setting, pg::kMaxThreadsDefault, 0, core::kMaxThreads, PGC_USERSET, 0,
        nullptr, nullptr, nullptr);
    DefineCustomBoolVariable(
        "movie_recs.progress", "Reports each k-means iteration of training as a NOTICE.",
        "Progress is always logged at DEBUG1.", &pg::progress_setting, false, PGC_USERSET, 0,
        nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "movie_recs.keep_models", "Number of models kept after a successful training.",
        "Older models are dropped, never the active one or the one rollback_model() returns "
        "to. 0 keeps every model.",
        &pg::keep_models_setting, pg::kKeepModelsDefault, 0, pg::kMaxKeepModels, PGC_USERSET, 0,
        nullptr, nullptr, nullptr);
    DefineCustomIntVariable(
        "movie_recs.assignment_cache_size",
        "Largest copy of the active model's stored assignments kept per backend for serving.",
        "recommend_movies() looks users up in the copy instead of the assignments index. A model "
        "whose assignments do not fit is served through the index. 0 keeps no copy.",
        &pg::assignment_cache_kb, pg::kAssignmentCacheDefaultKb, 0, pg::kMaxAssignmentCacheKb,
        PGC_USERSET, GUC_UNIT_KB, nullptr, nullptr, nullptr);
    DefineCustomBoolVariable(
        "movie_recs.leaf_reads",
        "Reads a user's ratings for recommend_movies() straight from the leaf pages of the index.",
        "Applies to a B-tree on (user, movie[, rating]) outside serializable transactions. Off: "
        "the same rows through the index access method, at more CPU per call.",
        &pg::leaf_reads_setting, true, PGC_USERSET, 0, nullptr, nullptr, nullptr);
    MarkGUCPrefixReserved("movie_recs");
}
