// k-means over sparse rows: k-means++ seeding, then Lloyd iterations accelerated with Hamerly's
// bounds. Work that depends on one row at a time runs on several threads; sums over rows are
// exact (fixed-point integers), so the result is identical for any thread count.
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
    // Counters of the work done over all iterations, for benchmarks: rows whose bounds settled
    // them without any distance, with the distance to their own centroid, rows compared with a
    // few candidate centroids, and rows compared with every centroid.
    std::int64_t rows_skipped = 0;
    std::int64_t rows_tightened = 0;
    std::int64_t rows_compared = 0;
    std::int64_t rows_scanned = 0;

    // The centroids as floats, transposed (dims x padded_k, padded_k a multiple of 8) with
    // column j in row column_order[j]: the layout the distance kernel reads. Filled by kmeans();
    // row_sq_distances() uses it.
    int padded_k = 0;
    std::vector<float> centroids_t;
    std::vector<std::int32_t> column_order;
};

// Validates params (throws Error(InvalidParameter / TooFewUsers)) and clusters the rows of x.
KMeansResult kmeans(const SparseRows& x, const KMeansParams& params, const Hooks& hooks = {});

// Squared distances of one sparse row to every centroid (k values), with the arithmetic of the
// training loop (float dot products, double distances).
void row_sq_distances(const SparseRows& x, std::int64_t row, const KMeansResult& km,
                      const std::vector<double>& centroid_sq_norms, double* out);

}  // namespace movie_recs::core
