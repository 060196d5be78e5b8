// The model lifecycle around train_movie_clusters(): the training lock (advisory.cpp), stable
// cluster ids (cluster_ids.cpp), and what happens before reading and after writing a model
// (lifecycle.cpp: change signal, activation, retention). Plain PostgreSQL code.
#pragma once

#include "pg/train_types.hpp"

namespace movie_recs::pg {

// The training lock: a transaction-level advisory lock on (kLockClass, kLockTraining) in the
// current database, visible in pg_locks as locktype 'advisory', classid 1297237315 ("MREC"),
// objid 1, objsubid 2 (view movie_recs.running_trainings).
constexpr int32 kLockClass = 1297237315;
constexpr int32 kLockTraining = 1;

// Takes the training lock until the end of the transaction. Without wait, raises 55P03 naming
// the process that holds it; with wait, waits (lock_timeout and cancel apply).
void acquire_training_lock(bool wait);

// What lifecycle.cpp records about the source before the ratings are read.
struct SourceSnapshot {
    bool have_changes;
    int64 changes;  // movie_recs.source_change_counter() before reading
};

// True when the installed catalog is version 0.1.0 (no lifecycle objects yet).
bool catalog_is_0_1_0();

// Before reading the ratings: the change signal of the source.
void snapshot_source(const TrainArgs& args, SourceSnapshot* out);

// Gives the clusters of a freshly trained model the ids of the closest clusters of the active
// model (core/matching.hpp) and rewrites the cluster ids of the users accordingly. Takes the
// catalog's write lock first, so the active model cannot change until the new one is written.
void assign_stable_cluster_ids(TrainedModel* model, MemoryContext cxt);

// After writing model_id: records the source snapshot, activates the model when args.activate,
// and drops old models per movie_recs.keep_models.
void finish_training(int64 model_id, const TrainArgs& args, const RatingsInput& input,
                     const SourceSnapshot& source);

}  // namespace movie_recs::pg
