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
