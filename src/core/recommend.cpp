#include "recommend.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <limits>
#include <string>

#include "errors.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

// How far down each list the extra scores are prefetched.
constexpr std::size_t kPrefetchAhead = 4;

// A free slot of the seen set (zero, so that clearing the set is a memset).
constexpr std::int64_t kFreeSlot = 0;

bool better(const ScoredMovie& a, const ScoredMovie& b) {
    if (a.score != b.score) return a.score > b.score;
    return a.movie_id < b.movie_id;
}

// The smallest float not below x (NaN stays NaN).
float float_at_least(double x) {
    constexpr double kMax = std::numeric_limits<float>::max();
    if (x > kMax) return std::numeric_limits<float>::infinity();
    if (x < -kMax) return -std::numeric_limits<float>::max();
    float f = static_cast<float>(x);
    if (static_cast<double>(f) < x) f = std::nextafter(f, std::numeric_limits<float>::infinity());
    return f;
}

}  // namespace

ServingModel::ServingModel(std::vector<std::vector<ScoredMovie>> cluster_lists,
                           std::vector<double> prior_weight, std::vector<ScoredMovie> popular,
                           std::size_t max_dense_extras)
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
    // Dense indexes in the order of each movie's best rank in any list (ties by id): the movies
    // every call reads, near the top of the lists, share a few cache lines of the per-movie
    // tables. The results do not depend on the order.
    {
        std::unordered_map<std::int64_t, std::size_t> best;
        best.reserve(ids_.size());
        const auto note = [&best](const std::vector<ScoredMovie>& list) {
            std::vector<ScoredMovie> sorted(list);
            std::stable_sort(sorted.begin(), sorted.end(), better);
            for (std::size_t r = 0; r < sorted.size(); ++r) {
                auto it = best.emplace(sorted[r].movie_id, r).first;
                it->second = std::min(it->second, r);
            }
        };
        note(popular);
        for (const auto& list : cluster_lists) note(list);
        std::stable_sort(ids_.begin(), ids_.end(), [&best](std::int64_t a, std::int64_t b) {
            return best.at(a) < best.at(b);
        });
    }
    index_.reserve(ids_.size());
    for (std::size_t i = 0; i < ids_.size(); ++i)
        index_.emplace(ids_[i], static_cast<std::int32_t>(i));
    popularity_.assign(ids_.size(), 0.0);
    std::stable_sort(popular.begin(), popular.end(), better);
    for (const auto& p : popular) {
        const auto at = index_.at(p.movie_id);
        popularity_[static_cast<std::size_t>(at)] = p.score;
        popular_.push_back(at);
        max_popularity_ = std::max(max_popularity_, p.score);
    }
    // Each list best first, and for each movie the clusters that list it with extra_c(m) (the
    // random access of the threshold algorithm).
    lists_.resize(cluster_lists.size());
    std::vector<std::int64_t> count(ids_.size() + 1, 0);
    for (std::size_t c = 0; c < cluster_lists.size(); ++c) {
        std::stable_sort(cluster_lists[c].begin(), cluster_lists[c].end(), better);
        lists_[c].reserve(cluster_lists[c].size());
        for (const auto& s : cluster_lists[c]) {
            const auto at = index_.at(s.movie_id);
            lists_[c].push_back({s.movie_id, float_at_least(s.score), at});
            ++count[static_cast<std::size_t>(at) + 1];
        }
    }
    for (std::size_t m = 0; m < ids_.size(); ++m) count[m + 1] += count[m];
    listing_offsets_ = count;
    listings_.resize(static_cast<std::size_t>(count.back()));
    for (std::size_t c = 0; c < lists_.size(); ++c)
        for (const auto& s : cluster_lists[c]) {
            const auto at = static_cast<std::size_t>(index_.at(s.movie_id));
            listings_[static_cast<std::size_t>(count[at]++)] = {static_cast<std::int32_t>(c),
                                                                s.score - prior_[c] * popularity_[at]};
        }
    const std::size_t k = lists_.size();
    if (k > 0 && ids_.size() <= max_dense_extras / k) {
        stride_ = k + 1;
        dense_.assign(ids_.size() * stride_, 0.0);
        for (std::size_t m = 0; m < ids_.size(); ++m) {
            double* r = dense_.data() + m * stride_;
            r[0] = popularity_[m];
            for (auto l = listing_offsets_[m]; l < listing_offsets_[m + 1]; ++l) {
                const Listing& listing = listings_[static_cast<std::size_t>(l)];
                r[1 + static_cast<std::size_t>(listing.cluster)] = listing.extra;
            }
        }
    }
    mark_.assign((ids_.size() + 63) / 64, 0);
    position_.assign(lists_.size(), -1);
}

ServingModel::ServingModel(const Model& m)
    : ServingModel(m.cluster_lists, m.prior_weight, m.popular) {}

// score(m) = sum_c w_c score_c(m) = prior_mix * popularity(m) + sum_c w_c extra_c(m), where
// prior_mix = sum_c w_c prior_c and a movie missing from cluster c's list has extra_c = 0.
double ServingModel::score_of(std::int32_t movie, const std::int32_t* clusters,
                              const float* weights, int width, double prior_mix) const {
    if (!dense_.empty()) {
        // The same sum in the same order, read from the movie's row of the dense table.
        const double* r = row(movie);
        const double* extra = r + 1;
        double acc = 0;
        for (int i = 0; i < width; ++i) {
            const double e = extra[clusters[i]];
            if (e != 0) acc += static_cast<double>(weights[i]) * e;
        }
        return prior_mix * r[0] + acc;
    }
    // extra_c(m) of the user's clusters, picked from the movie's listings in one pass, then
    // summed in the order of the user's clusters.
    const auto m = static_cast<std::size_t>(movie);
    for (int i = 0; i < width; ++i) extra_by_position_[static_cast<std::size_t>(i)] = 0;
    for (std::int64_t l = listing_offsets_[m]; l < listing_offsets_[m + 1]; ++l) {
        const Listing& listing = listings_[static_cast<std::size_t>(l)];
        const std::int32_t at = position_[static_cast<std::size_t>(listing.cluster)];
        if (at >= 0) extra_by_position_[static_cast<std::size_t>(at)] = listing.extra;
    }
    double acc = 0;
    for (int i = 0; i < width; ++i) {
        const double e = extra_by_position_[static_cast<std::size_t>(i)];
        if (e != 0) acc += static_cast<double>(weights[i]) * e;
    }
    return prior_mix * popularity_[m] + acc;
}

std::vector<ScoredMovie> ServingModel::recommend(const std::int32_t* clusters, const float* weights,
                                                 int width, const std::int64_t* seen,
                                                 std::size_t nseen,
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
    // The seen ids in a small open-addressing set (mask + 1 slots, at most two thirds full).
    std::size_t slots = 16;
    while (slots < nseen + nseen / 2 + 1) slots *= 2;
    const std::size_t mask = slots - 1;
    if (seen_ids_.size() < slots) seen_ids_.resize(slots);
    std::memset(seen_ids_.data(), 0, slots * sizeof(std::int64_t));  // all kFreeSlot
    bool seen_free_slot_id = false;  // kFreeSlot itself is seen
    const auto slot_of = [&](std::int64_t id) {
        std::uint64_t h = static_cast<std::uint64_t>(id) * 0x9E3779B97F4A7C15ULL;
        return static_cast<std::size_t>(h >> 32) & mask;
    };
    for (std::size_t i = 0; i < nseen; ++i) {
        const std::int64_t id = seen[i];
        if (id == kFreeSlot) {
            seen_free_slot_id = true;
            continue;
        }
        std::size_t at = slot_of(id);
        while (seen_ids_[at] != kFreeSlot && seen_ids_[at] != id) at = (at + 1) & mask;
        seen_ids_[at] = id;
    }
    const auto is_seen = [&](std::int64_t id) {
        if (id == kFreeSlot) return seen_free_slot_id;
        for (std::size_t at = slot_of(id); seen_ids_[at] != kFreeSlot; at = (at + 1) & mask)
            if (seen_ids_[at] == id) return true;
        return false;
    };
    const auto marked = [this](std::int32_t movie) {
        return ((mark_[static_cast<std::size_t>(movie) >> 6] >> (movie & 63)) & 1) != 0;
    };
    for (int i = 0; i < width; ++i)
        position_[static_cast<std::size_t>(clusters[i])] = static_cast<std::int32_t>(i);
    extra_by_position_.resize(static_cast<std::size_t>(std::max(width, 1)));

    double prior_mix = 0;
    for (int i = 0; i < width; ++i)
        prior_mix += static_cast<double>(weights[i]) * prior_[static_cast<std::size_t>(clusters[i])];

    // best_: the n best candidates so far, a heap with the worst on top.
    best_.clear();
    touched_.clear();
    // Scores an unseen movie met for the first time and keeps it if it is among the n best.
    const auto consider = [&](std::int32_t movie, std::int64_t id) {
        if (marked(movie)) return;
        mark_[static_cast<std::size_t>(movie) >> 6] |= std::uint64_t{1} << (movie & 63);
        touched_.push_back(movie);
        if (is_seen(id)) return;
        const ScoredMovie s{id, width > 0 ? score_of(movie, clusters, weights, width, prior_mix)
                                          : popularity_[static_cast<std::size_t>(movie)]};
        if (static_cast<int>(best_.size()) < n) {
            best_.push_back(s);
            std::push_heap(best_.begin(), best_.end(), better);
        } else if (better(s, best_.front())) {
            std::pop_heap(best_.begin(), best_.end(), better);
            best_.back() = s;
            std::push_heap(best_.begin(), best_.end(), better);
        }
    };

    // Threshold algorithm over the user's lists, read in step, each from its first movie that
    // is neither seen (never a result) nor considered yet: a movie not met yet scores at most the
    // weighted sum of the scores there (for a list read to its end, at most its prior share of
    // the highest popularity). Stop once the n-th best is above that.
    // The extra scores of movies a few places further down each list are fetched into the cache
    // ahead of their use (a call runs cold: other backends share the cores between calls).
    const std::size_t row_bytes = stride_ * sizeof(double);
    const auto prefetch = [&](const std::vector<Entry>& list, std::size_t at) {
        if (dense_.empty() || at >= list.size()) return;
        const char* r = reinterpret_cast<const char*>(row(list[at].movie));
        for (std::size_t b = 0; b < row_bytes; b += 64) __builtin_prefetch(r + b);
        __builtin_prefetch(r + row_bytes - 1);
    };
    for (int i = 0; i < width; ++i)
        for (std::size_t at = 0; at < kPrefetchAhead; ++at)
            prefetch(lists_[static_cast<std::size_t>(clusters[i])], at);
    cursor_.assign(static_cast<std::size_t>(width), 0);
    bool complete = false;
    while (!complete) {
        double threshold = 0;
        bool any = false;
        for (int i = 0; i < width; ++i) {
            const auto& list = lists_[static_cast<std::size_t>(clusters[i])];
            std::size_t& at = cursor_[static_cast<std::size_t>(i)];
            while (at < list.size() && (marked(list[at].movie) || is_seen(list[at].id)))
                prefetch(list, ++at + kPrefetchAhead);
            const double w = static_cast<double>(weights[i]);
            if (at < list.size()) {
                threshold += w * static_cast<double>(list[at].bound);
                consider(list[at].movie, list[at].id);
                any = true;
            } else {
                threshold += w * prior_[static_cast<std::size_t>(clusters[i])] * max_popularity_;
            }
        }
        complete = static_cast<int>(best_.size()) == n &&
                   best_.front().score > threshold + 1e-12 * (1 + threshold);
        if (!any) break;
    }
    // The popular list completes the candidates (and is all an unknown user gets).
    if (!complete)
        for (auto p : popular_) {
            if (width == 0 && static_cast<int>(best_.size()) == n) break;  // in score order
            consider(p, ids_[static_cast<std::size_t>(p)]);
        }

    for (auto t : touched_) mark_[static_cast<std::size_t>(t) >> 6] = 0;
    for (int i = 0; i < width; ++i) position_[static_cast<std::size_t>(clusters[i])] = -1;
    out.assign(best_.begin(), best_.end());
    std::sort(out.begin(), out.end(), better);
    return out;
}

}  // namespace movie_recs::core
