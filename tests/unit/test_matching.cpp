#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <numeric>
#include <random>

#include "core/errors.hpp"
#include "core/matching.hpp"
#include "core/model.hpp"
#include "test_helpers.hpp"

using namespace movie_recs::core;
using movie_recs::test::matrix_of;
using movie_recs::test::separable;

namespace {

// Smallest total cost over every way of matching min(rows, cols) pairs, by enumeration.
double brute_force_cost(const std::vector<double>& cost, int rows, int cols) {
    const bool by_rows = rows <= cols;
    const int small = by_rows ? rows : cols, large = by_rows ? cols : rows;
    std::vector<int> perm(static_cast<std::size_t>(large));
    std::iota(perm.begin(), perm.end(), 0);
    double best = std::numeric_limits<double>::infinity();
    do {
        double total = 0;
        for (int i = 0; i < small; ++i) {
            const int r = by_rows ? i : perm[static_cast<std::size_t>(i)];
            const int c = by_rows ? perm[static_cast<std::size_t>(i)] : i;
            total += cost[static_cast<std::size_t>(r * cols + c)];
        }
        best = std::min(best, total);
    } while (std::next_permutation(perm.begin(), perm.end()));
    return best;
}

double matched_cost(const std::vector<double>& cost, int cols, const std::vector<int>& match) {
    double total = 0;
    for (std::size_t r = 0; r < match.size(); ++r)
        if (match[r] >= 0)
            total += cost[r * static_cast<std::size_t>(cols) + static_cast<std::size_t>(match[r])];
    return total;
}

struct OwnedCentroid {
    std::vector<std::int64_t> ids;
    std::vector<float> w;
    CentroidView view() const { return {ids.data(), w.data(), ids.size()}; }
};

std::vector<CentroidView> views(const std::vector<OwnedCentroid>& c) {
    std::vector<CentroidView> v;
    for (const auto& x : c)
        v.push_back(x.view());
    return v;
}

// Centroid i has weight 1 on movie 100 * (i + 1) and a small weight on movie 1.
OwnedCentroid spike(int i, float jitter = 0) {
    return {{1, 100 * static_cast<std::int64_t>(i + 1)}, {0.1f + jitter, 1.0f}};
}

std::vector<OwnedCentroid> centroids_of(const Model& m) {
    std::vector<OwnedCentroid> out(static_cast<std::size_t>(m.km.k));
    for (int c = 0; c < m.km.k; ++c)
        centroid_nonzeros(m, c, &out[static_cast<std::size_t>(c)].ids,
                          &out[static_cast<std::size_t>(c)].w);
    return out;
}

}  // namespace

TEST(Assignment, KnownSquareMatrix) {
    // The diagonal costs 4 + 5 + 3 = 12; the optimum is rows 0->1, 1->0, 2->2: 1 + 2 + 3 = 6.
    const std::vector<double> cost = {4, 1, 3, 2, 5, 6, 9, 9, 3};
    const std::vector<int> match = min_cost_assignment(cost, 3, 3);
    EXPECT_EQ(match, (std::vector<int>{1, 0, 2}));
    EXPECT_DOUBLE_EQ(matched_cost(cost, 3, match), 6.0);
}

TEST(Assignment, MatchesBruteForceOnRandomMatrices) {
    std::mt19937_64 rng(7);
    std::uniform_real_distribution<double> value(0.0, 10.0);
    for (int rows = 1; rows <= 6; ++rows)
        for (int cols = 1; cols <= 6; ++cols)
            for (int trial = 0; trial < 5; ++trial) {
                std::vector<double> cost(static_cast<std::size_t>(rows * cols));
                for (auto& c : cost)
                    c = trial == 4 ? std::floor(value(rng) / 4) : value(rng);  // ties
                const std::vector<int> match = min_cost_assignment(cost, rows, cols);
                ASSERT_EQ(match.size(), static_cast<std::size_t>(rows));
                std::vector<int> used;
                for (int m : match)
                    if (m >= 0)
                        used.push_back(m);
                EXPECT_EQ(used.size(), static_cast<std::size_t>(std::min(rows, cols)))
                    << rows << "x" << cols;
                std::sort(used.begin(), used.end());
                EXPECT_TRUE(std::adjacent_find(used.begin(), used.end()) == used.end())
                    << "a column used twice in " << rows << "x" << cols;
                EXPECT_NEAR(matched_cost(cost, cols, match), brute_force_cost(cost, rows, cols),
                            1e-9)
                    << rows << "x" << cols << " trial " << trial;
            }
}

TEST(Assignment, EmptyAndInvalidInput) {
    EXPECT_TRUE(min_cost_assignment({}, 0, 3).empty());
    EXPECT_EQ(min_cost_assignment({}, 2, 0), (std::vector<int>{-1, -1}));
    EXPECT_THROW(min_cost_assignment({1, 2, 3}, 2, 2), Error);
    EXPECT_THROW(min_cost_assignment({1, std::nan("")}, 1, 2), Error);
}

TEST(Assignment, StopsWhenInterrupted) {
    Hooks hooks;
    hooks.interrupted = [] { return true; };
    try {
        min_cost_assignment({1, 2, 3, 4}, 2, 2, hooks);
        FAIL() << "expected a cancel";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
    }
}

TEST(SparseDistance, OverlappingAndDisjointSupports) {
    const OwnedCentroid a{{1, 3, 5}, {1.0f, 2.0f, 3.0f}};
    const OwnedCentroid b{{3, 4}, {1.0f, 2.0f}};
    // Differences: movie 1: 1, movie 3: 1, movie 4: -2, movie 5: 3 -> 1 + 1 + 4 + 9 = 15.
    EXPECT_DOUBLE_EQ(sparse_distance(a.view(), b.view()), std::sqrt(15.0));
    EXPECT_DOUBLE_EQ(sparse_distance(b.view(), a.view()), std::sqrt(15.0));
    EXPECT_DOUBLE_EQ(sparse_distance(a.view(), a.view()), 0.0);
    const OwnedCentroid empty{};
    EXPECT_DOUBLE_EQ(sparse_distance(a.view(), empty.view()), std::sqrt(14.0));
}

TEST(StableIds, NoPreviousModelGivesOneToK) {
    const std::vector<OwnedCentroid> now = {spike(0), spike(1), spike(2)};
    EXPECT_EQ(stable_cluster_ids(views(now), {}, {}), (std::vector<std::int32_t>{1, 2, 3}));
}

TEST(StableIds, PermutedClustersKeepTheirIds) {
    // Previous clusters with ids 7, 3, 12 at spikes 0, 1, 2; the new model found them in the
    // order 2, 0, 1 (slightly moved).
    const std::vector<OwnedCentroid> before = {spike(0), spike(1), spike(2)};
    const std::vector<OwnedCentroid> now = {spike(2, 0.05f), spike(0, -0.02f), spike(1, 0.01f)};
    EXPECT_EQ(stable_cluster_ids(views(now), views(before), {7, 3, 12}),
              (std::vector<std::int32_t>{12, 7, 3}));
}

TEST(StableIds, NewClustersGetNewIds) {
    const std::vector<OwnedCentroid> before = {spike(0), spike(1)};
    const std::vector<OwnedCentroid> now = {spike(3), spike(1), spike(4), spike(0)};
    const auto ids = stable_cluster_ids(views(now), views(before), {5, 2});
    // spikes 1 and 0 keep ids 2 and 5; the two others get 6 and 7 (after the largest id 5).
    EXPECT_EQ(ids[1], 2);
    EXPECT_EQ(ids[3], 5);
    EXPECT_EQ(ids[0], 6);
    EXPECT_EQ(ids[2], 7);
}

TEST(StableIds, FewerClustersKeepTheIdsOfTheirClosestPartners) {
    const std::vector<OwnedCentroid> before = {spike(0), spike(1), spike(2), spike(3)};
    const std::vector<OwnedCentroid> now = {spike(3), spike(1)};
    EXPECT_EQ(stable_cluster_ids(views(now), views(before), {1, 2, 3, 4}),
              (std::vector<std::int32_t>{4, 2}));
}

TEST(StableIds, OptimalNotGreedy) {
    // Distances: n0-p0 1, n0-p1 2, n1-p0 10, n1-p1 13. Greedy (closest pair first) takes n0-p0
    // and is left with n1-p1: 1 + 13 = 14. The optimal matching crosses: 2 + 10 = 12.
    const OwnedCentroid p0{{1}, {0.0f}}, p1{{1}, {3.0f}};
    const OwnedCentroid n0{{1}, {1.0f}}, n1{{1}, {-10.0f}};
    const auto ids = stable_cluster_ids(views({n0, n1}), views({p0, p1}), {1, 2});
    EXPECT_EQ(ids, (std::vector<std::int32_t>{2, 1}));
}

TEST(StableIds, LimitsAndBadInput) {
    std::vector<OwnedCentroid> many(static_cast<std::size_t>(kMaxMatchedClusters) + 1, spike(0));
    EXPECT_THROW(stable_cluster_ids(views(many), views({spike(0)}), {1}), Error);
    EXPECT_THROW(stable_cluster_ids(views({spike(0)}), views({spike(0)}), {0}), Error);
    EXPECT_THROW(stable_cluster_ids(views({spike(0)}), views({spike(0)}), {}), Error);
}

// End to end on a model: two trainings with different seeds find the same planted groups in a
// different order; after matching, every user has the same cluster id in both.
TEST(StableIds, RetrainingWithAnotherSeedKeepsTheGroupsIds) {
    const auto m = matrix_of(separable(5, 12, 6));
    ModelParams p;
    p.kmeans.k = 5;
    p.kmeans.seed = 1;
    // Presence vectors: every user of a group has the same vector, so both seeds find the planted
    // groups. (With the default liked-movie vectors the users of a group like different subsets of
    // its movies in this data, and k = 5 need not recover the groups: the premise would fail.)
    p.vectors = UserVector::Presence;
    const Model first = train_model(m, p);
    p.kmeans.seed = 99;
    const Model second = train_model(m, p);
    // The raw indexes differ (otherwise the test shows nothing).
    ASSERT_NE(first.km.assignment, second.km.assignment);

    const auto c1 = centroids_of(first), c2 = centroids_of(second);
    const std::vector<std::int32_t> first_ids = stable_cluster_ids(views(c1), {}, {});
    const std::vector<std::int32_t> second_ids =
        stable_cluster_ids(views(c2), views(c1), first_ids);
    for (std::size_t u = 0; u < first.km.assignment.size(); ++u)
        EXPECT_EQ(first_ids[static_cast<std::size_t>(first.km.assignment[u])],
                  second_ids[static_cast<std::size_t>(second.km.assignment[u])])
            << "user " << u;
}
