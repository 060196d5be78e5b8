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
// Not thread-safe: recommend() reuses scratch buffers; use one instance per thread.
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
    struct Entry {
        std::int32_t movie;  // dense index into ids_
        double extra;        // score_c(m) - prior_c * popularity(m)
    };
    std::vector<std::int64_t> ids_;                       // every movie the model lists
    std::unordered_map<std::int64_t, std::int32_t> index_;  // movie id -> dense index
    std::vector<double> popularity_;                      // per dense index, 0 if unlisted
    std::vector<std::vector<Entry>> lists_;               // per cluster, best first
    std::vector<double> prior_;
    std::vector<std::int32_t> popular_;                   // dense indexes, most popular first
    // Scratch, all zero between calls.
    mutable std::vector<double> acc_;
    mutable std::vector<std::uint8_t> mark_;  // 1 candidate, 2 seen
    mutable std::vector<std::int32_t> touched_;
};

}  // namespace movie_recs::core
