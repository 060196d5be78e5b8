// The per-backend serving state of the active model and the placement of one user in it, shared
// by recommend_movies() (recommend.cpp), movie_recs.user_cluster() (explain.cpp) and
// movie_recs.materialize_recommendations() (materialize.cpp).
#pragma once

#include "pg/postgres_headers.hpp"

extern "C" {
#include "executor/spi.h"
}

namespace movie_recs::core {
class ServingModel;
}

namespace movie_recs::pg {

// Where a user stands in the active model, from their ratings at call time. Plain data in the
// caller's memory context.
struct UserPlacement {
    int64 model_id;
    int k;
    // k, ascending: the catalog's cluster id of each core cluster index 0..k-1 (stable ids need
    // not be 1..k; see cluster_index.hpp). Owned by the serving cache, valid until the next call.
    const int32* cluster_ids;
    // "cluster": the user's stored soft assignment (known user, same rated movies as at
    // training); "fold_in": placed now from their current ratings; "popular": no rated movie the
    // model knows, the popular list.
    const char* source;
    int width;        // soft clusters (0 for "popular")
    int32* clusters;  // width core cluster indexes (0..k-1, not catalog ids), nearest first
    float* weights;   // width weights summing to 1
    // Distances to each of the k centroids from the current ratings (only when asked for and the
    // user rated a movie the model knows; else NULL), and the nearest cluster (core index or -1).
    double* distances;
    int32 nearest;
    int64* seen;  // every movie the user has rated now (excluded from recommendations)
    int64 nseen;
};

// Looks up the active model (raises 55000 without one), refreshes this backend's cache when
// another model became active, reads the user's current ratings from the model's source with the
// caller's rights, and places the user. Connects to and finishes SPI itself.
// catalog_0_1_0: the catalog is still 0.1.0's (no fingerprint column).
void place_user(int64 user_id, bool need_distances, bool catalog_0_1_0, MemoryContext cxt,
                UserPlacement* out);

// A user's stored assignment in the active model, as place_from_ratings() takes it.
struct StoredAssignment {
    bool known;             // the model was trained on the user
    bool null_fingerprint;  // no fingerprint stored (trained before 0.2.0): used as it is
    int64 fingerprint;
    int width;
    int32* clusters;  // core cluster indexes (0..k-1)
    float* weights;
};

// The placement step of place_user() for ratings already read: movies (count, non-NULL ids) and
// their ratings as float8 (not finite: the movie is excluded but does not place the user).
// Needs this backend's cache loaded (place_user() or load_active_serving()).
void place_from_ratings(const StoredAssignment& stored, int64* movies, const double* ratings,
                        int64 count, bool need_distances, MemoryContext cxt, UserPlacement* out);

// The active model as this backend's cache holds it (loaded when another model became active);
// raises 55000 without one. SPI must be connected. Names and ids are owned by the cache.
struct ActiveServing {
    int64 model_id;
    int k;
    const int32* cluster_ids;  // k, ascending (see UserPlacement)
    const char* source_schema;
    const char* source_table;
    const char* user_column;
    const char* movie_column;
    const char* rating_column;  // NULL: every row counts as a rating of 1
};
void load_active_serving(ActiveServing* out);

// A catalog row of model_id that cannot be served: raises XX001 (data_corrupted) with a hint to
// retrain. catalog_value() reads a column of a catalog query's row and raises that on a NULL.
[[noreturn]] void catalog_corrupt(int64 model_id, const char* what);
Datum catalog_value(SPITupleTable* t, uint64 row, int col, int64 model_id);

// The cached serving model of the active model; valid after place_user() or
// load_active_serving() until the next call of either.
const core::ServingModel& serving_model();

}  // namespace movie_recs::pg
