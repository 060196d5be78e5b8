#include <gtest/gtest.h>

#include <cmath>

#include "core/errors.hpp"
#include "core/metrics.hpp"

using namespace movie_recs::core;

TEST(Holdout, LatestShareGoesToTestAtLeastOne) {
    std::vector<TimedRating> r;
    for (int i = 0; i < 10; ++i) r.push_back({1, 100 + i, 4.0, 1000 - i});  // movie 109 oldest
    r.push_back({2, 5, 3.0, 7});                                             // a single rating
    r.push_back({3, 8, 3.0, 50});
    r.push_back({3, 6, 3.0, 50});  // same time: movie id orders
    std::vector<RatingTriple> train, test;
    split_holdout(r, 0.2, &train, &test);
    ASSERT_EQ(test.size(), 4u);
    EXPECT_EQ(test[0].movie_id, 101);  // two latest of user 1: times 999 and 1000
    EXPECT_EQ(test[1].movie_id, 100);
    EXPECT_EQ(test[2].user_id, 2);
    EXPECT_EQ(test[3].movie_id, 8);
    EXPECT_EQ(train.size(), 9u);
    EXPECT_THROW(split_holdout(r, 0, &train, &test), Error);
    EXPECT_THROW(split_holdout(r, 1, &train, &test), Error);
}

TEST(Metrics, HandComputedPrecisionRecallNdcgCoverage) {
    MetricsAccumulator acc(3);
    acc.add({1, 2, 3, 4}, {2, 4});  // hit at rank 2 only (4 is past n)
    acc.add({5, 6, 7}, {5});        // hit at rank 1
    acc.add({8}, {});               // no relevant: skipped
    const auto m = acc.result(10);
    EXPECT_EQ(m.users, 2);
    EXPECT_NEAR(m.precision, (1.0 / 3 + 1.0 / 3) / 2, 1e-12);
    EXPECT_NEAR(m.recall, (0.5 + 1.0) / 2, 1e-12);
    const double ndcg1 = (1 / std::log2(3.0)) / (1 + 1 / std::log2(3.0));
    EXPECT_NEAR(m.ndcg, (ndcg1 + 1.0) / 2, 1e-12);
    EXPECT_NEAR(m.coverage, 6.0 / 10, 1e-12);
}
