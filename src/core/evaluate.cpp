#include "evaluate.hpp"

#include <algorithm>
#include <cstdio>
#include <string>

#include "errors.hpp"
#include "recommend.hpp"
// clang-format off
#include "pure_cpp.hpp"
// clang-format on

namespace movie_recs::core {

namespace {

void cancel_if(const Hooks& hooks) {
    if (hooks.stop_requested())
        throw Error(ErrorKind::Cancelled, "canceling movie_recs work on request");
}

// Runs recommend(user, seen) for every evaluated user and accumulates the metrics.
template <typename Recommend>
RankingMetrics run(
    const std::vector<std::int64_t>& users,
    const std::unordered_map<std::int64_t, std::unordered_set<std::int64_t>>& relevant,
    const RatingMatrix& train, int n, const Hooks& hooks, Recommend&& recommend) {
    MetricsAccumulator acc(n);
    std::vector<std::int64_t> seen, ids;
    const SparseRows& rows = train.rows();
    for (std::size_t i = 0; i < users.size(); ++i) {
        if ((i & 1023) == 0)
            cancel_if(hooks);
        const std::int64_t row = train.user_index(users[i]);
        seen.clear();
        if (row >= 0)
            for (SparseRows::InnerIterator it(rows, row); it; ++it)
                seen.push_back(train.movie_ids()[static_cast<std::size_t>(it.index())]);
        ids.clear();
        for (const auto& s : recommend(row, seen))
            ids.push_back(s.movie_id);
        acc.add(ids, relevant.at(users[i]));
    }
    return acc.result(train.movies());
}

}  // namespace

Evaluation::Evaluation(std::vector<TimedRating> ratings, const HoldoutParams& params,
                       const Hooks& hooks)
    : params_(params) {
    if (params.n < 1 || params.n > kMaxRecommendations)
        throw Error(ErrorKind::InvalidParameter,
                    "n must be between 1 and " + std::to_string(kMaxRecommendations));
    std::vector<RatingTriple> train, test;
    if (params.by_time)
        split_holdout(std::move(ratings), params.share, &train, &test);
    else
        split_random(std::move(ratings), params.share, params.seed, &train, &test);
    cancel_if(hooks);
    if (train.empty())
        throw Error(ErrorKind::InvalidData, "no ratings left to train on after the holdout",
                    "Every user has too few ratings to hold some out and keep others.");
    for (const auto& t : test)
        if (params.all_relevant || t.rating >= params.threshold)
            relevant_[t.user_id].insert(t.movie_id);
    if (relevant_.empty()) {
        char threshold[32];
        std::snprintf(threshold, sizeof threshold, "%g", params.threshold);
        throw Error(
            ErrorKind::InvalidData, "no held-out rating is relevant",
            std::string("No held-out rating reaches the relevance threshold of ") + threshold + ".",
            "Lower relevance_threshold to the scale of your ratings.");
    }
    for (const auto& [user, movies] : relevant_)
        users_.push_back(user);
    std::sort(users_.begin(), users_.end());
    train_count_ = static_cast<std::int64_t>(train.size());
    test_count_ = static_cast<std::int64_t>(test.size());
    train_ = RatingMatrix::build(train.data(), train.size(), hooks);
}

RankingMetrics Evaluation::evaluate(const Model& model, const Hooks& hooks) const {
    const ServingModel serving(model);
    const int width = model.soft_width;
    return run(users_, relevant_, train_, params_.n, hooks,
               [&](std::int64_t row, std::vector<std::int64_t> seen) {
                   // The model was trained on train_, so its rows are train_'s rows.
                   if (row < 0)
                       return serving.recommend(nullptr, nullptr, 0, std::move(seen), params_.n);
                   const auto at = static_cast<std::size_t>(row * width);
                   return serving.recommend(&model.soft_cluster[at], &model.soft_weight[at], width,
                                            std::move(seen), params_.n);
               });
}

RankingMetrics Evaluation::most_rated(const Hooks& hooks) const {
    std::vector<ScoredMovie> counts(static_cast<std::size_t>(train_.movies()));
    for (std::size_t j = 0; j < counts.size(); ++j)
        counts[j] = {train_.movie_ids()[j], 0};
    const SparseRows& rows = train_.rows();
    for (std::int64_t u = 0; u < train_.users(); ++u)
        for (SparseRows::InnerIterator it(rows, u); it; ++it)
            counts[static_cast<std::size_t>(it.index())].score += 1;
    // Enough of the ranking for any user: n more than the most movies a user has seen.
    std::size_t longest = 0;
    for (std::int64_t u = 0; u < train_.users(); ++u)
        longest = std::max(longest, static_cast<std::size_t>(rows.outerIndexPtr()[u + 1] -
                                                             rows.outerIndexPtr()[u]));
    const std::size_t keep = std::min(counts.size(), longest + static_cast<std::size_t>(params_.n));
    std::partial_sort(counts.begin(), counts.begin() + static_cast<std::ptrdiff_t>(keep),
                      counts.end(), [](const ScoredMovie& a, const ScoredMovie& b) {
                          if (a.score != b.score)
                              return a.score > b.score;
                          return a.movie_id < b.movie_id;
                      });
    counts.resize(keep);
    const ServingModel serving({}, {}, counts);
    return run(users_, relevant_, train_, params_.n, hooks,
               [&](std::int64_t, std::vector<std::int64_t> seen) {
                   return serving.recommend(nullptr, nullptr, 0, std::move(seen), params_.n);
               });
}

}  // namespace movie_recs::core
