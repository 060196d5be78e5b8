// Serving: top-n unseen movies for one user from a model's cluster lists. The lists of the user's
// clusters are read best first, in step, and reading stops as soon as no movie further down can
// beat the n-th best found (Fagin's threshold algorithm): work grows with how deep the answer
// lies in the lists, never with the number of users.
#pragma once

#include <cstdint>
#include <unordered_map>
#include <vector>

#include "model.hpp"

namespace movie_recs::core {

constexpr int kMaxRecommendations = 1000;

// Above this many entries (listed movies x k), the extra scores are not kept as a dense table
// (8 bytes each, per model and backend) and each movie's listings are searched instead.
constexpr std::size_t kMaxDenseExtras = std::size_t{1} << 21;

// The part of a model that serving needs, as loaded from the catalog.
// Not thread-safe: recommend() reuses scratch buffers; use one instance per thread.
class ServingModel {
public:
    // max_dense_extras: the largest dense table of extra scores kept (see kMaxDenseExtras); the
    // results do not depend on it.
    ServingModel(std::vector<std::vector<ScoredMovie>> cluster_lists,
                 std::vector<double> prior_weight, std::vector<ScoredMovie> popular,
                 std::size_t max_dense_extras = kMaxDenseExtras);
    explicit ServingModel(const Model& m);

    int k() const { return static_cast<int>(lists_.size()); }

    // Top n movies not in seen (seen need not be sorted). clusters/weights: the user's soft
    // assignment (width entries); width 0 means an unknown user, who gets the most popular movies.
    // Ranked by score descending, ties by movie_id ascending. Fewer than n rows when the model
    // knows fewer unseen movies.
    // seen: nseen ids, read during the call only.
    std::vector<ScoredMovie> recommend(const std::int32_t* clusters, const float* weights,
                                       int width, const std::int64_t* seen, std::size_t nseen,
                                       int n) const;
    std::vector<ScoredMovie> recommend(const std::int32_t* clusters, const float* weights,
                                       int width, const std::vector<std::int64_t>& seen,
                                       int n) const {
        return recommend(clusters, weights, width, seen.data(), seen.size(), n);
    }

private:
    // A list entry: what reading down a list needs, 16 bytes (four to a cache line).
    struct Entry {
        std::int64_t id;     // ids_[movie]
        float bound;         // score_c(m) rounded up to float: the list is sorted by score_c(m),
                             // best first, and the threshold only needs an upper bound
        std::int32_t movie;  // dense index into ids_
    };
    struct Listing {
        std::int32_t cluster;
        double extra;
    };
    double score_of(std::int32_t movie, const std::int32_t* clusters, const float* weights,
                    int width, double prior_mix) const;
    const double* row(std::int32_t movie) const {
        return dense_.data() + static_cast<std::size_t>(movie) * stride_;
    }

    std::vector<std::int64_t> ids_;                       // every movie the model lists
    std::unordered_map<std::int64_t, std::int32_t> index_;  // movie id -> dense index
    std::vector<double> popularity_;                      // per dense index, 0 if unlisted
    double max_popularity_ = 0;
    std::vector<std::vector<Entry>> lists_;               // per cluster, best first
    std::vector<std::int64_t> listing_offsets_;           // per dense index, into listings_
    std::vector<Listing> listings_;                       // the clusters listing each movie
    // When small enough, per movie a row of stride_ = k + 1 doubles: popularity(m), then
    // extra_c(m) of every cluster c (0 where c does not list m); else empty.
    std::vector<double> dense_;
    std::size_t stride_ = 0;
    std::vector<double> prior_;
    std::vector<std::int32_t> popular_;                   // dense indexes, most popular first
    // Scratch, all zero between calls.
    mutable std::vector<std::uint64_t> mark_;  // bit per movie: considered in this call
    mutable std::vector<std::int32_t> touched_;
    mutable std::vector<ScoredMovie> best_;
    mutable std::vector<std::size_t> cursor_;  // per list of the user: next position to read
    mutable std::vector<std::int32_t> position_;  // per cluster: its place in the user's, or -1
    mutable std::vector<double> extra_by_position_;
    // Open-addressing set of the seen ids (0 marks a free slot).
    mutable std::vector<std::int64_t> seen_ids_;
};

}  // namespace movie_recs::core
