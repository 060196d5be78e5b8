// Settings (GUCs) of movie_recs, registered by _PG_init in module.cpp.
#pragma once

namespace movie_recs::pg {

// movie_recs.max_threads: threads for training; 0 means max_parallel_maintenance_workers.
extern int max_threads_setting;
// movie_recs.progress: a NOTICE per k-means iteration (DEBUG1 is always emitted).
extern bool progress_setting;
// movie_recs.keep_models: models kept after a training (0: all); see prune_models().
extern int keep_models_setting;

// movie_recs.leaf_reads: recommend_movies() reads a user's ratings from the index's leaf pages
// (btree_read.hpp); off: through the index access method.
extern bool leaf_reads_setting;

// Threads to train with: movie_recs.max_threads, or max_parallel_maintenance_workers when it is
// 0; at least 1.
int training_threads();

}  // namespace movie_recs::pg
