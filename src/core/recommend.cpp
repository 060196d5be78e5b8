#include "recommend.hpp"

#include <algorithm>
#include <string>

#include "errors.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

bool better(const ScoredMovie& a, const ScoredMovie& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.movie_id < b.movie_id;
}

}  // namespace

ServingModel::ServingModel(std::vector<std::vector<ScoredMovie>> cluster_lists,
                           std::vector<double> prior_weight, std::vector<ScoredMovie> popular)
    : lists_(std::move(cluster_lists)), prior_(std::move(prior_weight)), popular_(std::move(popular)) {
    if (prior_.size() != lists_.size())
        throw Error(ErrorKind::Internal, "model has " + std::to_string(lists_.size()) +
                                             " cluster lists but " + std::to_string(prior_.size()) +
                                             " prior weights", {}, "Please report a bug.");
    popularity_.reserve(popular_.size());
    for (const auto& p : popular_) popularity_.emplace(p.movie_id, p.score);
}

ServingModel::ServingModel(const Model& m)
    : ServingModel(m.cluster_lists, m.prior_weight, m.popular) {}

std::vector<ScoredMovie> ServingModel::recommend(const std::int32_t* clusters, const float* weights,
                                                 int width, std::vector<std::int64_t> seen,
                                                 int n) const {
    if (n < 0 || n > kMaxRecommendations)
        throw Error(ErrorKind::InvalidParameter,
                    "n must be between 0 and " + std::to_string(kMaxRecommendations));
    std::vector<ScoredMovie> out;
    if (n == 0) return out;
    std::sort(seen.begin(), seen.end());
    auto is_seen = [&](std::int64_t id) { return std::binary_search(seen.begin(), seen.end(), id); };

    if (width <= 0) {
        for (const auto& p : popular_) {
            if (is_seen(p.movie_id)) continue;
            out.push_back(p);
            if (static_cast<int>(out.size()) == n) break;
        }
        return out;
    }

    // score(m) = sum_c w_c score_c(m), where a movie missing from cluster c's list scores that
    // cluster's prior share of its popularity: prior_c * popularity(m).
    double prior_mix = 0;
    for (int i = 0; i < width; ++i) {
        const int c = clusters[i];
        if (c < 0 || c >= k())
            throw Error(ErrorKind::Internal, "cluster " + std::to_string(c) + " is not in the model",
                        {}, "Please report a bug.");
        prior_mix += static_cast<double>(weights[i]) * prior_[static_cast<std::size_t>(c)];
    }
    auto pop = [&](std::int64_t id) {
        auto it = popularity_.find(id);
        return it == popularity_.end() ? 0.0 : it->second;
    };
    std::unordered_map<std::int64_t, double> extra;  // sum_c w_c (score_c(m) - prior_c pop(m))
    extra.reserve(static_cast<std::size_t>(width) * 64);
    for (int i = 0; i < width; ++i) {
        const auto c = static_cast<std::size_t>(clusters[i]);
        const double w = static_cast<double>(weights[i]);
        for (const auto& s : lists_[c]) {
            if (is_seen(s.movie_id)) continue;
            extra[s.movie_id] += w * (s.score - prior_[c] * pop(s.movie_id));
        }
    }
    for (const auto& p : popular_)
        if (!is_seen(p.movie_id)) extra.emplace(p.movie_id, 0.0);

    out.reserve(extra.size());
    for (const auto& [id, e] : extra) out.push_back({id, prior_mix * pop(id) + e});
    const auto keep = std::min<std::size_t>(out.size(), static_cast<std::size_t>(n));
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(), better);
    out.resize(keep);
    return out;
}

}  // namespace movie_recs::core
