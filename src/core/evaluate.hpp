// Offline evaluation of a model configuration on one ratings set: a per-user holdout, a model
// trained on the rest, and ranking metrics for the model and a most-rated baseline. Shared by
// evaluate_movie_recommendations() and bench/quality, so both measure the same thing.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "hooks.hpp"
#include "metrics.hpp"
#include "model.hpp"
#include "rating_matrix.hpp"

namespace movie_recs::core {

struct HoldoutParams {
    double share = 0.2;         // per user, share of the ratings held out (at least one)
    bool by_time = true;        // latest by time (ties by movie id); else a seeded random share
    std::uint64_t seed = 42;    // of the random share
    double threshold = 4.0;     // a held-out rating >= threshold is relevant
    bool all_relevant = false;  // every held-out movie is relevant (implicit feedback)
    int n = 10;                 // recommendations per user
};

class Evaluation {
public:
    // Splits the ratings (reordered); throws Error(InvalidData) when nothing is left to train on
    // or no user has a relevant held-out movie.
    Evaluation(std::vector<TimedRating> ratings, const HoldoutParams& params,
               const Hooks& hooks = {});

    const RatingMatrix& train() const { return train_; }
    std::int64_t train_ratings() const { return train_count_; }
    std::int64_t test_ratings() const { return test_count_; }
    // Users with at least one relevant held-out movie.
    std::int64_t evaluated_users() const { return static_cast<std::int64_t>(relevant_.size()); }

    // Metrics of a model trained on train(): each evaluated user gets the model's n best movies
    // not rated in training (a user absent from training gets the model's popular list).
    RankingMetrics evaluate(const Model& model, const Hooks& hooks = {}) const;
    // Metrics of the most-rated baseline: the movies rated by most users in training, ties by
    // movie id, minus the user's training movies.
    RankingMetrics most_rated(const Hooks& hooks = {}) const;

private:
    HoldoutParams params_;
    RatingMatrix train_;
    std::int64_t train_count_ = 0;
    std::int64_t test_count_ = 0;
    std::vector<std::int64_t> users_;  // evaluated users, ascending
    std::unordered_map<std::int64_t, std::unordered_set<std::int64_t>> relevant_;
};

}  // namespace movie_recs::core
