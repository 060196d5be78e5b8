// The per-backend cache of the active model's serving data: the cluster lists, prior weights and
// popular list as a core::ServingModel, the centroids for fold-in as a core::FoldIn, the names of
// the source relation the model was trained on, and a kept plan reading one user's ratings from
// it. Loaded from the catalog (through SPI) when another model became active, except the fold-in:
// its centroids (the largest part) are read when a call first needs them, i.e. places a user the
// model does not know or whose ratings changed, or asks for distances. Shared by
// recommend_movies(), user_cluster() and materialize_recommendations() through serving.hpp.
#pragma once

#include "pg/postgres_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
#include "executor/spi.h"
}

namespace movie_recs::core {
class FoldIn;
class ServingModel;
}  // namespace movie_recs::core

namespace movie_recs::pg {

// The fold-in of the cached model, built from the stored centroids at its first use. Plain data
// (a null pointer until then).
struct LazyFoldIn {
    core::FoldIn* built;  // owned; NULL: not read yet
    // The fold-in, read from the catalog first when needed (connects to SPI itself, nested in the
    // caller's connection if any). Only while the cache holds the active model of the call's
    // snapshot (after place_user()'s or load_active_serving()'s check). Raises XX001 when the
    // stored centroids cannot be used, as loading the cache did before.
    const core::FoldIn& operator*() const;
};

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
    LazyFoldIn fold_in;
    // For the fold-in, from the model's row: its user vector kind (core::UserVector) and soft
    // assignment parameters.
    int user_vector;
    int soft_clusters;
    double temperature;
    SPIPlanPtr seen_plan;       // kept: (movie, rating) of one user
    char* source;               // "schema.table", in TopMemoryContext
    // The names the source was trained with, for the direct read (in TopMemoryContext).
    char* source_schema;
    char* source_table;
    char* user_column;
    char* movie_column;
    char* rating_column;  // NULL: every row counts as a rating of 1
};

// This backend's cache (valid only as load_serving_cache() left it).
const ServingCache& serving_cache();

// The cache holds this model (see ServingCache: model_id, created_at and the catalog's oid).
bool serving_cache_holds(int64 model_id, TimestampTz created_at, Oid catalog_oid);

// Loads model_id into the cache (SPI connected); raises XX001 when the catalog rows of the model
// cannot be served.
void load_serving_cache(int64 model_id, TimestampTz created_at, Oid catalog_oid, int k);

// Runs the kept plan reading one user's (movie, rating) rows of the source relation (SPI
// connected); an error meaning the relation changed since training gets a hint to retrain.
void execute_seen_plan(int64 user_id);

// recommend_movies() carries no SET search_path clause: every query it runs through SPI runs
// between these two, with search_path = pg_catalog, pg_temp (restored by the second, or by the
// abort of the transaction on an error). Returns the GUC nest level to restore.
int set_catalog_search_path();
void restore_search_path(int level);

}  // namespace movie_recs::pg
