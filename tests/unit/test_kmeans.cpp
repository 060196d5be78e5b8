#include <gtest/gtest.h>

#include <set>

#include "core/errors.hpp"
#include "core/kmeans.hpp"
#include "test_helpers.hpp"

using namespace movie_recs::core;
using movie_recs::test::adjusted_rand_index;
using movie_recs::test::matrix_of;
using movie_recs::test::random_ratings;
using movie_recs::test::separable;

namespace {

KMeansParams params(int k, std::uint64_t seed = 42, int threads = 1) {
    KMeansParams p;
    p.k = k;
    p.seed = seed;
    p.threads = threads;
    return p;
}

ErrorKind kind_of(const std::function<void()>& f) {
    try {
        f();
    } catch (const Error& e) {
        return e.kind();
    }
    ADD_FAILURE() << "no error thrown";
    return ErrorKind::Internal;
}

}  // namespace

TEST(KMeans, RecoversPlantedClustersExactly) {
    const auto m = matrix_of(separable(4, 25, 10));
    for (std::uint64_t seed : {1, 2, 3, 42}) {
        const auto r = kmeans(m.rows(), params(4, seed));
        std::vector<int> truth, got;
        for (std::int64_t u = 0; u < m.users(); ++u) {
            truth.push_back(static_cast<int>((m.user_ids()[u] - 1) % 4));
            got.push_back(r.assignment[u]);
        }
        EXPECT_DOUBLE_EQ(adjusted_rand_index(truth, got), 1.0) << "seed " << seed;
        EXPECT_TRUE(r.converged);
        for (auto s : r.sizes) EXPECT_EQ(s, 25);
    }
}

TEST(KMeans, RecoversNoisyPlantedClusters) {
    // Each user rates 12 movies of its group's 40 and 3 random others: overlapping but separable.
    std::vector<RatingTriple> t;
    std::mt19937_64 rng(7);
    const int groups = 5;
    for (int u = 0; u < 300; ++u) {
        const int g = u % groups;
        std::set<int> picks;
        while (picks.size() < 12) picks.insert(g * 40 + static_cast<int>(rng() % 40));
        while (picks.size() < 15) picks.insert(static_cast<int>(rng() % (groups * 40)));
        for (int mv : picks) t.push_back({u, mv, 4.0});
    }
    const auto m = matrix_of(t);
    // Presence vectors scaled to unit length, as the model does.
    SparseRows x = m.rows();
    for (std::int64_t i = 0; i < x.rows(); ++i)
        for (SparseRows::InnerIterator it(x, i); it; ++it) it.valueRef() = 1.0f / std::sqrt(15.0f);
    std::vector<int> truth;
    for (std::int64_t u = 0; u < m.users(); ++u) truth.push_back(static_cast<int>(m.user_ids()[u] % groups));
    double best = 0;
    for (std::uint64_t seed : {1, 2, 3}) {
        const auto r = kmeans(x, params(groups, seed));
        std::vector<int> got(r.assignment.begin(), r.assignment.end());
        best = std::max(best, adjusted_rand_index(truth, got));
    }
    EXPECT_GT(best, 0.9);
}

TEST(KMeans, IdenticalWhateverTheThreadCount) {
    const auto m = matrix_of(random_ratings(5000, 300, 20, 11));
    const auto one = kmeans(m.rows(), params(12, 5, 1));
    for (int threads : {2, 4}) {
        const auto many = kmeans(m.rows(), params(12, 5, threads));
        EXPECT_EQ(one.assignment, many.assignment) << threads << " threads";
        EXPECT_EQ(one.centroids, many.centroids) << threads << " threads";
        EXPECT_EQ(one.inertia, many.inertia) << threads << " threads";
        EXPECT_EQ(one.iterations, many.iterations) << threads << " threads";
    }
}

TEST(KMeans, SameSeedSameModelOtherSeedOtherSeeding) {
    const auto m = matrix_of(random_ratings(400, 100, 10, 3));
    const auto a = kmeans(m.rows(), params(8, 9));
    const auto b = kmeans(m.rows(), params(8, 9));
    const auto c = kmeans(m.rows(), params(8, 10));
    EXPECT_EQ(a.centroids, b.centroids);
    EXPECT_EQ(a.assignment, b.assignment);
    EXPECT_NE(a.centroids, c.centroids);
}

TEST(KMeans, KEqualToUsersPutsEachUserAlone) {
    const auto m = matrix_of(random_ratings(30, 50, 8, 4));
    const auto r = kmeans(m.rows(), params(30));
    std::set<int> used(r.assignment.begin(), r.assignment.end());
    EXPECT_EQ(used.size(), 30u);
    EXPECT_NEAR(r.inertia, 0.0, 1e-9);
    for (auto s : r.sizes) EXPECT_EQ(s, 1);
}

TEST(KMeans, DuplicatePointsLeaveNoClusterCrashingOrNan) {
    // 20 identical users and 2 others, k = 4: seeding must pick coincident rows, and clusters
    // left empty are reseeded or stay empty on purpose, never NaN.
    std::vector<RatingTriple> t;
    for (int u = 0; u < 20; ++u) t.push_back({u, 1, 4.0}), t.push_back({u, 2, 4.0});
    t.push_back({100, 3, 5.0});
    t.push_back({101, 4, 5.0});
    const auto m = matrix_of(t);
    const auto r = kmeans(m.rows(), params(4));
    std::int64_t total = 0;
    for (auto s : r.sizes) total += s;
    EXPECT_EQ(total, 22);
    for (double v : r.centroids) EXPECT_TRUE(std::isfinite(v));
    EXPECT_NEAR(r.inertia, 0.0, 1e-9);
    EXPECT_NE(r.assignment[20], r.assignment[21]);
    EXPECT_NE(r.assignment[0], r.assignment[20]);
}

TEST(KMeans, EmptyClusterIsReseededWithTheFarthestRow) {
    // Three tight groups and k = 3; however seeding goes, every cluster ends non-empty.
    const auto m = matrix_of(separable(3, 10, 4));
    for (std::uint64_t seed = 0; seed < 20; ++seed) {
        const auto r = kmeans(m.rows(), params(3, seed));
        for (auto s : r.sizes) EXPECT_GT(s, 0) << "seed " << seed;
    }
}

TEST(KMeans, OneMovie) {
    const auto m = matrix_of({{1, 5, 1.0}, {2, 5, 1.5}, {3, 5, 5.0}, {4, 5, 4.5}});
    const auto r = kmeans(m.rows(), params(2));
    EXPECT_EQ(r.assignment[0], r.assignment[1]);
    EXPECT_EQ(r.assignment[2], r.assignment[3]);
    EXPECT_NE(r.assignment[0], r.assignment[2]);
    EXPECT_NEAR(r.inertia, 0.25, 1e-9);
}

TEST(KMeans, OneUser) {
    const auto m = matrix_of({{1, 5, 1.0}, {1, 6, 2.0}});
    const auto r = kmeans(m.rows(), params(1));
    EXPECT_EQ(r.sizes[0], 1);
    EXPECT_TRUE(r.converged);
}

TEST(KMeans, InertiaNeverIncreasesAcrossIterations) {
    const auto m = matrix_of(random_ratings(800, 200, 15, 21));
    std::vector<double> seen;
    Hooks hooks;
    hooks.progress = [&](const Progress& p) {
        if (std::string(p.phase) == "iteration") seen.push_back(p.inertia);
    };
    KMeansParams p = params(10);
    p.tolerance = 0;
    kmeans(m.rows(), p, hooks);
    ASSERT_GE(seen.size(), 2u);
    for (std::size_t i = 1; i < seen.size(); ++i) EXPECT_LE(seen[i], seen[i - 1] * (1 + 1e-12));
}

TEST(KMeans, ToleranceAndIterationCap) {
    const auto m = matrix_of(random_ratings(800, 200, 15, 21));
    KMeansParams p = params(10);
    p.max_iterations = 2;
    p.tolerance = 0;
    const auto r = kmeans(m.rows(), p);
    EXPECT_EQ(r.iterations, 2);
    EXPECT_FALSE(r.converged);
}

TEST(KMeans, CancelStopsWithCancelled) {
    const auto m = matrix_of(random_ratings(5000, 300, 20, 11));
    for (int threads : {1, 2}) {
        int calls = 0;
        Hooks hooks;
        hooks.interrupted = [&] { return ++calls > 3; };
        EXPECT_EQ(kind_of([&] { kmeans(m.rows(), params(10, 1, threads), hooks); }),
                  ErrorKind::Cancelled);
    }
}

TEST(KMeans, RejectsBadParameters) {
    const auto m = matrix_of(random_ratings(10, 20, 3, 1));
    EXPECT_EQ(kind_of([&] { kmeans(m.rows(), params(0)); }), ErrorKind::InvalidParameter);
    EXPECT_EQ(kind_of([&] { kmeans(m.rows(), params(kMaxClusters + 1)); }), ErrorKind::InvalidParameter);
    EXPECT_EQ(kind_of([&] { kmeans(m.rows(), params(11)); }), ErrorKind::TooFewUsers);
    KMeansParams p = params(2);
    p.max_iterations = 0;
    EXPECT_EQ(kind_of([&] { kmeans(m.rows(), p); }), ErrorKind::InvalidParameter);
    p = params(2);
    p.tolerance = -1;
    EXPECT_EQ(kind_of([&] { kmeans(m.rows(), p); }), ErrorKind::InvalidParameter);
    p.tolerance = std::nan("");
    EXPECT_EQ(kind_of([&] { kmeans(m.rows(), p); }), ErrorKind::InvalidParameter);
    p = params(2, 1, 0);
    EXPECT_EQ(kind_of([&] { kmeans(m.rows(), p); }), ErrorKind::InvalidParameter);
}
