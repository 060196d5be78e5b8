// Per-cluster rating statistics of a trained model, for cluster summaries: how many ratings the
// members of each cluster gave and their mean.
#pragma once

#include <cstdint>
#include <vector>

#include "hooks.hpp"
#include "rating_matrix.hpp"

namespace movie_recs::core {

struct ClusterRatings {
    std::vector<std::int64_t> ratings;  // per cluster: ratings given by its members
    std::vector<double> mean_rating;    // per cluster: their mean (0 for a cluster without ratings)
};

// Statistics over the rows of m, row u belonging to cluster assignment[u] (0..k-1). Throws
// Error(Internal) when the assignment does not fit m or k. The clusters are shared out among
// `threads` threads, each cluster's sum taken in row order: the same whatever their number.
ClusterRatings cluster_ratings(const RatingMatrix& m, const std::vector<std::int32_t>& assignment,
                               int k, int threads = 1, const Hooks& hooks = Hooks());

}  // namespace movie_recs::core
