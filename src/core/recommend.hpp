// Serving: top-n unseen movies for one user from a model's cluster lists. Work is proportional to
// the lists of the user's clusters, never to the number of users.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "model.hpp"

namespace movie_recs::core {

constexpr int kMaxRecommendations = 1000;

// The part of a model that serving needs, as loaded from the catalog.
class ServingModel {
public:
    ServingModel(std::vector<std::vector<ScoredMovie>> cluster_lists,
                 std::vector<double> prior_weight, std::vector<ScoredMovie> popular);
    explicit ServingModel(const Model& m);

    int k() const { return static_cast<int>(lists_.size()); }

    // Top n movies not in seen (seen need not be sorted). clusters/weights: the user's soft
    // assignment (width entries); width 0 means an unknown user, who gets the most popular movies.
    // Ranked by score descending, ties by movie_id ascending. Fewer than n rows when the model
    // knows fewer unseen movies.
    std::vector<ScoredMovie> recommend(const std::int32_t* clusters, const float* weights,
                                       int width, std::vector<std::int64_t> seen, int n) const;

private:
    std::vector<std::vector<ScoredMovie>> lists_;
    std::vector<double> prior_;
    std::vector<ScoredMovie> popular_;
    std::unordered_map<std::int64_t, double> popularity_;
};

}  // namespace movie_recs::core
