// The user x movie rating matrix: compressed sparse rows over dense user and movie indexes.
#pragma once

#include <Eigen/SparseCore>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <vector>

#include "hooks.hpp"
#include "id_map.hpp"

namespace movie_recs::core {

// Largest magnitude of an accepted rating: the matrix holds ratings as float (real), so a larger
// one would become infinite and the model would hold NaN. The adapters and the builder refuse
// such ratings, as NaN and infinities.
constexpr double kMaxRatingMagnitude = static_cast<double>(std::numeric_limits<float>::max());

// True for a rating the model can use: finite and within the range of float.
inline bool rating_in_range(double rating) {
    return std::fabs(rating) <= kMaxRatingMagnitude;
}

// One input row, as the adapter and the tools hand them over.
struct RatingTriple {
    std::int64_t user_id;
    std::int64_t movie_id;
    double rating;
};

// Row-major, float values, 32-bit column indexes and row offsets: 8 bytes per stored rating.
using SparseRows = Eigen::SparseMatrix<float, Eigen::RowMajor, std::int32_t>;

// Most ratings one matrix holds (its row offsets are 32-bit).
constexpr std::int64_t kMaxRatings = std::numeric_limits<std::int32_t>::max();

class RatingMatrix;

// Collects input rows in 12 bytes each (user slot, movie slot, rating as float), numbering the
// ids as they arrive, then builds the matrix. Memory grows in chunks, never by copying.
class RatingCollector {
public:
    RatingCollector() = default;
    RatingCollector(const RatingCollector&) = delete;
    RatingCollector& operator=(const RatingCollector&) = delete;

    // Adds n rows. Throws Error(InvalidData) on a NaN, infinite or beyond-float rating or past
    // kMaxRatings rows, std::bad_alloc when memory runs out.
    void add(const RatingTriple* rows, std::size_t n);

    std::int64_t rows() const { return rows_; }
    std::int64_t users() const { return users_.size(); }
    std::int64_t movies() const { return movies_.size(); }
    // Bytes held now (chunks and id tables).
    std::int64_t bytes() const;

    // Builds the matrix: duplicate (user, movie) rows are merged into one entry holding their
    // mean, whatever their order. Sorting the rows of the matrix runs on `threads` threads; the
    // result does not depend on it. Leaves the collector empty. Throws Error(InvalidData) when
    // there are no rows, Error(Cancelled) when hooks ask to stop.
    RatingMatrix build(int threads = 1, const Hooks& hooks = {});

private:
    struct Packed {
        std::int32_t user;  // slot in users_
        std::int32_t movie; // slot in movies_
        float rating;
    };
    std::vector<std::vector<Packed>> chunks_;
    IdMap users_;
    IdMap movies_;
    std::int64_t rows_ = 0;
};

class RatingMatrix {
public:
    // Builds the matrix from n triples (see RatingCollector::build).
    static RatingMatrix build(const RatingTriple* triples, std::size_t n, const Hooks& hooks = {});

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
    friend class RatingCollector;
    std::vector<std::int64_t> user_ids_;
    std::vector<std::int64_t> movie_ids_;
    SparseRows rows_;
    std::int64_t duplicates_merged_ = 0;
};

// Peak bytes of collecting `ratings` input rows (duplicates included) over that many distinct
// users and movies and building their matrix: 12 bytes a row held while the matrix (8 bytes an
// entry) is filled, and the id tables. Saturates at INT64_MAX instead of overflowing.
std::int64_t estimate_build_bytes(std::int64_t ratings, std::int64_t users, std::int64_t movies);

// Peak bytes of a whole training on this input: the larger of building the matrix and of
// clustering and scoring (the matrix and the user vectors, 8 bytes an entry each, 16-bit column
// positions, per-user state and model, the centroids in their working copies, the model's lists,
// per-thread buffers). Saturates at INT64_MAX instead of overflowing.
std::int64_t estimate_training_bytes(std::int64_t ratings, std::int64_t users,
                                     std::int64_t movies, int k, int threads);

}  // namespace movie_recs::core
