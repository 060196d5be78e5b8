#include "cluster_ratings.hpp"

#include <algorithm>

#include "errors.hpp"
#include "parallel.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

ClusterRatings cluster_ratings(const RatingMatrix& m, const std::vector<std::int32_t>& assignment,
                               int k, int threads, const Hooks& hooks) {
    if (k < 0 || static_cast<std::int64_t>(assignment.size()) != m.users())
        throw Error(ErrorKind::Internal, "the assignment does not match the rating matrix", {},
                    "Please report a bug.");
    for (const std::int32_t c : assignment)
        if (c < 0 || c >= k)
            throw Error(ErrorKind::Internal, "a user is assigned to a cluster out of range", {},
                        "Please report a bug.");
    const auto clusters = static_cast<std::size_t>(k);
    ClusterRatings out;
    out.ratings.assign(clusters, 0);
    out.mean_rating.assign(clusters, 0.0);
    std::vector<double> sum(clusters, 0.0);
    const SparseRows& rows = m.rows();
    // Worker w takes the clusters [k * w / workers, k * (w + 1) / workers).
    const int workers = std::max(1, std::min(threads, k));
    parallel_shares(workers, hooks, [&](int w) {
        const std::int64_t lo = std::int64_t{k} * w / workers, hi = std::int64_t{k} * (w + 1) / workers;
        // Local sums (no cache line shared with another worker), stored at the end.
        std::vector<double> s(clusters, 0.0);
        std::vector<std::int64_t> n(clusters, 0);
        for (std::int64_t u = 0; u < rows.outerSize(); ++u) {
            const auto c = static_cast<std::size_t>(assignment[static_cast<std::size_t>(u)]);
            if (static_cast<std::int64_t>(c) < lo || static_cast<std::int64_t>(c) >= hi) continue;
            for (SparseRows::InnerIterator it(rows, u); it; ++it) {
                s[c] += static_cast<double>(it.value());
                n[c] += 1;
            }
        }
        for (std::int64_t c = lo; c < hi; ++c) {
            sum[static_cast<std::size_t>(c)] = s[static_cast<std::size_t>(c)];
            out.ratings[static_cast<std::size_t>(c)] = n[static_cast<std::size_t>(c)];
        }
    });
    for (std::size_t c = 0; c < clusters; ++c)
        if (out.ratings[c] > 0)
            out.mean_rating[c] = sum[c] / static_cast<double>(out.ratings[c]);
    return out;
}

}  // namespace movie_recs::core
