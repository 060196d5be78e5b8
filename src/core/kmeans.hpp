// k-means over sparse rows: k-means++ seeding, then Lloyd iterations with the sparse-dense
// expansion ||x||^2 - 2 x.c + ||c||^2. The assignment step runs on several threads over a fixed
// split of rows; everything that sums across rows runs in row order on the calling thread, so the
// result is identical for any thread count.
#pragma once

#include <cstdint>
#include <vector>

#include "hooks.hpp"
#include "rating_matrix.hpp"

namespace movie_recs::core {

constexpr int kMaxClusters = 10000;
constexpr int kMaxIterations = 100000;
constexpr int kMaxThreads = 64;

struct KMeansParams {
    int k = 20;
    int max_iterations = 100;
    // Stop when the inertia decreased by at most tolerance x previous inertia, or when no row
    // changed cluster. 0 runs until no row moves or max_iterations.
    double tolerance = 1e-4;
    std::uint64_t seed = 42;
    int threads = 1;
};

struct KMeansResult {
    int k = 0;
    int iterations = 0;
    bool converged = false;
    double inertia = 0;                  // sum of squared distances to the assigned centroid
    std::vector<double> centroids;       // k x dims, row-major
    std::vector<std::int32_t> assignment;  // per row
    std::vector<double> sq_distance;     // per row, squared distance to its centroid
    std::vector<std::int64_t> sizes;     // per cluster
    int empty_clusters_reseeded = 0;
};

// Validates params (throws Error(InvalidParameter / TooFewUsers)) and clusters the rows of x.
KMeansResult kmeans(const SparseRows& x, const KMeansParams& params, const Hooks& hooks = {});

// Squared distances of one sparse row to every centroid (k values), with the same arithmetic as
// the training loop.
void row_sq_distances(const SparseRows& x, std::int64_t row, const KMeansResult& km,
                      const std::vector<double>& centroid_sq_norms, double* out);

}  // namespace movie_recs::core
