// Offline evaluation: a per-user time-based holdout and ranking metrics at n.
#pragma once

#include <cstdint>
#include <unordered_set>
#include <vector>

#include "rating_matrix.hpp"

namespace movie_recs::core {

struct TimedRating {
    std::int64_t user_id;
    std::int64_t movie_id;
    double rating;
    std::int64_t time;  // any monotone clock (seconds since the epoch)
};

// Per user, the latest `share` of the ratings (ordered by time, then movie id) go to test: at least
// one, floor(share x count) otherwise. A user's other ratings go to train.
void split_holdout(std::vector<TimedRating> ratings, double share, std::vector<RatingTriple>* train,
                   std::vector<RatingTriple>* test);

// Per user, a random `share` of the ratings (at least one, floor(share x count) otherwise) go to
// test, drawn from a generator seeded with (seed, user id) over the user's ratings ordered by
// movie id: the split depends on the data and the seed only, never on the input order.
// The time field is ignored.
void split_random(std::vector<TimedRating> ratings, double share, std::uint64_t seed,
                  std::vector<RatingTriple>* train, std::vector<RatingTriple>* test);

// Adjusted Rand index (Hubert & Arabie, 1985) of two labelings of the same items: 1 for identical
// partitions, about 0 for independent ones.
double adjusted_rand_index(const std::vector<int>& a, const std::vector<int>& b);

struct RankingMetrics {
    double precision = 0;  // mean over users of hits / n
    double recall = 0;     // mean over users of hits / relevant
    double ndcg = 0;       // mean over users of DCG / ideal DCG (binary relevance, log2 discount)
    double coverage = 0;   // distinct recommended movies / catalogue size
    std::int64_t users = 0;
};

// Accumulates one ranked list per evaluated user.
class MetricsAccumulator {
public:
    explicit MetricsAccumulator(int n) : n_(n) {}
    // recommended: best first (only the first n count); relevant: the user's relevant held-out
    // movies. Users without relevant movies are skipped (they carry no signal).
    void add(const std::vector<std::int64_t>& recommended,
             const std::unordered_set<std::int64_t>& relevant);
    RankingMetrics result(std::int64_t catalogue_size) const;

private:
    int n_;
    double precision_ = 0, recall_ = 0, ndcg_ = 0;
    std::int64_t users_ = 0;
    std::unordered_set<std::int64_t> recommended_;
};

}  // namespace movie_recs::core
