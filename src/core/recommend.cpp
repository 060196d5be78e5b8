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

constexpr std::uint8_t kCandidate = 1;
constexpr std::uint8_t kSeen = 2;

}  // namespace

ServingModel::ServingModel(std::vector<std::vector<ScoredMovie>> cluster_lists,
                           std::vector<double> prior_weight, std::vector<ScoredMovie> popular)
    : prior_(std::move(prior_weight)) {
    if (prior_.size() != cluster_lists.size())
        throw Error(ErrorKind::Internal,
                    "model has " + std::to_string(cluster_lists.size()) + " cluster lists but " +
                        std::to_string(prior_.size()) + " prior weights",
                    {}, "Please report a bug.");
    // Dense indexes for every listed movie, so serving works on arrays.
    for (const auto& p : popular) ids_.push_back(p.movie_id);
    for (const auto& list : cluster_lists)
        for (const auto& s : list) ids_.push_back(s.movie_id);
    std::sort(ids_.begin(), ids_.end());
    ids_.erase(std::unique(ids_.begin(), ids_.end()), ids_.end());
    index_.reserve(ids_.size());
    for (std::size_t i = 0; i < ids_.size(); ++i)
        index_.emplace(ids_[i], static_cast<std::int32_t>(i));
    popularity_.assign(ids_.size(), 0.0);
    for (const auto& p : popular) {
        const auto at = index_.at(p.movie_id);
        popularity_[static_cast<std::size_t>(at)] = p.score;
        popular_.push_back(at);
    }
    lists_.resize(cluster_lists.size());
    for (std::size_t c = 0; c < cluster_lists.size(); ++c) {
        lists_[c].reserve(cluster_lists[c].size());
        for (const auto& s : cluster_lists[c]) {
            const auto at = index_.at(s.movie_id);
            lists_[c].push_back({at, s.score - prior_[c] * popularity_[static_cast<std::size_t>(at)]});
        }
    }
    acc_.assign(ids_.size(), 0.0);
    mark_.assign(ids_.size(), 0);
}

ServingModel::ServingModel(const Model& m)
    : ServingModel(m.cluster_lists, m.prior_weight, m.popular) {}

std::vector<ScoredMovie> ServingModel::recommend(const std::int32_t* clusters, const float* weights,
                                                 int width, std::vector<std::int64_t> seen,
                                                 int n) const {
    if (n < 0 || n > kMaxRecommendations)
        throw Error(ErrorKind::InvalidParameter,
                    "n must be between 0 and " + std::to_string(kMaxRecommendations));
    for (int i = 0; i < width; ++i)
        if (clusters[i] < 0 || clusters[i] >= k())
            throw Error(ErrorKind::Internal, "cluster " + std::to_string(clusters[i]) +
                                                 " is not in the model",
                        {}, "Please report a bug.");
    std::vector<ScoredMovie> out;
    if (n == 0) return out;

    touched_.clear();
    for (auto id : seen) {
        const auto it = index_.find(id);
        if (it == index_.end()) continue;
        if (mark_[static_cast<std::size_t>(it->second)] == 0) touched_.push_back(it->second);
        mark_[static_cast<std::size_t>(it->second)] = kSeen;
    }

    // score(m) = sum_c w_c score_c(m) = prior_mix * popularity(m) + sum_c w_c extra_c(m), where
    // prior_mix = sum_c w_c prior_c and a movie missing from cluster c's list has extra_c = 0.
    double prior_mix = 0;
    for (int i = 0; i < width; ++i)
        prior_mix += static_cast<double>(weights[i]) * prior_[static_cast<std::size_t>(clusters[i])];
    for (int i = 0; i < width; ++i) {
        const double w = static_cast<double>(weights[i]);
        for (const auto& e : lists_[static_cast<std::size_t>(clusters[i])]) {
            const auto at = static_cast<std::size_t>(e.movie);
            if (mark_[at] == kSeen) continue;
            if (mark_[at] == 0) {
                mark_[at] = kCandidate;
                touched_.push_back(e.movie);
            }
            acc_[at] += w * e.extra;
        }
    }
    // The popular list completes the candidates (and is all an unknown user gets).
    for (auto p : popular_) {
        const auto at = static_cast<std::size_t>(p);
        if (mark_[at] != 0) continue;
        mark_[at] = kCandidate;
        touched_.push_back(p);
    }

    out.reserve(touched_.size());
    for (auto t : touched_) {
        const auto at = static_cast<std::size_t>(t);
        if (mark_[at] == kCandidate)
            out.push_back({ids_[at], width > 0 ? prior_mix * popularity_[at] + acc_[at]
                                                : popularity_[at]});
        mark_[at] = 0;
        acc_[at] = 0;
    }
    const auto keep = std::min<std::size_t>(out.size(), static_cast<std::size_t>(n));
    std::partial_sort(out.begin(), out.begin() + static_cast<std::ptrdiff_t>(keep), out.end(), better);
    out.resize(keep);
    return out;
}

}  // namespace movie_recs::core
