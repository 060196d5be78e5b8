// k-means on sparse rows.
//   Seeding: k-means++ (Arthur & Vassilvitskii, "k-means++: the advantages of careful seeding",
//   SODA 2007): the first centre uniformly at random, each next one with probability
//   proportional to the squared distance to the nearest centre chosen so far. The distances it
//   computes also give every row its nearest seed, which is the first assignment.
//   Iterations: Lloyd's algorithm with the bounds of Elkan ("Using the triangle inequality to
//   accelerate k-means", ICML 2003) for k <= kElkanMaxK, else Hamerly's single lower bound
//   ("Making k-means even faster", SDM 2010): a row whose upper bound on the distance to its own
//   centroid is below its lower bounds on the others cannot move, and is skipped.
//   Distances use ||x||^2 - 2 x.c + ||c||^2 so only the non-zeros of x are touched. A row
//   compared with every centroid uses float dot products (dot_kernels.hpp); a move is confirmed
//   in double precision, so rows only move to a strictly nearer centroid and the inertia never
//   increases. Bounds carry the rounding error of the arithmetic that produced them.
//   Sums: cluster sums are kept in 64-bit fixed point, exact, updated by the rows that moved;
//   their value does not depend on the order of the additions, hence not on the thread count.
#include "kmeans.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <string>

#include "dot_kernels.hpp"
#include "errors.hpp"
#include "kmeans_state.hpp"
#include "parallel.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

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

// k-means++ seeding. Leaves the seeds as the centroids, every row assigned to its nearest seed
// (lowest index on ties) with its bounds, and returns the inertia of that assignment.
double seed_plus_plus(KMeansState& s, std::uint64_t seed, int threads, const Hooks& hooks) {
    std::mt19937_64 rng(seed);
    const std::int64_t n = s.n;
    std::vector<double> best(static_cast<std::size_t>(n), std::numeric_limits<double>::infinity());
    std::vector<char> chosen(static_cast<std::size_t>(n), 0);
    std::vector<float> center(static_cast<std::size_t>(s.dims), 0.0f);
    std::vector<std::uint64_t> bitmap(static_cast<std::size_t>((s.dims + 63) / 64), 0);
    std::vector<std::int64_t> picks;
    s.begin_seeding();
    std::int64_t pick = static_cast<std::int64_t>(uniform_below(rng, static_cast<std::uint64_t>(n)));
    for (int c = 0; c < s.k; ++c) {
        cancel_if(hooks);
        chosen[static_cast<std::size_t>(pick)] = 1;
        picks.push_back(pick);
        // The seed as a dense vector over positions.
        const std::int32_t* pc = s.cols(pick);
        const float* pv = s.vals(pick);
        const std::int64_t pn = s.nnz(pick);
        for (std::int64_t e = 0; e < pn; ++e)
            center[static_cast<std::size_t>(s.order[static_cast<std::size_t>(pc[e])])] = pv[e];
        // A seed whose entries share one value (presence vectors): with a row of the same kind,
        // the dot product is the two values times the number of shared movies, counted in a
        // bitmap that stays in the first-level cache.
        const PackedRow seed_row = s.packed(pick);
        const bool seed_uniform = seed_row.vals == nullptr;
        if (seed_uniform)
            for (std::int64_t e = 0; e < pn; ++e) {
                const auto p = static_cast<std::size_t>(s.order[static_cast<std::size_t>(pc[e])]);
                bitmap[p >> 6] |= std::uint64_t{1} << (p & 63);
            }
        const double c_sq = s.x_sq[static_cast<std::size_t>(pick)];
        const double c_norm = std::sqrt(c_sq);
        // D(x)^2 to the nearest centre so far, updated with the new centre; every distance is
        // also recorded as a bound.
        parallel_rows(n, threads, hooks, [&](std::int64_t begin, std::int64_t end) {
            for (std::int64_t i = begin; i < end; ++i) {
                const PackedRow row = s.packed(i);
                const double dot =
                    seed_uniform && row.vals == nullptr
                        ? static_cast<double>(row.uniform) * static_cast<double>(seed_row.uniform) *
                              static_cast<double>(packed_count(row, bitmap.data()))
                        : packed_dot(row, center.data());
                const double d = std::max(0.0, s.x_sq[static_cast<std::size_t>(i)] - 2 * dot + c_sq);
                const double err = s.exact_slack(i, c_norm);
                s.note_seed_distance(i, c, d, err);
                if (d < best[static_cast<std::size_t>(i)]) best[static_cast<std::size_t>(i)] = d;
            }
        });
        for (std::int64_t e = 0; e < pn; ++e) {
            const auto p = static_cast<std::size_t>(s.order[static_cast<std::size_t>(pc[e])]);
            center[p] = 0.0f;
            bitmap[p >> 6] = 0;
        }
        hooks.report({"seeding", c + 1, s.k, 0, 0});
        if (c + 1 == s.k) break;
        double total = 0;
        for (double d : best) total += d;
        if (total > 0) {
            const double r = uniform01(rng) * total;
            double acc = 0;
            pick = -1;
            for (std::int64_t i = 0; i < n; ++i) {
                acc += best[static_cast<std::size_t>(i)];
                if (best[static_cast<std::size_t>(i)] > 0 && acc > r) {
                    pick = i;
                    break;
                }
            }
            if (pick < 0)  // rounding at the very end of the sum
                for (std::int64_t i = n - 1; i >= 0 && pick < 0; --i)
                    if (best[static_cast<std::size_t>(i)] > 0) pick = i;
        } else {
            // Every row coincides with a centre: take a row not chosen yet, uniformly.
            std::int64_t remaining = 0;
            for (char ch : chosen) remaining += ch ? 0 : 1;
            std::int64_t skip = static_cast<std::int64_t>(
                uniform_below(rng, static_cast<std::uint64_t>(std::max<std::int64_t>(remaining, 1))));
            pick = 0;
            for (std::int64_t i = 0; i < n; ++i)
                if (!chosen[static_cast<std::size_t>(i)] && skip-- == 0) {
                    pick = i;
                    break;
                }
        }
    }
    s.end_seeding(picks, threads, hooks);
    double inertia = 0;
    for (double d : best) inertia += d;  // row order: deterministic
    return inertia;
}

// Update step: each centroid becomes the mean of its rows. An empty cluster takes the row
// farthest from its centroid (lowest row on ties, each row at most once), so k clusters stay in
// use. Returns the number of clusters reseeded.
int update_centroids(KMeansState& s, int threads, const Hooks& hooks) {
    std::vector<int> empty;
    for (int c = 0; c < s.k; ++c)
        if (s.sizes[static_cast<std::size_t>(c)] == 0) empty.push_back(c);
    std::vector<std::int64_t> far_rows;
    if (!empty.empty()) {
        const std::vector<double> d2 = s.exact_distances(threads, hooks);
        std::vector<char> used(static_cast<std::size_t>(s.n), 0);
        for (std::size_t e = 0; e < empty.size(); ++e) {
            std::int64_t far = -1;
            for (std::int64_t i = 0; i < s.n; ++i)
                if (!used[static_cast<std::size_t>(i)] &&
                    (far < 0 || d2[static_cast<std::size_t>(i)] > d2[static_cast<std::size_t>(far)]))
                    far = i;
            if (far >= 0) used[static_cast<std::size_t>(far)] = 1;
            far_rows.push_back(far);
        }
    }
    s.set_centroids_to_means(empty, far_rows, threads, hooks);
    int reseeded = 0;
    for (std::int64_t r : far_rows) reseeded += r >= 0 ? 1 : 0;
    return reseeded;
}

}  // namespace

KMeansResult kmeans(const SparseRows& x, const KMeansParams& params, const Hooks& hooks) {
    validate(x, params);
    KMeansState s(x, params.k, params.threads, hooks);
    double prev = seed_plus_plus(s, params.seed, params.threads, hooks);
    s.apply_moves(params.threads, hooks);

    KMeansResult r;
    r.k = params.k;
    for (int it = 1; it <= params.max_iterations; ++it) {
        cancel_if(hooks);
        r.empty_clusters_reseeded += update_centroids(s, params.threads, hooks);
        const std::int64_t moved = s.assign(params.threads, hooks);
        s.apply_moves(params.threads, hooks);
        const double inertia = s.inertia(params.threads, hooks);
        r.iterations = it;
        hooks.report({"iteration", it, params.max_iterations, inertia, moved});
        if (moved == 0 || prev - inertia <= params.tolerance * prev) {
            r.converged = true;
            break;
        }
        prev = inertia;
    }

    r.sq_distance = s.exact_distances(params.threads, hooks);
    r.inertia = 0;
    for (double d : r.sq_distance) r.inertia += d;  // row order: deterministic
    r.sizes = s.sizes;
    r.centroids = std::move(s.centroids);
    r.padded_k = s.kp;
    r.centroids_t = std::move(s.ct);
    r.column_order = std::move(s.order);
    r.assignment = std::move(s.assignment);
    r.rows_skipped = s.rows_skipped;
    r.rows_tightened = s.rows_tightened;
    r.rows_compared = s.rows_compared;
    r.rows_scanned = s.rows_scanned;
    return r;
}

void row_sq_distances(const SparseRows& x, std::int64_t row, const KMeansResult& km,
                      const std::vector<double>& centroid_sq_norms, double* out) {
    const std::int64_t dims = x.cols();
    const std::int64_t begin = x.outerIndexPtr()[row];
    const std::int64_t nnz = x.outerIndexPtr()[row + 1] - begin;
    const std::int32_t* cols = x.innerIndexPtr() + begin;
    const float* vals = x.valuePtr() + begin;
    double x_sq = 0;
    for (std::int64_t e = 0; e < nnz; ++e)
        x_sq += static_cast<double>(vals[e]) * static_cast<double>(vals[e]);
    if (km.padded_k > 0 && km.column_order.size() == static_cast<std::size_t>(dims) &&
        km.centroids_t.size() == static_cast<std::size_t>(dims) * static_cast<std::size_t>(km.padded_k)) {
        thread_local std::vector<std::int32_t> positions;
        thread_local std::vector<float> dots;
        positions.resize(static_cast<std::size_t>(nnz));
        dots.resize(static_cast<std::size_t>(km.padded_k));
        for (std::int64_t e = 0; e < nnz; ++e)
            positions[static_cast<std::size_t>(e)] = km.column_order[static_cast<std::size_t>(cols[e])];
        const PackedRow packed{nullptr, positions.data(), vals, 0.0f, nnz};
        packed_dots(packed, km.centroids_t.data(), km.padded_k, dots.data());
        for (int c = 0; c < km.k; ++c)
            out[c] = std::max(0.0, x_sq - 2 * static_cast<double>(dots[static_cast<std::size_t>(c)]) +
                                       centroid_sq_norms[static_cast<std::size_t>(c)]);
        return;
    }
    for (int c = 0; c < km.k; ++c) {
        const double* cen = km.centroids.data() + static_cast<std::size_t>(c) * static_cast<std::size_t>(dims);
        out[c] = std::max(0.0, x_sq - 2 * sparse_dot(cols, vals, nnz, cen) +
                                   centroid_sq_norms[static_cast<std::size_t>(c)]);
    }
}

}  // namespace movie_recs::core
