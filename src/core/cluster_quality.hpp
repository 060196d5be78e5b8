// Internal measures of a clustering, for choosing k: a sampled silhouette and the Davies-Bouldin
// index. Both work on the same user vectors k-means clustered.
#pragma once

#include <cstdint>
#include <vector>

#include "hooks.hpp"
#include "kmeans.hpp"
#include "rating_matrix.hpp"

namespace movie_recs::core {

// Mean silhouette (Rousseeuw, 1987) of a seeded uniform sample of at most sample_size rows, with
// the distances among the sampled rows only (as scikit-learn's silhouette_score with a
// sample_size): per row (b - a) / max(a, b), a = mean distance to the other sampled rows of its
// cluster, b = the smallest mean distance to the sampled rows of another cluster; a row alone in
// its cluster scores 0. Between -1 and 1, higher is better. NaN when the sample holds fewer than
// two clusters.
double sampled_silhouette(const SparseRows& x, const std::vector<std::int32_t>& assignment, int k,
                          std::int64_t sample_size, std::uint64_t seed, const Hooks& hooks = {});

// Davies-Bouldin index (Davies & Bouldin, 1979): the mean over clusters i of
// max over j != i of (s_i + s_j) / ||c_i - c_j||, s_i = mean Euclidean distance of the members of
// i to its centroid. Lower is better. Empty clusters are left out; NaN with fewer than two.
double davies_bouldin(const KMeansResult& km, std::int64_t dims);

}  // namespace movie_recs::core
