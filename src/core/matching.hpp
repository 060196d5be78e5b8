// Stable cluster ids across retraining: the clusters of a new model are matched to those of the
// previous model by a minimum-cost assignment on centroid distance, so that a cluster keeps its id
// when it is (nearly) the same taste group; clusters without a counterpart get new ids.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

#include "hooks.hpp"

namespace movie_recs::core {

// Largest number of clusters on either side that is matched (the assignment is O(k^3)).
constexpr int kMaxMatchedClusters = 2000;

// A centroid stored sparsely, as in the catalog: movie ids strictly ascending, one coordinate each
// (missing movies are 0).
struct CentroidView {
    const std::int64_t* movie_ids = nullptr;
    const float* weights = nullptr;
    std::size_t size = 0;
};

// Euclidean distance between two sparse vectors.
double sparse_distance(const CentroidView& a, const CentroidView& b);

// Minimum-cost assignment of a rows x cols cost matrix (row-major, finite values): returns, for
// each row, the column it is matched to, or -1 when there are more rows than columns and the row
// is left out. Every column is used at most once and min(rows, cols) pairs are matched with the
// smallest total cost (Hungarian method with potentials, Kuhn 1955 / Munkres 1957; O(n^2 m) for
// n = min(rows, cols), m = max(rows, cols)). Deterministic.
std::vector<int> min_cost_assignment(const std::vector<double>& cost, int rows, int cols,
                                     const Hooks& hooks = {});

// Ids for the clusters of a new model (`current`, in index order) given the previous model's
// centroids and their ids (distinct, positive). Current and previous clusters are matched by a
// minimum total Euclidean distance assignment; a matched cluster takes its partner's id, and the
// clusters left over (when the new model has more clusters) get the ids following the largest
// previous id, in index order. With no previous clusters the ids are 1..k. Throws
// Error(InvalidParameter) when either side has more than kMaxMatchedClusters clusters.
std::vector<std::int32_t> stable_cluster_ids(const std::vector<CentroidView>& current,
                                             const std::vector<CentroidView>& previous,
                                             const std::vector<std::int32_t>& previous_ids,
                                             const Hooks& hooks = {});

}  // namespace movie_recs::core
