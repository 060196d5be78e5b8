// From ratings to a servable model: user vectors, k-means, soft assignments and per-cluster
// movie scores. See README "How the model works" for the choices and the measurements behind them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "hooks.hpp"
#include "kmeans.hpp"
#include "rating_matrix.hpp"

namespace movie_recs::core {

// How a user's ratings become the vector that k-means clusters.
enum class UserVector {
    Liked,     // 1 for every movie rated at least the user's mean rating, then unit length
    Presence,  // 1 for every rated movie, then scaled to unit length (cosine geometry)
    Centered,  // rating minus the user's mean, then unit length
    Raw,       // the ratings as they are
};
const char* to_string(UserVector v);
bool parse_user_vector(const std::string& s, UserVector* out);

// What a cluster member contributes to the cluster's score of a movie.
enum class ScoreSignal {
    Liked,  // 1 when the member rated the movie at least their mean rating
    Rated,  // 1 when the member rated the movie at all
};
const char* to_string(ScoreSignal s);
bool parse_score_signal(const std::string& s, ScoreSignal* out);

constexpr int kMaxListLength = 100000;
constexpr int kMaxSoftClusters = 100;

struct ModelParams {
    KMeansParams kmeans;
    UserVector vectors = UserVector::Liked;
    ScoreSignal signal = ScoreSignal::Liked;
    int soft_clusters = 5;       // nearest clusters blended per user (1 = hard assignment)
    double temperature = 0.1;    // soft weight exp(-(d^2 - d_min^2) / temperature)
    double shrinkage = 10;       // pseudo-members pulling a cluster's scores to global popularity
    int list_length = 1000;      // movies kept per cluster list and in the popular list
};

struct ScoredMovie {
    std::int64_t movie_id;
    double score;
};

struct Model {
    ModelParams params;
    KMeansResult km;                       // centroids over model.movie_ids columns
    std::vector<std::int64_t> user_ids;    // sorted; row i of the assignments
    std::vector<std::int64_t> movie_ids;   // sorted; column j of the centroids
    std::int64_t ratings = 0;
    std::int64_t duplicates_merged = 0;

    // Soft assignment: per user, soft_width clusters nearest first and weights summing to 1.
    int soft_width = 0;
    std::vector<std::int32_t> soft_cluster;  // users x soft_width
    std::vector<float> soft_weight;          // users x soft_width
    // Per user, fingerprint of the set of movies rated (ratings_fingerprint()), so that serving
    // can tell whether the user has rated or unrated movies since training.
    std::vector<std::int64_t> fingerprint;

    // Per cluster: score(m) = (members with the signal for m + shrinkage * popularity(m)) /
    // (size + shrinkage), top list_length movies, best first (ties by movie_id), and prior_weight
    // = shrinkage / (size + shrinkage), the share of popularity in a score (serving uses it for
    // unlisted movies).
    std::vector<std::vector<ScoredMovie>> cluster_lists;
    std::vector<double> prior_weight;
    // popularity(m) = share of users with the signal for m; top list_length, best first.
    std::vector<ScoredMovie> popular;
};

// Validates params, builds user vectors from m, clusters them and scores movies per cluster.
Model train_model(const RatingMatrix& m, const ModelParams& params, const Hooks& hooks = {});

// The rows k-means clusters: one per user of m, as `kind` says, without zero entries. Rows are
// transformed on `threads` threads; the result does not depend on it.
SparseRows user_vectors(const RatingMatrix& m, UserVector kind, int threads = 1,
                        const Hooks& hooks = {});

// One user's vector from their ratings (movie column indexes and ratings, any order, no
// duplicates), as user_vectors() builds it; entries come back sorted by column.
void user_vector(UserVector kind, std::vector<std::pair<std::int64_t, double>>* entries);

// Soft assignment from the squared distances d2 to all k clusters: `width` clusters, `own`
// first (or, when own < 0, the nearest), then the nearest others (ties by cluster index), with
// weights exp(-(d2 - d2_first) / temperature) normalised to sum 1.
void soft_assign(const double* d2, int k, int own, int width, double temperature,
                 std::int32_t* clusters, float* weights);

// Order-independent fingerprint of a set of movie ids (distinct ids).
std::int64_t ratings_fingerprint(const std::int64_t* movie_ids, std::size_t n);

// Sparse non-zero coordinates of one centroid (movie ids ascending), for storage.
void centroid_nonzeros(const Model& model, int cluster, std::vector<std::int64_t>* movie_ids,
                       std::vector<float>* weights);

}  // namespace movie_recs::core
