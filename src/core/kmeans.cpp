// k-means on sparse rows.
//   Seeding: k-means++ (Arthur & Vassilvitskii, "k-means++: the advantages of careful seeding",
//   SODA 2007): the first centre uniformly at random, each next one with probability
//   proportional to the squared distance to the nearest centre chosen so far.
//   Iterations: Lloyd's algorithm. Distances use ||x||^2 - 2 x.c + ||c||^2 so only the non-zeros
//   of x are touched; centroids are dense k x movies, never users x movies.
#include "kmeans.hpp"

#include <Eigen/Dense>
#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "errors.hpp"
#include "parallel.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

using DenseRows = Eigen::Matrix<double, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

// Uniform double in [0, 1) from the top 53 bits: identical on every platform, unlike
// std::uniform_real_distribution.
double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n) {
    return static_cast<std::uint64_t>(uniform01(rng) * static_cast<double>(n)) % n;
}

void validate(const SparseRows& x, const KMeansParams& p) {
    if (p.k < 1 || p.k > kMaxClusters)
        throw Error(ErrorKind::InvalidParameter,
                    "k must be between 1 and " + std::to_string(kMaxClusters));
    if (p.max_iterations < 1 || p.max_iterations > kMaxIterations)
        throw Error(ErrorKind::InvalidParameter,
                    "max_iterations must be between 1 and " + std::to_string(kMaxIterations));
    if (!(p.tolerance >= 0) || !std::isfinite(p.tolerance))
        throw Error(ErrorKind::InvalidParameter,
                    "tolerance must be a finite number greater than or equal to 0");
    if (p.threads < 1 || p.threads > kMaxThreads)
        throw Error(ErrorKind::InvalidParameter,
                    "threads must be between 1 and " + std::to_string(kMaxThreads));
    if (x.rows() == 0) throw Error(ErrorKind::InvalidData, "no ratings to train on");
    if (p.k > x.rows())
        throw Error(ErrorKind::TooFewUsers,
                    "k must not be greater than the number of users",
                    "k is " + std::to_string(p.k) + " but the ratings hold " +
                        std::to_string(x.rows()) + " users.",
                    "Choose a k of at most " + std::to_string(x.rows()) + ".");
}

void cancel_if(const Hooks& hooks) {
    if (hooks.stop_requested())
        throw Error(ErrorKind::Cancelled, "canceling movie_recs work on request");
}

// Dot products of row i with every centroid; ct is the transposed centroid matrix (dims x k), so
// each non-zero of the row adds one contiguous row of ct.
inline void row_dots(const SparseRows& x, std::int64_t i, const DenseRows& ct,
                     Eigen::RowVectorXd& out) {
    out.setZero();
    for (SparseRows::InnerIterator it(x, i); it; ++it)
        out.noalias() += static_cast<double>(it.value()) * ct.row(it.index());
}

struct State {
    const SparseRows& x;
    int k;
    std::int64_t n;
    std::int64_t dims;
    std::vector<double> x_sq;  // ||x_i||^2
    DenseRows ct;              // dims x k
    Eigen::VectorXd c_sq;      // ||c||^2
    std::vector<std::int32_t> assignment;
    std::vector<double> d2;

    State(const SparseRows& rows, int clusters)
        : x(rows), k(clusters), n(rows.rows()), dims(rows.cols()), x_sq(n), ct(dims, clusters),
          c_sq(clusters), assignment(n, -1), d2(n, 0) {
        for (std::int64_t i = 0; i < n; ++i) {
            double s = 0;
            for (SparseRows::InnerIterator it(x, i); it; ++it)
                s += static_cast<double>(it.value()) * static_cast<double>(it.value());
            x_sq[i] = s;
        }
    }

    void refresh_norms() { c_sq = ct.colwise().squaredNorm().transpose(); }

    // Assignment step on all rows; returns the number of rows whose cluster changed.
    std::int64_t assign(int threads, const Hooks& hooks) {
        std::atomic<std::int64_t> moved_total{0};  // a sum of counts: order does not matter
        parallel_rows(n, threads, hooks, [&](std::int64_t begin, std::int64_t end) {
            Eigen::RowVectorXd dots(k);
            std::int64_t moved = 0;
            for (std::int64_t i = begin; i < end; ++i) {
                row_dots(x, i, ct, dots);
                int best = 0;
                double best_d = std::numeric_limits<double>::infinity();
                for (int c = 0; c < k; ++c) {
                    const double d = std::max(0.0, x_sq[i] - 2 * dots[c] + c_sq[c]);
                    if (d < best_d) {
                        best_d = d;
                        best = c;
                    }
                }
                if (assignment[i] != best) ++moved;
                assignment[i] = best;
                d2[i] = best_d;
            }
            moved_total.fetch_add(moved, std::memory_order_relaxed);
        });
        return moved_total.load();
    }

    double inertia() const {
        double s = 0;
        for (double d : d2) s += d;  // row order: deterministic
        return s;
    }

    void set_centroid_to_row(int c, std::int64_t row) {
        ct.col(c).setZero();
        for (SparseRows::InnerIterator it(x, row); it; ++it)
            ct(it.index(), c) = static_cast<double>(it.value());
    }
};

// k-means++ seeding.
void seed_plus_plus(State& s, std::uint64_t seed, int threads, const Hooks& hooks) {
    std::mt19937_64 rng(seed);
    std::vector<double> best(static_cast<std::size_t>(s.n), std::numeric_limits<double>::infinity());
    std::vector<char> chosen(static_cast<std::size_t>(s.n), 0);
    Eigen::VectorXd center(s.dims);
    std::int64_t pick = static_cast<std::int64_t>(uniform_below(rng, static_cast<std::uint64_t>(s.n)));
    for (int c = 0; c < s.k; ++c) {
        cancel_if(hooks);
        chosen[pick] = 1;
        s.set_centroid_to_row(c, pick);
        center = s.ct.col(c);
        const double c_sq = s.x_sq[pick];
        // D(x)^2 to the nearest centre so far, updated with the new centre.
        parallel_rows(s.n, threads, hooks, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                double dot = 0;
                for (SparseRows::InnerIterator it(s.x, i); it; ++it)
                    dot += static_cast<double>(it.value()) * center[it.index()];
                const double d = std::max(0.0, s.x_sq[i] - 2 * dot + c_sq);
                if (d < best[i]) best[i] = d;
            }
        });
        hooks.report({"seeding", c + 1, s.k, 0, 0});
        if (c + 1 == s.k) break;
        double total = 0;
        for (double d : best) total += d;
        if (total > 0) {
            const double r = uniform01(rng) * total;
            double acc = 0;
            pick = -1;
            for (std::int64_t i = 0; i < s.n; ++i) {
                acc += best[i];
                if (best[i] > 0 && acc > r) {
                    pick = i;
                    break;
                }
            }
            if (pick < 0)  // rounding at the very end of the sum
                for (std::int64_t i = s.n - 1; i >= 0 && pick < 0; --i)
                    if (best[i] > 0) pick = i;
        } else {
            // Every row coincides with a centre: take a row not chosen yet, uniformly.
            std::int64_t remaining = 0;
            for (char ch : chosen) remaining += ch ? 0 : 1;
            std::int64_t skip = static_cast<std::int64_t>(
                uniform_below(rng, static_cast<std::uint64_t>(std::max<std::int64_t>(remaining, 1))));
            pick = 0;
            for (std::int64_t i = 0; i < s.n; ++i)
                if (!chosen[i] && skip-- == 0) {
                    pick = i;
                    break;
                }
        }
    }
    s.refresh_norms();
}

// Update step: each centroid becomes the mean of its rows, summed in row order. An empty cluster
// takes the row farthest from its centroid (lowest row on ties, each row at most once), so k
// clusters stay in use. Returns the number of clusters reseeded.
int update_centroids(State& s, std::vector<std::int64_t>& sizes) {
    s.ct.setZero();
    std::fill(sizes.begin(), sizes.end(), 0);
    for (std::int64_t i = 0; i < s.n; ++i) {
        const int c = s.assignment[i];
        ++sizes[c];
        for (SparseRows::InnerIterator it(s.x, i); it; ++it)
            s.ct(it.index(), c) += static_cast<double>(it.value());
    }
    int reseeded = 0;
    std::vector<char> used;
    for (int c = 0; c < s.k; ++c) {
        if (sizes[c] > 0) {
            s.ct.col(c) /= static_cast<double>(sizes[c]);
            continue;
        }
        if (used.empty()) used.assign(static_cast<std::size_t>(s.n), 0);
        std::int64_t far = -1;
        for (std::int64_t i = 0; i < s.n; ++i)
            if (!used[i] && (far < 0 || s.d2[i] > s.d2[far])) far = i;
        if (far < 0) continue;
        used[far] = 1;
        s.set_centroid_to_row(c, far);
        ++reseeded;
    }
    if (!s.ct.allFinite())
        throw Error(ErrorKind::Internal, "k-means produced a non-finite centroid",
                    {}, "Please report a bug.");
    s.refresh_norms();
    return reseeded;
}

}  // namespace

KMeansResult kmeans(const SparseRows& x, const KMeansParams& params, const Hooks& hooks) {
    validate(x, params);
    State s(x, params.k);
    seed_plus_plus(s, params.seed, params.threads, hooks);

    KMeansResult r;
    r.k = params.k;
    r.sizes.assign(static_cast<std::size_t>(params.k), 0);
    s.assign(params.threads, hooks);
    double prev = s.inertia();
    for (int it = 1; it <= params.max_iterations; ++it) {
        cancel_if(hooks);
        r.empty_clusters_reseeded += update_centroids(s, r.sizes);
        const std::int64_t moved = s.assign(params.threads, hooks);
        const double inertia = s.inertia();
        r.iterations = it;
        hooks.report({"iteration", it, params.max_iterations, inertia, moved});
        if (moved == 0 || prev - inertia <= params.tolerance * prev) {
            r.converged = true;
            break;
        }
        prev = inertia;
    }

    std::fill(r.sizes.begin(), r.sizes.end(), 0);
    for (auto c : s.assignment) ++r.sizes[c];
    r.inertia = s.inertia();
    r.centroids.resize(static_cast<std::size_t>(params.k) * static_cast<std::size_t>(s.dims));
    for (int c = 0; c < params.k; ++c)
        for (std::int64_t j = 0; j < s.dims; ++j)
            r.centroids[static_cast<std::size_t>(c) * static_cast<std::size_t>(s.dims) +
                        static_cast<std::size_t>(j)] = s.ct(j, c);
    r.assignment = std::move(s.assignment);
    r.sq_distance = std::move(s.d2);
    return r;
}

void row_sq_distances(const SparseRows& x, std::int64_t row, const KMeansResult& km,
                      const std::vector<double>& centroid_sq_norms, double* out) {
    const std::int64_t dims = x.cols();
    double x_sq = 0;
    for (SparseRows::InnerIterator it(x, row); it; ++it)
        x_sq += static_cast<double>(it.value()) * static_cast<double>(it.value());
    for (int c = 0; c < km.k; ++c) {
        const double* cen = km.centroids.data() + static_cast<std::size_t>(c) * static_cast<std::size_t>(dims);
        double dot = 0;
        for (SparseRows::InnerIterator it(x, row); it; ++it)
            dot += static_cast<double>(it.value()) * cen[it.index()];
        out[c] = std::max(0.0, x_sq - 2 * dot + centroid_sq_norms[static_cast<std::size_t>(c)]);
    }
}

}  // namespace movie_recs::core
