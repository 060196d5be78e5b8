#include <gtest/gtest.h>

#include "core/cluster_ratings.hpp"
#include "core/errors.hpp"
#include "test_helpers.hpp"

using namespace movie_recs::core;
using movie_recs::test::matrix_of;

TEST(ClusterRatings, CountsAndMeansPerCluster) {
    // Users 1 and 3 in cluster 0, user 2 in cluster 1, cluster 2 empty. User 3's duplicate
    // rating of movie 7 is merged into its mean (3) first.
    const auto m = matrix_of({{1, 5, 4.0}, {1, 6, 2.0}, {2, 5, 5.0}, {3, 7, 2.0}, {3, 7, 4.0}});
    const ClusterRatings r = cluster_ratings(m, {0, 1, 0}, 3);
    EXPECT_EQ(r.ratings, (std::vector<std::int64_t>{3, 1, 0}));
    EXPECT_DOUBLE_EQ(r.mean_rating[0], 3.0);  // (4 + 2 + 3) / 3
    EXPECT_DOUBLE_EQ(r.mean_rating[1], 5.0);
    EXPECT_DOUBLE_EQ(r.mean_rating[2], 0.0);
}

TEST(ClusterRatings, RejectsAnAssignmentThatDoesNotFit) {
    const auto m = matrix_of({{1, 5, 4.0}, {2, 5, 5.0}});
    EXPECT_THROW(cluster_ratings(m, {0}, 1), Error);
    EXPECT_THROW(cluster_ratings(m, {0, 2}, 2), Error);
}

TEST(ClusterRatings, SameWhateverTheThreadCount) {
    // Values whose sums depend on the order of the additions: each cluster's is taken in row
    // order whatever the split of the clusters among the threads.
    std::vector<RatingTriple> rows;
    for (std::int64_t u = 1; u <= 60; ++u)
        for (std::int64_t j = 0; j < 7; ++j)
            rows.push_back({u, j, 0.1 + 1e-3 * static_cast<double>((u * 31 + j * 17) % 101)});
    const auto m = matrix_of(rows);
    std::vector<std::int32_t> assignment;
    for (std::int64_t u = 0; u < 60; ++u) assignment.push_back(static_cast<std::int32_t>((u * 7) % 5));
    const ClusterRatings one = cluster_ratings(m, assignment, 5, 1);
    for (int threads : {2, 3, 8}) {
        const ClusterRatings more = cluster_ratings(m, assignment, 5, threads);
        EXPECT_EQ(more.ratings, one.ratings);
        EXPECT_EQ(more.mean_rating, one.mean_rating);
    }
}
