#include <gtest/gtest.h>

#include <algorithm>
#include <random>

#include "core/errors.hpp"
#include "core/evaluate.hpp"
#include "core/metrics.hpp"
#include "core/model.hpp"

using namespace movie_recs::core;

namespace {

std::vector<TimedRating> timed(int users, int per_user) {
    std::vector<TimedRating> r;
    for (int u = 1; u <= users; ++u)
        for (int i = 0; i < per_user; ++i)
            r.push_back({u, 100 + (u * 7 + i * 3) % 50, 3.0, i});
    return r;
}

bool same(const std::vector<RatingTriple>& a, const std::vector<RatingTriple>& b) {
    if (a.size() != b.size())
        return false;
    for (std::size_t i = 0; i < a.size(); ++i)
        if (a[i].user_id != b[i].user_id || a[i].movie_id != b[i].movie_id)
            return false;
    return true;
}

}  // namespace

TEST(RandomHoldout, ShareAtLeastOneDeterministicAndOrderIndependent) {
    std::vector<TimedRating> r = timed(30, 10);
    r.push_back({99, 1, 4.0, 0});  // a single rating: held out
    std::vector<RatingTriple> train, test, train2, test2;
    split_random(r, 0.2, 7, &train, &test);
    EXPECT_EQ(test.size(), 30u * 2 + 1);
    EXPECT_EQ(train.size(), 30u * 8);
    std::mt19937_64 rng(1);
    std::shuffle(r.begin(), r.end(), rng);
    split_random(r, 0.2, 7, &train2, &test2);
    EXPECT_TRUE(same(test, test2));
    EXPECT_TRUE(same(train, train2));
    split_random(r, 0.2, 8, &train2, &test2);
    EXPECT_FALSE(same(test, test2)) << "another seed holds out other ratings";
    // Not simply the latest: the random share ignores time.
    split_holdout(r, 0.2, &train2, &test2);
    EXPECT_FALSE(same(test, test2));
    EXPECT_THROW(split_random(r, 1.0, 7, &train, &test), Error);
}

TEST(AdjustedRandIndex, IdenticalPermutedAndIndependent) {
    EXPECT_DOUBLE_EQ(adjusted_rand_index({0, 0, 1, 1, 2, 2}, {5, 5, 3, 3, 9, 9}), 1.0);
    EXPECT_LT(adjusted_rand_index({0, 0, 0, 1, 1, 1}, {0, 1, 0, 1, 0, 1}), 0.0);
    EXPECT_THROW(adjusted_rand_index({0, 1}, {0}), Error);
}

TEST(Evaluation, MostRatedBaselineByHand) {
    // Users 1..4 in training; movie 1 is rated by 3 users, movie 2 by 2, movie 3 by 1. Times put
    // each user's last rating in test.
    std::vector<TimedRating> r = {
        {1, 1, 5, 1}, {1, 2, 5, 2}, {1, 4, 5, 3},  // test: movie 4 (relevant)
        {2, 1, 5, 1}, {2, 3, 5, 2}, {2, 2, 2, 3},  // test: movie 2 (not relevant: 2 < 4)
        {3, 1, 5, 1}, {3, 5, 4, 2},                // test: movie 5 (relevant)
        {4, 2, 5, 1}, {4, 1, 4, 2},                // test: movie 1 (relevant)
    };
    HoldoutParams hp;
    hp.share = 0.2;
    hp.n = 2;
    const Evaluation e(r, hp);
    EXPECT_EQ(e.train_ratings(), 6);
    EXPECT_EQ(e.test_ratings(), 4);
    EXPECT_EQ(e.evaluated_users(), 3);
    const RankingMetrics m = e.most_rated();
    // Training counts: movie 1: 3, movie 2: 2 (users 1, 4), movie 3: 1. User 1 (seen 1, 2) gets
    // [3]; user 3 (seen 1) gets [2, 3]; user 4 (seen 2) gets [1, 3]: one hit, at rank 1.
    EXPECT_EQ(m.users, 3);
    EXPECT_NEAR(m.precision, (0 + 0 + 0.5) / 3, 1e-12);
    EXPECT_NEAR(m.recall, (0 + 0 + 1.0) / 3, 1e-12);
    EXPECT_NEAR(m.ndcg, 1.0 / 3, 1e-12);
    EXPECT_NEAR(m.coverage, 3.0 / 3, 1e-12);  // movies 1, 2, 3 of the 3 training movies
    hp.all_relevant = true;
    EXPECT_EQ(Evaluation(r, hp).evaluated_users(), 4);
}

TEST(Evaluation, ModelFindsTheGroupsTheBaselineCannot) {
    // Two groups of users with disjoint blocks of 10 movies; each user rated 9 movies of their
    // block, and the one rated last (a different one per user) is held out. Group 0 is larger, so
    // the most-rated movies are all group 0's.
    std::vector<TimedRating> r;
    for (int u = 1; u <= 50; ++u) {
        const int g = u <= 30 ? 0 : 1;
        for (int j = 0; j < 10; ++j) {
            if (j == u % 10)
                continue;
            r.push_back({u, 1000 + g * 10 + j, 5.0, (j + u) % 10});
        }
    }
    HoldoutParams hp;
    hp.share = 0.1;  // one of 9
    hp.n = 5;
    const Evaluation e(r, hp);
    EXPECT_EQ(e.evaluated_users(), 50);
    ModelParams p;
    p.kmeans.k = 2;
    const Model model = train_model(e.train(), p);
    const RankingMetrics mine = e.evaluate(model);
    const RankingMetrics base = e.most_rated();
    EXPECT_EQ(mine.users, base.users);
    EXPECT_DOUBLE_EQ(mine.recall, 1.0);  // a user has only 2 unseen movies in their block
    EXPECT_LT(base.recall, 0.7);         // group 1 gets group 0's movies
    EXPECT_GT(mine.ndcg, base.ndcg + 0.3);
}

TEST(Evaluation, RejectsEmptyTrainingAndNoRelevantMovie) {
    HoldoutParams hp;
    EXPECT_THROW(Evaluation({{1, 1, 5, 1}, {2, 2, 5, 1}}, hp), Error);  // all held out
    hp.threshold = 10;
    try {
        Evaluation(timed(5, 10), hp);
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InvalidData);
    }
    hp.threshold = 4;
    hp.n = 0;
    EXPECT_THROW(Evaluation(timed(5, 10), hp), Error);
}
