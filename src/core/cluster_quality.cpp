#include "cluster_quality.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>

#include "errors.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

double sampled_silhouette(const SparseRows& x, const std::vector<std::int32_t>& assignment, int k,
                          std::int64_t sample_size, std::uint64_t seed, const Hooks& hooks) {
    const std::int64_t n = x.rows();
    if (sample_size < 2)
        throw Error(ErrorKind::InvalidParameter, "sample_size must be at least 2");
    // A seeded uniform sample without replacement (partial Fisher-Yates), in row order.
    std::vector<std::int64_t> rows(static_cast<std::size_t>(n));
    for (std::int64_t i = 0; i < n; ++i)
        rows[static_cast<std::size_t>(i)] = i;
    const std::int64_t s = std::min(n, sample_size);
    std::mt19937_64 rng(seed);
    for (std::int64_t i = 0; i < s; ++i) {
        const auto span = static_cast<std::uint64_t>(n - i);
        const auto pick = i + static_cast<std::int64_t>(static_cast<std::uint64_t>(
                                                            static_cast<double>(rng() >> 11) *
                                                            0x1.0p-53 * static_cast<double>(span)) %
                                                        span);
        std::swap(rows[static_cast<std::size_t>(i)], rows[static_cast<std::size_t>(pick)]);
    }
    rows.resize(static_cast<std::size_t>(s));
    std::sort(rows.begin(), rows.end());

    const auto S = static_cast<std::size_t>(s);
    const auto K = static_cast<std::size_t>(k);
    std::vector<std::int64_t> members(K, 0);
    for (auto r : rows)
        ++members[static_cast<std::size_t>(assignment[static_cast<std::size_t>(r)])];
    int present = 0;
    for (auto m : members)
        present += m > 0 ? 1 : 0;
    if (present < 2)
        return std::numeric_limits<double>::quiet_NaN();

    std::vector<double> sq(S, 0);
    for (std::size_t i = 0; i < S; ++i)
        for (SparseRows::InnerIterator it(x, rows[i]); it; ++it)
            sq[i] += static_cast<double>(it.value()) * static_cast<double>(it.value());
    // dist[i][c]: sum of distances from sampled row i to the sampled rows of cluster c.
    std::vector<double> sums(S * K, 0);
    std::vector<double> dense(static_cast<std::size_t>(x.cols()), 0);
    for (std::size_t i = 0; i < S; ++i) {
        if ((i & 63) == 0 && hooks.stop_requested())
            throw Error(ErrorKind::Cancelled, "canceling movie_recs work on request");
        for (SparseRows::InnerIterator it(x, rows[i]); it; ++it)
            dense[static_cast<std::size_t>(it.index())] = static_cast<double>(it.value());
        for (std::size_t j = i + 1; j < S; ++j) {
            double dot = 0;
            for (SparseRows::InnerIterator it(x, rows[j]); it; ++it)
                dot +=
                    static_cast<double>(it.value()) * dense[static_cast<std::size_t>(it.index())];
            const double d = std::sqrt(std::max(0.0, sq[i] + sq[j] - 2 * dot));
            sums[i * K + static_cast<std::size_t>(assignment[static_cast<std::size_t>(rows[j])])] +=
                d;
            sums[j * K + static_cast<std::size_t>(assignment[static_cast<std::size_t>(rows[i])])] +=
                d;
        }
        for (SparseRows::InnerIterator it(x, rows[i]); it; ++it)
            dense[static_cast<std::size_t>(it.index())] = 0;
    }
    double total = 0;
    for (std::size_t i = 0; i < S; ++i) {
        const auto own = static_cast<std::size_t>(assignment[static_cast<std::size_t>(rows[i])]);
        if (members[own] < 2)
            continue;  // alone in its cluster: 0
        const double a = sums[i * K + own] / static_cast<double>(members[own] - 1);
        double b = std::numeric_limits<double>::infinity();
        for (std::size_t c = 0; c < K; ++c)
            if (c != own && members[c] > 0)
                b = std::min(b, sums[i * K + c] / static_cast<double>(members[c]));
        const double m = std::max(a, b);
        if (m > 0)
            total += (b - a) / m;
    }
    return total / static_cast<double>(S);
}

double davies_bouldin(const KMeansResult& km, std::int64_t dims) {
    const auto K = static_cast<std::size_t>(km.k);
    const auto D = static_cast<std::size_t>(dims);
    std::vector<double> spread(K, 0);
    for (std::size_t i = 0; i < km.assignment.size(); ++i)
        spread[static_cast<std::size_t>(km.assignment[i])] +=
            std::sqrt(std::max(0.0, km.sq_distance[i]));
    std::vector<std::size_t> used;
    for (std::size_t c = 0; c < K; ++c)
        if (km.sizes[c] > 0) {
            spread[c] /= static_cast<double>(km.sizes[c]);
            used.push_back(c);
        }
    if (used.size() < 2)
        return std::numeric_limits<double>::quiet_NaN();
    double total = 0;
    for (auto i : used) {
        double worst = 0;
        for (auto j : used) {
            if (i == j)
                continue;
            double d2 = 0;
            for (std::size_t m = 0; m < D; ++m) {
                const double diff = km.centroids[i * D + m] - km.centroids[j * D + m];
                d2 += diff * diff;
            }
            const double d = std::sqrt(d2);
            // Coincident centroids: an infinitely bad pair.
            const double ratio =
                d > 0 ? (spread[i] + spread[j]) / d : std::numeric_limits<double>::infinity();
            worst = std::max(worst, ratio);
        }
        total += worst;
    }
    return total / static_cast<double>(used.size());
}

}  // namespace movie_recs::core
