// The threshold algorithm of ServingModel::recommend against scoring every candidate.
#include <gtest/gtest.h>

#include <algorithm>
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

}  // namespace

TEST(RecommendThreshold, SameAsScoringEveryCandidate) {
    for (std::uint64_t seed = 1; seed <= 6; ++seed) {
        const Fixture f = make(seed, 12, 400, 60);
        const ServingModel model(f.lists, f.prior, f.popular);
        std::mt19937_64 rng(seed * 101);
        for (int trial = 0; trial < 300; ++trial) {
            const int width = static_cast<int>(rng() % 6);
            std::vector<std::int32_t> c;
            std::vector<float> w;
            float total = 0;
            while (static_cast<int>(c.size()) < width) {
                const auto cl = static_cast<std::int32_t>(rng() % 12);
                if (std::find(c.begin(), c.end(), cl) != c.end()) continue;
                c.push_back(cl);
                w.push_back(static_cast<float>(1 + rng() % 100));
                total += w.back();
            }
            for (auto& x : w) x /= total;
            std::set<std::int64_t> seen;
            const int nseen = static_cast<int>(rng() % 120);
            for (int i = 0; i < nseen; ++i) seen.insert(static_cast<std::int64_t>(1 + rng() % 420));
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
