#include <gtest/gtest.h>

#include "core/errors.hpp"
#include "core/recommend.hpp"

using namespace movie_recs::core;

namespace {

// Two clusters over movies 1..6; popularity known for all of them.
ServingModel small_model() {
    std::vector<std::vector<ScoredMovie>> lists = {
        {{1, 0.9}, {2, 0.8}, {3, 0.5}},
        {{4, 0.9}, {5, 0.6}, {2, 0.4}},
    };
    std::vector<double> prior = {0.5, 0.25};
    std::vector<ScoredMovie> popular = {{2, 0.6}, {1, 0.4}, {4, 0.4}, {6, 0.3}, {3, 0.2}, {5, 0.1}};
    return ServingModel(lists, prior, popular);
}

std::vector<std::int64_t> ids(const std::vector<ScoredMovie>& v) {
    std::vector<std::int64_t> out;
    for (const auto& s : v) out.push_back(s.movie_id);
    return out;
}

}  // namespace

TEST(Recommend, HardAssignmentRanksByClusterScoreThenPriorShare) {
    const auto m = small_model();
    const std::int32_t c[] = {0};
    const float w[] = {1.0f};
    const auto r = m.recommend(c, w, 1, {}, 6);
    // Listed movies keep their cluster score; unlisted ones get prior 0.5 x popularity:
    // 4 -> 0.2, 6 -> 0.15, 5 -> 0.05.
    EXPECT_EQ(ids(r), (std::vector<std::int64_t>{1, 2, 3, 4, 6, 5}));
    EXPECT_DOUBLE_EQ(r[0].score, 0.9);
    EXPECT_DOUBLE_EQ(r[3].score, 0.2);
}

TEST(Recommend, SoftAssignmentBlendsClusters) {
    const auto m = small_model();
    const std::int32_t c[] = {0, 1};
    const float w[] = {0.5f, 0.5f};
    const auto r = m.recommend(c, w, 2, {}, 3);
    // movie 2: 0.5 * 0.8 + 0.5 * 0.4 = 0.6; movie 4: 0.5 * (0.5 * 0.4) + 0.5 * 0.9 = 0.55;
    // movie 1: 0.5 * 0.9 + 0.5 * (0.25 * 0.4) = 0.5.
    EXPECT_EQ(ids(r), (std::vector<std::int64_t>{2, 4, 1}));
    EXPECT_NEAR(r[0].score, 0.6, 1e-12);
    EXPECT_NEAR(r[1].score, 0.55, 1e-12);
    EXPECT_NEAR(r[2].score, 0.5, 1e-12);
}

TEST(Recommend, NeverReturnsASeenMovie) {
    const auto m = small_model();
    const std::int32_t c[] = {0};
    const float w[] = {1.0f};
    const auto r = m.recommend(c, w, 1, {3, 1, 99}, 10);
    EXPECT_EQ(ids(r), (std::vector<std::int64_t>{2, 4, 6, 5}));
}

TEST(Recommend, TiesAreBrokenByMovieId) {
    ServingModel m({{{9, 0.5}, {7, 0.5}, {8, 0.5}}}, {0.0}, {});
    const std::int32_t c[] = {0};
    const float w[] = {1.0f};
    EXPECT_EQ(ids(m.recommend(c, w, 1, {}, 3)), (std::vector<std::int64_t>{7, 8, 9}));
}

TEST(Recommend, UnknownUserGetsMostPopularUnseen) {
    const auto m = small_model();
    EXPECT_EQ(ids(m.recommend(nullptr, nullptr, 0, {2}, 3)), (std::vector<std::int64_t>{1, 4, 6}));
}

TEST(Recommend, FewerRowsWhenTheModelKnowsFewerMovies) {
    const auto m = small_model();
    const std::int32_t c[] = {1};
    const float w[] = {1.0f};
    EXPECT_EQ(m.recommend(c, w, 1, {1, 2, 3, 4}, 10).size(), 2u);
    EXPECT_TRUE(m.recommend(c, w, 1, {}, 0).empty());
}

TEST(Recommend, RejectsNOutOfRangeAndUnknownClusters) {
    const auto m = small_model();
    const std::int32_t c[] = {0};
    const std::int32_t bad[] = {7};
    const float w[] = {1.0f};
    EXPECT_THROW(m.recommend(c, w, 1, {}, -1), Error);
    EXPECT_THROW(m.recommend(c, w, 1, {}, kMaxRecommendations + 1), Error);
    EXPECT_NO_THROW(m.recommend(c, w, 1, {}, kMaxRecommendations));
    EXPECT_THROW(m.recommend(bad, w, 1, {}, 3), Error);
}
