#include "rating_matrix.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "errors.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

std::int64_t index_of(const std::vector<std::int64_t>& ids, std::int64_t id) {
    auto it = std::lower_bound(ids.begin(), ids.end(), id);
    if (it == ids.end() || *it != id) return -1;
    return it - ids.begin();
}

// Saturating arithmetic for memory estimates.
std::int64_t sat_mul(std::int64_t a, std::int64_t b) {
    if (a <= 0 || b <= 0) return 0;
    if (a > std::numeric_limits<std::int64_t>::max() / b) return std::numeric_limits<std::int64_t>::max();
    return a * b;
}
std::int64_t sat_add(std::int64_t a, std::int64_t b) {
    if (a > std::numeric_limits<std::int64_t>::max() - b) return std::numeric_limits<std::int64_t>::max();
    return a + b;
}

}  // namespace

RatingMatrix RatingMatrix::build(RatingTriple* triples, std::size_t n, const Hooks& hooks) {
    if (n == 0) throw Error(ErrorKind::InvalidData, "no ratings to train on");
    for (std::size_t i = 0; i < n; ++i) {
        if (!rating_in_range(triples[i].rating))
            throw Error(
                ErrorKind::InvalidData, "ratings must be finite numbers within the range of real",
                "User " + std::to_string(triples[i].user_id) + " rated movie " +
                    std::to_string(triples[i].movie_id) + " with " +
                    (std::isnan(triples[i].rating)   ? std::string("NaN.")
                     : std::isinf(triples[i].rating) ? std::string("an infinite value.")
                                                     : std::to_string(triples[i].rating) + "."),
                "Fix or filter out the rows whose rating is NaN, infinite or huge, for "
                "example by training on a view.");
    }
    hooks.report({"matrix", 0, 3, 0, 0});
    // Sorting by (user, movie, rating) makes the merge of duplicates independent of input order.
    std::sort(triples, triples + n, [](const RatingTriple& a, const RatingTriple& b) {
        if (a.user_id != b.user_id) return a.user_id < b.user_id;
        if (a.movie_id != b.movie_id) return a.movie_id < b.movie_id;
        return a.rating < b.rating;
    });
    if (hooks.stop_requested()) throw Error(ErrorKind::Cancelled, "canceling movie_recs work on request");
    hooks.report({"matrix", 1, 3, 0, 0});

    RatingMatrix m;
    std::vector<std::int64_t> movies;
    movies.reserve(n);
    std::size_t distinct = 0;
    for (std::size_t i = 0; i < n; ++i) {
        if (i == 0 || triples[i].user_id != triples[i - 1].user_id)
            m.user_ids_.push_back(triples[i].user_id);
        if (i == 0 || triples[i].user_id != triples[i - 1].user_id ||
            triples[i].movie_id != triples[i - 1].movie_id) {
            ++distinct;
            movies.push_back(triples[i].movie_id);
        }
    }
    std::sort(movies.begin(), movies.end());
    movies.erase(std::unique(movies.begin(), movies.end()), movies.end());
    movies.shrink_to_fit();
    m.movie_ids_ = std::move(movies);
    m.duplicates_merged_ = static_cast<std::int64_t>(n - distinct);

    const auto users = static_cast<std::int64_t>(m.user_ids_.size());
    const auto cols = static_cast<std::int64_t>(m.movie_ids_.size());
    m.rows_.resize(users, cols);
    m.rows_.resizeNonZeros(static_cast<std::int64_t>(distinct));
    std::int64_t* outer = m.rows_.outerIndexPtr();
    std::int64_t* inner = m.rows_.innerIndexPtr();
    float* values = m.rows_.valuePtr();

    std::int64_t row = -1;
    std::int64_t nz = 0;
    for (std::size_t i = 0; i < n;) {
        if (i == 0 || triples[i].user_id != triples[i - 1].user_id) outer[++row] = nz;
        // Merge a run of duplicates of one (user, movie) into their mean.
        std::size_t j = i;
        double sum = 0;
        while (j < n && triples[j].user_id == triples[i].user_id &&
               triples[j].movie_id == triples[i].movie_id)
            sum += triples[j++].rating;
        inner[nz] = index_of(m.movie_ids_, triples[i].movie_id);
        values[nz] = static_cast<float>(sum / static_cast<double>(j - i));
        ++nz;
        i = j;
        if ((nz & 0xFFFFF) == 0 && hooks.stop_requested())
            throw Error(ErrorKind::Cancelled, "canceling movie_recs work on request");
    }
    outer[users] = nz;
    hooks.report({"matrix", 3, 3, 0, 0});
    return m;
}

std::int64_t RatingMatrix::user_index(std::int64_t user_id) const {
    return index_of(user_ids_, user_id);
}

std::int64_t RatingMatrix::movie_index(std::int64_t movie_id) const {
    return index_of(movie_ids_, movie_id);
}

std::int64_t estimate_training_bytes(std::int64_t ratings, std::int64_t users,
                                     std::int64_t movies, int k, int threads) {
    const std::int64_t kk = std::max(k, 1);
    std::int64_t bytes = 0;
    bytes = sat_add(bytes, sat_mul(ratings, sizeof(RatingTriple)));        // input triples
    bytes = sat_add(bytes, sat_mul(ratings, 2 * (8 + 4)));                 // matrix + vectors
    bytes = sat_add(bytes, sat_mul(users, 2 * 8 + 64));                    // row pointers, ids, state
    bytes = sat_add(bytes, sat_mul(movies, 8 + 8));                        // movie ids, popularity
    bytes = sat_add(bytes, sat_mul(sat_mul(movies, kk), 3 * 8));           // centroids, sums, counts
    bytes = sat_add(bytes, sat_mul(sat_mul(users, kk), 8));                // distances (soft step)
    bytes = sat_add(bytes, sat_mul(std::max(threads, 1), sat_mul(kk, 64))); // per-thread buffers
    return bytes;
}

}  // namespace movie_recs::core
