#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>
#include <random>
#include <set>

#include "core/errors.hpp"
#include "core/kmeans.hpp"
#include "core/kmeans_state.hpp"
#include "core/parallel.hpp"
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

// ---- the accelerated loop against plain Lloyd ---------------------------------------------

namespace {

// Plain k-means in double precision: the same k-means++ seeding (same random draws), then
// exhaustive Lloyd iterations (nearest centroid, lowest index on ties), empty clusters reseeded
// with the farthest row.
struct Plain {
    std::vector<std::int32_t> assignment;
    int iterations = 0;
    double inertia = 0;
};

double uniform01(std::mt19937_64& rng) { return static_cast<double>(rng() >> 11) * 0x1.0p-53; }

Plain plain_kmeans(const SparseRows& x, int k, int max_iterations, std::uint64_t seed) {
    const std::int64_t n = x.rows(), dims = x.cols();
    std::vector<std::vector<double>> c(static_cast<std::size_t>(k), std::vector<double>(static_cast<std::size_t>(dims), 0.0));
    std::vector<double> norms(static_cast<std::size_t>(k), 0.0);
    auto refresh = [&](int j) {
        norms[j] = 0;
        for (double v : c[j]) norms[j] += v * v;
    };
    auto d2 = [&](std::int64_t i, int j) {
        double s = 0, xs = 0;
        for (SparseRows::InnerIterator it(x, i); it; ++it) {
            s += static_cast<double>(it.value()) * c[j][static_cast<std::size_t>(it.index())];
            xs += static_cast<double>(it.value()) * it.value();
        }
        return std::max(0.0, xs - 2 * s + norms[j]);
    };
    std::mt19937_64 rng(seed);
    std::vector<double> best(static_cast<std::size_t>(n), std::numeric_limits<double>::infinity());
    std::int64_t pick = static_cast<std::int64_t>(uniform01(rng) * static_cast<double>(n)) % n;
    for (int j = 0; j < k; ++j) {
        for (SparseRows::InnerIterator it(x, pick); it; ++it) c[j][static_cast<std::size_t>(it.index())] = it.value();
        refresh(j);
        for (std::int64_t i = 0; i < n; ++i) best[i] = std::min(best[i], d2(i, j));
        if (j + 1 == k) break;
        double total = 0;
        for (double d : best) total += d;
        const double r = uniform01(rng) * total;
        double acc = 0;
        pick = -1;
        for (std::int64_t i = 0; i < n; ++i) {
            acc += best[i];
            if (best[i] > 0 && acc > r) {
                pick = i;
                break;
            }
        }
        if (pick < 0) ADD_FAILURE() << "test data must not need the rounding fallback";
    }
    Plain p;
    p.assignment.assign(static_cast<std::size_t>(n), -1);
    auto assign = [&]() {
        std::int64_t moved = 0;
        double inertia = 0;
        for (std::int64_t i = 0; i < n; ++i) {
            int b = 0;
            double bd = std::numeric_limits<double>::infinity();
            for (int j = 0; j < k; ++j) {
                const double d = d2(i, j);
                if (d < bd) bd = d, b = j;
            }
            moved += p.assignment[i] != b;
            p.assignment[i] = b;
            inertia += bd;
        }
        p.inertia = inertia;
        return moved;
    };
    assign();
    for (int it = 1; it <= max_iterations; ++it) {
        std::vector<std::int64_t> size(static_cast<std::size_t>(k), 0);
        for (auto& cen : c) std::fill(cen.begin(), cen.end(), 0.0);
        for (std::int64_t i = 0; i < n; ++i) {
            ++size[p.assignment[i]];
            for (SparseRows::InnerIterator r(x, i); r; ++r) c[p.assignment[i]][static_cast<std::size_t>(r.index())] += r.value();
        }
        for (int j = 0; j < k; ++j) {
            EXPECT_GT(size[j], 0) << "test data must not empty a cluster";
            for (double& v : c[j]) v /= static_cast<double>(std::max<std::int64_t>(size[j], 1));
            refresh(j);
        }
        p.iterations = it;
        if (assign() == 0) break;
    }
    return p;
}

SparseRows presence(const SparseRows& rows) {
    SparseRows x = rows;
    for (std::int64_t i = 0; i < x.rows(); ++i) {
        const float v = 1.0f / std::sqrt(static_cast<float>(x.outerIndexPtr()[i + 1] - x.outerIndexPtr()[i]));
        for (SparseRows::InnerIterator it(x, i); it; ++it) it.valueRef() = v;
    }
    return x;
}

void expect_like_plain(const SparseRows& x, int k, int threads) {
    KMeansParams p = params(k, 17, threads);
    p.max_iterations = 25;
    p.tolerance = 0;
    const auto fast = kmeans(x, p);
    const Plain plain = plain_kmeans(x, k, p.max_iterations, p.seed);
    EXPECT_EQ(fast.iterations, plain.iterations);
    EXPECT_EQ(fast.assignment, plain.assignment);
    EXPECT_NEAR(fast.inertia, plain.inertia, 1e-9 * plain.inertia);
    EXPECT_EQ(fast.rows_skipped + fast.rows_tightened + fast.rows_compared + fast.rows_scanned,
              x.rows() * fast.iterations);
}

}  // namespace

TEST(KMeans, SameAsPlainLloydWithRatingsAndElkanBounds) {
    const auto m = matrix_of(random_ratings(1500, 300, 20, 31));
    expect_like_plain(m.rows(), 12, 1);
    expect_like_plain(m.rows(), 12, 2);
}

TEST(KMeans, SameAsPlainLloydWithPresenceVectors) {
    const auto m = matrix_of(random_ratings(1500, 300, 20, 32));
    expect_like_plain(presence(m.rows()), 12, 2);
}

TEST(KMeans, SameAsPlainLloydWithHamerlyBoundAboveElkanK) {
    const auto m = matrix_of(random_ratings(1500, 300, 20, 33));
    expect_like_plain(presence(m.rows()), kElkanMaxK + 8, 2);
}

TEST(KMeans, SameAsPlainLloydWithMoreColumnsThanSixteenBitPositions) {
    // More than 65536 movies: rows keep their 32-bit column indexes. Each user rates 12 movies
    // of its own and 4 of its group's 40.
    std::vector<RatingTriple> t;
    std::mt19937_64 rng(34);
    for (int u = 0; u < 6000; ++u) {
        for (int j = 0; j < 12; ++j) t.push_back({u, 1000 + u * 12 + j, 1.0 + static_cast<double>(rng() % 9) / 2});
        for (int j = 0; j < 4; ++j)
            t.push_back({u, (u % 6) * 40 + static_cast<int>((static_cast<std::uint64_t>(j) * 10 + rng() % 10)), 4.0});
    }
    const auto m = matrix_of(t);
    ASSERT_GT(m.movies(), kNarrowColumns);
    expect_like_plain(m.rows(), 6, 2);
}

TEST(Parallel, EveryRowOnceInBlocksWhateverTheThreads) {
    for (int threads : {1, 2, 5}) {
        for (std::int64_t block : {std::int64_t{1}, std::int64_t{3}, kBlockRows}) {
            std::vector<std::atomic<int>> seen(10007);
            parallel_rows(10007, threads, {}, [&](std::int64_t b, std::int64_t e) {
                EXPECT_LE(e - b, block);
                for (std::int64_t i = b; i < e; ++i) seen[static_cast<std::size_t>(i)]++;
            }, block);
            for (auto& s : seen) ASSERT_EQ(s.load(), 1);
        }
    }
}
