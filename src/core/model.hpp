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
    Presence,  // 1 for every rated movie, then scaled to unit length (cosine geometry)
    Centered,  // rating minus the user's mean, then unit length
    Raw,       // the ratings as they are
    Liked,     // 1 for every movie rated at least the user's mean, then unit length
    Idf,       // presence weighted by log(users / raters of the movie), then unit length
};
// How a user's soft weights over their nearest clusters are computed (experiment knob).
enum class SoftWeighting {
    Distance,   // exp(-(d^2 - d_min^2) / T)
    Posterior,  // Bernoulli mixture posterior of the user's movies, tempered by T x n_u
};
const char* to_string(UserVector v);
bool parse_user_vector(const std::string& s, UserVector* out);

constexpr int kMaxListLength = 100000;
constexpr int kMaxSoftClusters = 100;

struct ModelParams {
    KMeansParams kmeans;
    UserVector vectors = UserVector::Presence;
    int soft_clusters = 5;       // nearest clusters blended per user (1 = hard assignment)
    double temperature = 0.2;    // soft weight exp(-(d^2 - d_min^2) / temperature)
    double shrinkage = 10;       // pseudo-members pulling a cluster's scores to global popularity
    int list_length = 1000;      // movies kept per cluster list and in the popular list
    // Experiment knobs (bench/quality), defaults = the plain model.
    double member_exponent = 0;  // a member's count contribution is n_u^-member_exponent
    bool soft_counts = false;    // members count in their soft clusters by soft weight
    double disliked_weight = 1;  // contribution of a rating below the user's mean
    double liked_margin = 0;     // liked = rating >= user's mean + margin
    SoftWeighting soft_weighting = SoftWeighting::Distance;
    int restarts = 1;            // k-means runs (seeds seed, seed+1, ...), lowest inertia kept
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

    // Per cluster: score(m) = (members who rated m + shrinkage * popularity(m)) / (size + shrinkage)
    // top list_length movies, best first (ties by movie_id), and prior_weight = shrinkage / (size
    // + shrinkage), the share of popularity in a score (serving uses it for unlisted movies).
    std::vector<std::vector<ScoredMovie>> cluster_lists;
    std::vector<double> prior_weight;
    // popularity(m) = share of users who rated m; top list_length, best first.
    std::vector<ScoredMovie> popular;
};

// Validates params, builds user vectors from m, clusters them and scores movies per cluster.
Model train_model(const RatingMatrix& m, const ModelParams& params, const Hooks& hooks = {});

// Sparse non-zero coordinates of one centroid (movie ids ascending), for storage.
void centroid_nonzeros(const Model& model, int cluster, std::vector<std::int64_t>* movie_ids,
                       std::vector<float>* weights);

}  // namespace movie_recs::core
