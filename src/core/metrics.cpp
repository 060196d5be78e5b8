#include "metrics.hpp"

#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <utility>

#include "errors.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

void check_share(double share) {
    if (!(share > 0 && share < 1))
        throw Error(ErrorKind::InvalidParameter, "holdout must be between 0 and 1, exclusive");
}

// Ratings held out of a user's count of them: at least one, floor(share x count) otherwise.
std::size_t held_out(std::size_t count, double share) {
    return std::max<std::size_t>(
        1, static_cast<std::size_t>(std::floor(share * static_cast<double>(count) + 1e-9)));
}

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

}  // namespace

void split_holdout(std::vector<TimedRating> ratings, double share, std::vector<RatingTriple>* train,
                   std::vector<RatingTriple>* test) {
    check_share(share);
    std::sort(ratings.begin(), ratings.end(), [](const TimedRating& a, const TimedRating& b) {
        if (a.user_id != b.user_id) return a.user_id < b.user_id;
        if (a.time != b.time) return a.time < b.time;
        return a.movie_id < b.movie_id;
    });
    train->clear();
    test->clear();
    for (std::size_t i = 0; i < ratings.size();) {
        std::size_t j = i;
        while (j < ratings.size() && ratings[j].user_id == ratings[i].user_id) ++j;
        const std::size_t count = j - i;
        const std::size_t held = held_out(count, share);
        for (std::size_t p = i; p < j; ++p) {
            const RatingTriple t{ratings[p].user_id, ratings[p].movie_id, ratings[p].rating};
            (p - i < count - held ? train : test)->push_back(t);
        }
        i = j;
    }
}

void split_random(std::vector<TimedRating> ratings, double share, std::uint64_t seed,
                  std::vector<RatingTriple>* train, std::vector<RatingTriple>* test) {
    check_share(share);
    std::sort(ratings.begin(), ratings.end(), [](const TimedRating& a, const TimedRating& b) {
        if (a.user_id != b.user_id) return a.user_id < b.user_id;
        if (a.movie_id != b.movie_id) return a.movie_id < b.movie_id;
        return a.rating < b.rating;
    });
    train->clear();
    test->clear();
    std::vector<std::size_t> order;
    std::vector<char> to_test;
    for (std::size_t i = 0; i < ratings.size();) {
        std::size_t j = i;
        while (j < ratings.size() && ratings[j].user_id == ratings[i].user_id) ++j;
        const std::size_t count = j - i;
        const std::size_t held = held_out(count, share);
        // Partial Fisher-Yates shuffle: the first `held` positions of a seeded permutation.
        std::mt19937_64 rng(splitmix64(splitmix64(seed) ^ static_cast<std::uint64_t>(ratings[i].user_id)));
        order.resize(count);
        for (std::size_t p = 0; p < count; ++p) order[p] = p;
        to_test.assign(count, 0);
        for (std::size_t p = 0; p < held; ++p) {
            const std::uint64_t span = count - p;
            // Uniform below span from the top 53 bits (identical on every platform).
            const auto pick = p + static_cast<std::size_t>(
                static_cast<std::uint64_t>(static_cast<double>(rng() >> 11) * 0x1.0p-53 *
                                           static_cast<double>(span)) % span);
            std::swap(order[p], order[pick]);
            to_test[order[p]] = 1;
        }
        for (std::size_t p = i; p < j; ++p) {
            const RatingTriple t{ratings[p].user_id, ratings[p].movie_id, ratings[p].rating};
            (to_test[p - i] ? test : train)->push_back(t);
        }
        i = j;
    }
}

double adjusted_rand_index(const std::vector<int>& a, const std::vector<int>& b) {
    if (a.size() != b.size())
        throw Error(ErrorKind::InvalidParameter, "labelings must have the same length");
    std::map<std::pair<int, int>, double> joint;
    std::map<int, double> ra, rb;
    for (std::size_t i = 0; i < a.size(); ++i) {
        joint[{a[i], b[i]}] += 1;
        ra[a[i]] += 1;
        rb[b[i]] += 1;
    }
    auto pairs = [](double x) { return x * (x - 1) / 2; };
    double index = 0, sa = 0, sb = 0;
    for (const auto& [key, v] : joint) index += pairs(v);
    for (const auto& [key, v] : ra) sa += pairs(v);
    for (const auto& [key, v] : rb) sb += pairs(v);
    const double n = pairs(static_cast<double>(a.size()));
    if (n == 0) return 1.0;
    const double expected = sa * sb / n;
    const double max = (sa + sb) / 2;
    if (max == expected) return 1.0;
    return (index - expected) / (max - expected);
}

void MetricsAccumulator::add(const std::vector<std::int64_t>& recommended,
                             const std::unordered_set<std::int64_t>& relevant) {
    if (relevant.empty()) return;
    const auto shown = std::min<std::size_t>(recommended.size(), static_cast<std::size_t>(n_));
    double hits = 0, dcg = 0, ideal = 0;
    for (std::size_t r = 0; r < shown; ++r) {
        recommended_.insert(recommended[r]);
        if (relevant.count(recommended[r])) {
            hits += 1;
            dcg += 1.0 / std::log2(static_cast<double>(r) + 2.0);
        }
    }
    const auto ideal_hits = std::min<std::size_t>(relevant.size(), static_cast<std::size_t>(n_));
    for (std::size_t r = 0; r < ideal_hits; ++r) ideal += 1.0 / std::log2(static_cast<double>(r) + 2.0);
    precision_ += hits / n_;
    recall_ += hits / static_cast<double>(relevant.size());
    ndcg_ += dcg / ideal;
    ++users_;
}

RankingMetrics MetricsAccumulator::result(std::int64_t catalogue_size) const {
    RankingMetrics m;
    m.users = users_;
    if (users_ > 0) {
        m.precision = precision_ / static_cast<double>(users_);
        m.recall = recall_ / static_cast<double>(users_);
        m.ndcg = ndcg_ / static_cast<double>(users_);
    }
    if (catalogue_size > 0)
        m.coverage = static_cast<double>(recommended_.size()) / static_cast<double>(catalogue_size);
    return m;
}

}  // namespace movie_recs::core
