// Plain data handed between the phases of train_movie_clusters() (arguments, input, results).
// No member has a destructor and all memory comes from PostgreSQL memory contexts, so these can
// live in frames that PostgreSQL errors unwind.
#pragma once

#include <cstdint>

#include "core/rating_matrix.hpp"
#include "pg/postgres_headers.hpp"

extern "C" {
#include "datatype/timestamp.h"
}

namespace movie_recs::pg {

// Size of the batches in which rows are read and written through SPI.
constexpr int kSpiBatchRows = 10000;

struct TrainArgs {
    Oid relid;
    const char* user_column;
    const char* movie_column;
    const char* rating_column;  // NULL: every row is a rating of 1 (implicit feedback)
    int k;
    int max_iterations;
    double tolerance;
    int64 seed;
    int threads;
    int64 memory_limit;  // bytes (maintenance_work_mem)
    bool activate;       // make the new model the active one
    bool wait;           // wait for a running training instead of failing
    // The catalog is still at version 0.1.0 (ALTER EXTENSION UPDATE not run yet): train as 0.1.0
    // did, without the lifecycle steps and columns of later versions.
    bool catalog_0_1_0;
};

struct RatingsSource {
    char* schema;
    char* relname;
    char* display;  // schema.relname, for messages
};

// The ratings read, held by a core::RatingCollector that the training memory context owns
// (read_ratings.cpp).
struct CollectedRatings;

struct RatingsInput {
    CollectedRatings* ratings;  // in the training memory context; emptied by build_rating_matrix
    int64 count;
    int64 skipped_nulls;
};

// A trained model flattened into arrays. Cluster c (0-based) is stored as cluster_labels[c];
// cluster_ids and soft_cluster_ids hold those stored ids.
struct TrainedModel {
    int k;
    int iterations;
    bool converged;
    double inertia;
    int64 users;
    int64 movies;
    int64 ratings;
    int64 duplicates_merged;
    const char* user_vector;
    int soft_clusters;
    double temperature;
    double shrinkage;
    int list_length;

    int soft_width;
    int64* user_ids;          // users
    int32* cluster_ids;       // users
    double* distances;        // users
    int32* soft_cluster_ids;  // users x soft_width
    float* soft_weights;      // users x soft_width
    int64* fingerprints;      // users: core::ratings_fingerprint of the movies rated

    int32* cluster_labels;      // k: the cluster ids stored in the catalog (see cluster_ids.cpp)
    int64* cluster_sizes;       // k
    int64* cluster_ratings;     // k: ratings given by the members
    double* cluster_mean_ratings;  // k: their mean; NULL without a rating column
    double* prior_weights;      // k
    int64* centroid_offsets;    // k + 1, into centroid_movie_ids / centroid_weights
    int64* centroid_movie_ids;
    float* centroid_weights;
    int64* list_offsets;        // k + 1, into list_movie_ids / list_scores
    int64* list_movie_ids;
    double* list_scores;
    int64 popular_count;
    int64* popular_movie_ids;
    double* popular_scores;
};

// read_ratings.cpp: checks the relation and its columns, then reads the ratings with the
// caller's rights into memory allocated in cxt.
void resolve_ratings_source(const TrainArgs& args, RatingsSource* out);
void read_ratings(const TrainArgs& args, const RatingsSource& src, MemoryContext cxt,
                  RatingsInput* out);
// C++ phase: builds the matrix from the ratings read (and frees them). Throws core::Error.
core::RatingMatrix build_rating_matrix(RatingsInput* input, int threads, const core::Hooks& hooks);

// Raises 22003 for a rating the model cannot use (core::rating_in_range), naming the row; verb
// ("train", "evaluate") completes the hint.
void check_rating(const RatingsSource& src, int64 user, int64 movie, double rating,
                  const char* verb);

// catalog_write.cpp: writes the model to the catalog, inactive (lifecycle.cpp activates it), or
// active as 0.1.0 did when args.catalog_0_1_0; returns the new model_id. train_seconds is
// measured from start up to the end of the writes.
int64 write_model(const TrainArgs& args, const RatingsSource& src, const RatingsInput& input,
                  const TrainedModel& model, TimestampTz start, double* train_seconds);

// Formats a byte count in the units of memory settings ("900kB", "12MB": kB below 10MB),
// rounded up or down.
void format_memory(int64 bytes, bool round_up, char* buf, std::size_t len);

}  // namespace movie_recs::pg
