// The working state of one k-means run (kmeans.cpp): the rows in the compact form the loops
// read, centroids in the layouts they read, exact cluster sums, and per-row bounds. Internal to
// the core.
#pragma once

#include <cstdint>
#include <vector>

#include "dot_kernels.hpp"
#include "hooks.hpp"
#include "rating_matrix.hpp"

namespace movie_recs::core {

// Up to this k every row keeps one lower bound per centroid (Elkan); above, one bound on the
// distance to the second-nearest centroid (Hamerly), to keep memory per row small.
constexpr int kElkanMaxK = 32;


// Up to this many columns, rows are copied with 16-bit column positions in order of use.
constexpr std::int64_t kNarrowColumns = 65536;

class KMeansState {
public:
    // Norms and packed rows computed on `threads` threads (the same whatever their number).
    KMeansState(const SparseRows& x, int k, int threads, const Hooks& hooks);

    const SparseRows& x;
    const std::int64_t n;     // rows
    const std::int64_t dims;  // columns
    const int k;
    const int kp;             // k padded to the kernel's lane width
    const int lower_width;    // bounds kept per row: k (Elkan) or 1 (Hamerly)

    std::vector<double> x_sq;                // ||x_i||^2
    std::vector<std::int32_t> assignment;    // current
    std::vector<std::int64_t> sizes;         // per cluster, of the applied assignment
    std::vector<double> centroids;           // k x dims
    // Position of each column in the float copies and the packed rows: by descending number of
    // entries (ties by column) when rows are packed, else the column itself.
    std::vector<std::int32_t> order;
    std::vector<float> ct;                   // positions x kp: float centroids, transposed
    std::int64_t rows_skipped = 0, rows_tightened = 0, rows_compared = 0, rows_scanned = 0;

    // Row i as stored in the matrix (column indexes, values).
    const std::int32_t* cols(std::int64_t i) const { return inner_ + outer_[i]; }
    const float* vals(std::int64_t i) const { return values_ + outer_[i]; }
    std::int64_t nnz(std::int64_t i) const { return outer_[i + 1] - outer_[i]; }
    // Row i as the loops read it (positions in `order`).
    PackedRow packed(std::int64_t i) const;

    // Seeding: begin, then for every row and seed (in seed order) the squared distance computed
    // in double precision with its error bound, then end with the rows chosen as seeds.
    void begin_seeding();
    void note_seed_distance(std::int64_t i, int c, double d2, double err);
    void end_seeding(const std::vector<std::int64_t>& picks, int threads, const Hooks& hooks);

    // Bound on the rounding error of a squared distance of row i to a centre of norm c_norm
    // computed with a double-precision dot product.
    double exact_slack(std::int64_t i, double c_norm) const;

    // Moves the centroids to the means of their clusters (exact sums); cluster empty[e] becomes
    // row far_rows[e] instead (or stays where it is when that is -1). Records how far each
    // centroid moved, for the bounds. Clusters are shared out among the threads.
    void set_centroids_to_means(const std::vector<int>& empty, const std::vector<std::int64_t>& far_rows,
                                int threads, const Hooks& hooks);

    // Assignment step: returns the number of rows that changed cluster.
    std::int64_t assign(int threads, const Hooks& hooks);

    // Brings the cluster sums and sizes up to date with the assignment.
    void apply_moves(int threads, const Hooks& hooks);

    // Sum of squared distances of the rows to the centroids of their clusters, from the exact
    // sums (call after apply_moves). Clusters are shared out among the threads.
    double inertia(int threads, const Hooks& hooks) const;

    // Squared distance of every row to its centroid, in double precision.
    std::vector<double> exact_distances(int threads, const Hooks& hooks) const;

private:
    void pack_rows(int threads, const Hooks& hooks);
    void refresh_centroid_copies(int threads, const Hooks& hooks);
    // Bound on the rounding error of a squared distance of row i to centroid c from float dot
    // products (packed_dots), and from the float centroid accumulated in double (tighten).
    double float_slack(std::int64_t i, int c) const;
    double tight_slack(std::int64_t i, int c) const;
    std::int64_t quantize(float v) const;

    const std::int32_t* outer_;
    const std::int32_t* inner_;
    const float* values_;
    std::vector<std::uint16_t> narrow_;   // packed positions when dims <= kNarrowColumns
    std::vector<float> uniform_;          // per row: the value of every entry, or NaN
    std::vector<double> x_norm_;
    std::vector<std::int32_t> applied_;   // assignment the sums reflect (-1: none)
    std::vector<std::int64_t> sums_;      // k x positions, fixed point
    double scale_ = 1;                    // fixed point unit: value * scale_
    std::vector<float> cf_;               // k x positions: float centroids
    std::vector<double> c_sq_, c_norm_, c_sq_err_;
    std::vector<double> shift_;           // per cluster, since the bounds were last valid
    std::vector<double> upper_;           // per row: >= distance to its centroid
    std::vector<float> lower_;            // per row, lower_width: <= distances to other centroids
    // Seeding only: per row the nearest seed's squared distance, and (Hamerly) the two smallest
    // lower values of the squared distances with the seed of the smallest.
    std::vector<double> seed_best_;
    std::vector<double> seed_low_;
    std::vector<std::int32_t> seed_low_cluster_;
};

}  // namespace movie_recs::core
