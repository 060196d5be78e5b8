// The user x movie rating matrix: compressed sparse rows over dense user and movie indexes.
#pragma once

#include <Eigen/SparseCore>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "hooks.hpp"

namespace movie_recs::core {

// Largest magnitude of an accepted rating: the matrix holds ratings as float (real), so a larger
// one would become infinite and the model would hold NaN. The adapters and the builder refuse
// such ratings, as NaN and infinities.
constexpr double kMaxRatingMagnitude = static_cast<double>(std::numeric_limits<float>::max());

// True for a rating the model can use: finite and within the range of float.
inline bool rating_in_range(double rating) {
    return std::fabs(rating) <= kMaxRatingMagnitude;
}

// One input row. The adapter fills a plain array of these; the builder sorts it in place.
struct RatingTriple {
    std::int64_t user_id;
    std::int64_t movie_id;
    double rating;
};

using SparseRows = Eigen::SparseMatrix<float, Eigen::RowMajor, std::int64_t>;

class RatingMatrix {
public:
    // Builds the matrix from n triples (reordered in place). Duplicate (user, movie) pairs are
    // merged into one entry holding their mean rating; the count of merged rows is reported by
    // duplicates_merged(). Throws Error(InvalidData) on a NaN or infinite rating or on empty input.
    static RatingMatrix build(RatingTriple* triples, std::size_t n, const Hooks& hooks = {});

    std::int64_t users() const { return static_cast<std::int64_t>(user_ids_.size()); }
    std::int64_t movies() const { return static_cast<std::int64_t>(movie_ids_.size()); }
    std::int64_t ratings() const { return rows_.nonZeros(); }
    std::int64_t duplicates_merged() const { return duplicates_merged_; }

    // Sorted ascending; position = row (user) or column (movie) index.
    const std::vector<std::int64_t>& user_ids() const { return user_ids_; }
    const std::vector<std::int64_t>& movie_ids() const { return movie_ids_; }
    const SparseRows& rows() const { return rows_; }

    // Index of an id, or -1 when absent (binary search).
    std::int64_t user_index(std::int64_t user_id) const;
    std::int64_t movie_index(std::int64_t movie_id) const;

private:
    std::vector<std::int64_t> user_ids_;
    std::vector<std::int64_t> movie_ids_;
    SparseRows rows_;
    std::int64_t duplicates_merged_ = 0;
};

// Bytes needed to train on this input (triples, matrix, user vectors, centroids, per-thread
// buffers, model). Saturates at INT64_MAX instead of overflowing.
std::int64_t estimate_training_bytes(std::int64_t ratings, std::int64_t users,
                                     std::int64_t movies, int k, int threads);

}  // namespace movie_recs::core
