#include "cluster_ratings.hpp"

#include "errors.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

ClusterRatings cluster_ratings(const RatingMatrix& m, const std::vector<std::int32_t>& assignment,
                               int k) {
    if (k < 0 || static_cast<std::int64_t>(assignment.size()) != m.users())
        throw Error(ErrorKind::Internal, "the assignment does not match the rating matrix", {},
                    "Please report a bug.");
    const auto clusters = static_cast<std::size_t>(k);
    ClusterRatings out;
    out.ratings.assign(clusters, 0);
    out.mean_rating.assign(clusters, 0.0);
    std::vector<double> sum(clusters, 0.0);
    const SparseRows& rows = m.rows();
    for (std::int64_t u = 0; u < rows.outerSize(); ++u) {
        const auto c = assignment[static_cast<std::size_t>(u)];
        if (c < 0 || c >= k)
            throw Error(ErrorKind::Internal, "a user is assigned to a cluster out of range", {},
                        "Please report a bug.");
        for (SparseRows::InnerIterator it(rows, u); it; ++it) {
            sum[static_cast<std::size_t>(c)] += static_cast<double>(it.value());
            out.ratings[static_cast<std::size_t>(c)] += 1;
        }
    }
    for (std::size_t c = 0; c < clusters; ++c)
        if (out.ratings[c] > 0)
            out.mean_rating[c] = sum[c] / static_cast<double>(out.ratings[c]);
    return out;
}

}  // namespace movie_recs::core
