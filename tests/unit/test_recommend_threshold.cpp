// The threshold algorithm of ServingModel::recommend against scoring every candidate.
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <map>
#include <random>
#include <set>
#include <vector>

#include "core/recommend.hpp"

using namespace movie_recs::core;

namespace {

struct Fixture {
    std::vector<std::vector<ScoredMovie>> lists;
    std::vector<double> prior;
    std::vector<ScoredMovie> popular;
};

bool better(const ScoredMovie& a, const ScoredMovie& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.movie_id < b.movie_id;
}

// Lists built like the model's: score_c(m) = (count + lambda pop) / (size + lambda), the best
// `length` per cluster; coarse counts make many ties.
Fixture make(std::uint64_t seed, int k, int movies, int length) {
    std::mt19937_64 rng(seed);
    Fixture f;
    std::vector<double> pop(static_cast<std::size_t>(movies));
    for (auto& p : pop) p = static_cast<double>(rng() % 50) / 100.0;
    for (int m = 0; m < movies; ++m) f.popular.push_back({m + 1, pop[static_cast<std::size_t>(m)]});
    std::sort(f.popular.begin(), f.popular.end(), better);
    f.popular.resize(static_cast<std::size_t>(std::min(length, movies)));
    const double lambda = 10;
    for (int c = 0; c < k; ++c) {
        const double size = static_cast<double>(5 + rng() % 200);
        f.prior.push_back(lambda / (size + lambda));
        std::vector<ScoredMovie> all;
        for (int m = 0; m < movies; ++m) {
            const double count = static_cast<double>(rng() % 6 == 0 ? rng() % static_cast<std::uint64_t>(size) : 0);
            all.push_back({m + 1, (count + lambda * pop[static_cast<std::size_t>(m)]) / (size + lambda)});
        }
        std::sort(all.begin(), all.end(), better);
        all.resize(static_cast<std::size_t>(std::min(length, movies)));
        f.lists.push_back(all);
    }
    return f;
}

// Every candidate scored: the union of the user's lists and the popular list.
std::vector<ScoredMovie> brute(const Fixture& f, const std::int32_t* c, const float* w, int width,
                               const std::set<std::int64_t>& seen, int n) {
    std::map<std::int64_t, double> popularity;
    for (const auto& p : f.popular) popularity[p.movie_id] = p.score;
    double prior_mix = 0;
    for (int i = 0; i < width; ++i) prior_mix += static_cast<double>(w[i]) * f.prior[static_cast<std::size_t>(c[i])];
    std::map<std::int64_t, double> acc;
    for (int i = 0; i < width; ++i)
        for (const auto& s : f.lists[static_cast<std::size_t>(c[i])]) {
            const double pop = popularity.count(s.movie_id) ? popularity[s.movie_id] : 0.0;
            acc[s.movie_id] += static_cast<double>(w[i]) * (s.score - f.prior[static_cast<std::size_t>(c[i])] * pop);
        }
    for (const auto& p : f.popular) acc.emplace(p.movie_id, 0.0);
    std::vector<ScoredMovie> out;
    for (const auto& [id, a] : acc) {
        if (seen.count(id)) continue;
        const double pop = popularity.count(id) ? popularity[id] : 0.0;
        out.push_back({id, width > 0 ? prior_mix * pop + a : pop});
    }
    std::sort(out.begin(), out.end(), better);
    if (static_cast<int>(out.size()) > n) out.resize(static_cast<std::size_t>(n));
    return out;
}

// Random users (width 0..5 of the fixture's clusters, weights summing to 1), each with a random
// share of the fixture's movies (and ids it does not know) as seen, asked for 0..39 movies:
// ServingModel::recommend gives exactly brute()'s rows, ids and score bits, in order.
void expect_same_as_brute(const Fixture& f, std::uint64_t seed, int trials) {
    const ServingModel model(f.lists, f.prior, f.popular);
    const int k = static_cast<int>(f.lists.size());
    std::vector<std::int64_t> known;
    for (const auto& p : f.popular) known.push_back(p.movie_id);
    for (const auto& list : f.lists)
        for (const auto& s : list) known.push_back(s.movie_id);
    std::mt19937_64 rng(seed * 101);
    for (int trial = 0; trial < trials; ++trial) {
        const int width = static_cast<int>(rng() % static_cast<std::uint64_t>(std::min(k, 5) + 1));
        std::vector<std::int32_t> c;
        std::vector<float> w;
        float total = 0;
        while (static_cast<int>(c.size()) < width) {
            const auto cl = static_cast<std::int32_t>(rng() % static_cast<std::uint64_t>(k));
            if (std::find(c.begin(), c.end(), cl) != c.end()) continue;
            c.push_back(cl);
            w.push_back(static_cast<float>(1 + rng() % 100));
            total += w.back();
        }
        for (auto& x : w) x /= total;
        std::set<std::int64_t> seen;
        const int nseen = static_cast<int>(rng() % 120);
        for (int i = 0; i < nseen; ++i)
            seen.insert(rng() % 8 == 0 ? static_cast<std::int64_t>(rng() % 1000)
                                       : known[rng() % known.size()]);
        const int n = static_cast<int>(rng() % 40);
        const auto got = model.recommend(c.data(), w.data(), width,
                                         std::vector<std::int64_t>(seen.begin(), seen.end()), n);
        const auto want = brute(f, c.data(), w.data(), width, seen, n);
        ASSERT_EQ(got.size(), want.size()) << "seed " << seed << " trial " << trial;
        for (std::size_t i = 0; i < got.size(); ++i) {
            ASSERT_EQ(got[i].movie_id, want[i].movie_id) << "seed " << seed << " trial " << trial << " rank " << i;
            ASSERT_EQ(got[i].score, want[i].score) << "seed " << seed << " trial " << trial << " rank " << i;
        }
    }
}

// The fixture with its most popular movies renamed to the given ids.
Fixture with_ids(Fixture f, const std::vector<std::int64_t>& ids) {
    std::map<std::int64_t, std::int64_t> rename;
    for (std::size_t i = 0; i < ids.size() && i < f.popular.size(); ++i)
        rename[f.popular[i].movie_id] = ids[i];
    const auto map = [&rename](std::int64_t m) {
        const auto it = rename.find(m);
        return it == rename.end() ? m : it->second;
    };
    for (auto& list : f.lists)
        for (auto& s : list) s.movie_id = map(s.movie_id);
    for (auto& p : f.popular) p.movie_id = map(p.movie_id);
    return f;
}

}  // namespace

TEST(RecommendThreshold, SameAsScoringEveryCandidate) {
    for (std::uint64_t seed = 1; seed <= 6; ++seed) expect_same_as_brute(make(seed, 12, 400, 60), seed, 300);
}

// Ids at the ends of bigint and zero (the seen set's free-slot marker) as the most popular
// movies, seen or not.
TEST(RecommendThreshold, ExtremeIds) {
    const std::vector<std::int64_t> ids = {0, INT64_MIN, INT64_MAX, -1, INT64_MIN + 1, INT64_MAX - 1};
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const Fixture f = with_ids(make(seed, 6, 30, 20), ids);
        expect_same_as_brute(f, seed, 300);
    }
    // The extreme ids seen directly.
    const ServingModel m({{{0, 0.9}, {INT64_MIN, 0.8}, {INT64_MAX, 0.7}, {5, 0.6}}}, {0.0}, {});
    const std::int32_t c[] = {0};
    const float w[] = {1.0f};
    const auto r = m.recommend(c, w, 1, {0, INT64_MIN}, 4);
    ASSERT_EQ(r.size(), 2u);
    EXPECT_EQ(r[0].movie_id, INT64_MAX);
    EXPECT_EQ(r[1].movie_id, 5);
    EXPECT_EQ(m.recommend(c, w, 1, {INT64_MAX}, 1)[0].movie_id, 0);
}

// Scores closer together than float precision (lists read by bounds rounded to float), and
// scores beyond the range of float.
TEST(RecommendThreshold, ScoresBeyondFloatPrecisionAndRange) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        Fixture f = make(seed, 8, 200, 50);
        std::mt19937_64 rng(seed);
        const double scale = seed % 2 == 0 ? 1e300 : 1.0;
        for (auto& list : f.lists)
            for (auto& s : list)
                s.score = scale * (0.25 + static_cast<double>(rng() % 7) * 1e-13 +
                                   static_cast<double>(rng() % 3) * 1e-9);
        for (auto& p : f.popular) p.score = scale * (0.2 + static_cast<double>(rng() % 5) * 1e-13);
        for (auto& list : f.lists) std::sort(list.begin(), list.end(), better);
        std::sort(f.popular.begin(), f.popular.end(), better);
        expect_same_as_brute(f, seed, 300);
    }
}

// The dense table of extra scores and the per-movie listings give the same rows, bit for bit.
TEST(RecommendThreshold, DenseExtrasSameAsListings) {
    for (std::uint64_t seed = 1; seed <= 4; ++seed) {
        const Fixture f = make(seed, 12, 400, 60);
        const ServingModel dense(f.lists, f.prior, f.popular);
        const ServingModel listings(f.lists, f.prior, f.popular, 0);
        std::mt19937_64 rng(seed * 211);
        for (int trial = 0; trial < 200; ++trial) {
            const int width = static_cast<int>(1 + rng() % 5);
            std::vector<std::int32_t> c;
            std::vector<float> w;
            while (static_cast<int>(c.size()) < width) {
                const auto cl = static_cast<std::int32_t>(rng() % 12);
                if (std::find(c.begin(), c.end(), cl) != c.end()) continue;
                c.push_back(cl);
                w.push_back(static_cast<float>(1 + rng() % 100) / 100.0f);
            }
            std::vector<std::int64_t> seen;
            for (int i = 0, n = static_cast<int>(rng() % 80); i < n; ++i)
                seen.push_back(static_cast<std::int64_t>(1 + rng() % 420));
            const int n = static_cast<int>(1 + rng() % 30);
            const auto a = dense.recommend(c.data(), w.data(), width, seen, n);
            const auto b = listings.recommend(c.data(), w.data(), width, seen, n);
            ASSERT_EQ(a.size(), b.size()) << "seed " << seed << " trial " << trial;
            for (std::size_t i = 0; i < a.size(); ++i) {
                ASSERT_EQ(a[i].movie_id, b[i].movie_id) << "seed " << seed << " trial " << trial;
                ASSERT_EQ(a[i].score, b[i].score) << "seed " << seed << " trial " << trial;
            }
        }
    }
}
