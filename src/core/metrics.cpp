#include "metrics.hpp"

#include <algorithm>
#include <cmath>

#include "errors.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

void split_holdout(std::vector<TimedRating> ratings, double share, std::vector<RatingTriple>* train,
                   std::vector<RatingTriple>* test) {
    if (!(share > 0 && share < 1))
        throw Error(ErrorKind::InvalidParameter, "holdout must be between 0 and 1, exclusive");
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
        const auto held = std::max<std::size_t>(
            1, static_cast<std::size_t>(std::floor(share * static_cast<double>(count) + 1e-9)));
        for (std::size_t p = i; p < j; ++p) {
            const RatingTriple t{ratings[p].user_id, ratings[p].movie_id, ratings[p].rating};
            (p - i < count - held ? train : test)->push_back(t);
        }
        i = j;
    }
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
