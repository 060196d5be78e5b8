// Building the rating matrix without sorting the input: ids are numbered as rows arrive
// (id_map.hpp), rows are counted per user, scattered into their place in the compressed rows,
// and each user's row is then sorted and its duplicates merged on its own, in parallel.
#include "rating_matrix.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <string>

#include "errors.hpp"
#include "parallel.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

// Rows per chunk: the first chunk is small (small inputs stay small), the next ones are 48 MB,
// above the largest threshold at which glibc serves an allocation with its own mapping, so a
// freed chunk always goes back to the operating system.
constexpr std::size_t kFirstChunkRows = std::size_t{1} << 16;
constexpr std::size_t kChunkRows = std::size_t{1} << 22;

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

[[noreturn]] void cancelled() { throw Error(ErrorKind::Cancelled, "canceling movie_recs work on request"); }

// A float's bits, mapped so that unsigned order is numeric order.
std::uint32_t ordered_bits(float v) {
    std::uint32_t b;
    std::memcpy(&b, &v, sizeof b);
    return (b & 0x80000000U) ? ~b : (b | 0x80000000U);
}

float from_ordered_bits(std::uint32_t b) {
    b = (b & 0x80000000U) ? (b & 0x7FFFFFFFU) : ~b;
    float v;
    std::memcpy(&v, &b, sizeof v);
    return v;
}

// Rows at least this long are sorted by counting sorts on the bytes of the column.
constexpr std::size_t kRadixMinRow = 64;

// Sorts keys (column << 32 | ordered value bits) ascending, into the order std::sort gives: long
// rows by a stable counting sort on each byte of the column that the largest column uses, then
// each run of one column (duplicates, rare) by value; short rows with std::sort. tmp holds n keys.
void sort_keys(std::uint64_t* keys, std::uint64_t* tmp, std::size_t n, std::uint32_t max_col) {
    if (n < kRadixMinRow) {
        std::sort(keys, keys + n);
        return;
    }
    std::uint64_t* from = keys;
    std::uint64_t* to = tmp;
    for (int byte = 0; byte < 4 && (byte == 0 || (max_col >> (8 * byte)) != 0); ++byte) {
        const int shift = 32 + 8 * byte;
        std::size_t start[257] = {};
        for (std::size_t i = 0; i < n; ++i) ++start[((from[i] >> shift) & 255U) + 1];
        for (int b = 0; b < 256; ++b) start[b + 1] += start[b];
        for (std::size_t i = 0; i < n; ++i) to[start[(from[i] >> shift) & 255U]++] = from[i];
        std::swap(from, to);
    }
    if (from != keys) std::memcpy(keys, from, n * sizeof(std::uint64_t));
    for (std::size_t i = 0; i < n;) {
        std::size_t j = i + 1;
        while (j < n && (keys[j] >> 32) == (keys[i] >> 32)) ++j;
        if (j - i > 1) std::sort(keys + i, keys + j);
        i = j;
    }
}

// Sorts one row by (column, value) and merges runs of one column into their mean. Returns the
// row's new length. scratch is reused across rows.
std::int64_t sort_and_merge_row(std::int32_t* cols, float* vals, std::int64_t n,
                                std::vector<std::uint64_t>& scratch) {
    bool sorted = true;
    for (std::int64_t e = 1; e < n && sorted; ++e) sorted = cols[e - 1] < cols[e];
    if (sorted) return n;
    scratch.resize(2 * static_cast<std::size_t>(n));
    std::uint32_t max_col = 0;
    for (std::int64_t e = 0; e < n; ++e) {
        const auto col = static_cast<std::uint32_t>(cols[e]);
        max_col = std::max(max_col, col);
        scratch[static_cast<std::size_t>(e)] = (static_cast<std::uint64_t>(col) << 32) | ordered_bits(vals[e]);
    }
    sort_keys(scratch.data(), scratch.data() + n, static_cast<std::size_t>(n), max_col);
    std::int64_t out = 0;
    for (std::int64_t e = 0; e < n;) {
        const auto col = static_cast<std::int32_t>(scratch[static_cast<std::size_t>(e)] >> 32);
        double sum = 0;
        std::int64_t j = e;
        for (; j < n && static_cast<std::int32_t>(scratch[static_cast<std::size_t>(j)] >> 32) == col; ++j)
            sum += static_cast<double>(from_ordered_bits(static_cast<std::uint32_t>(scratch[static_cast<std::size_t>(j)])));
        cols[out] = col;
        vals[out] = static_cast<float>(sum / static_cast<double>(j - e));
        ++out;
        e = j;
    }
    return out;
}

}  // namespace

void RatingCollector::add(const RatingTriple* rows, std::size_t n) {
    for (std::size_t i = 0; i < n; ++i) {
        const RatingTriple& t = rows[i];
        const double r = t.rating;
        if (!rating_in_range(r)) {
            const std::string what = std::isnan(r)        ? "NaN."
                                     : std::isinf(r)      ? "an infinite value."
                                                          : std::to_string(r) + ", beyond the range of real.";
            throw Error(ErrorKind::InvalidData, "ratings must be finite numbers",
                        "User " + std::to_string(t.user_id) + " rated movie " +
                            std::to_string(t.movie_id) + " with " + what,
                        "Fix or filter out the rows whose rating is NaN or Infinity, for example by "
                        "training on a view.");
        }
        if (rows_ >= kMaxRatings)
            throw Error(ErrorKind::InvalidData,
                        "cannot train on more than " + std::to_string(kMaxRatings) + " ratings",
                        {}, "Train on a sample of the ratings.");
        if (chunks_.empty() || chunks_.back().size() == chunks_.back().capacity()) {
            chunks_.emplace_back();
            chunks_.back().reserve(chunks_.size() == 1 ? kFirstChunkRows : kChunkRows);
        }
        // -0 (or a negative rating too small for a float) is stored as 0: a row that needs no
        // merging keeps its value as it is, a merged one gets a sum, and the sign of a zero
        // must not depend on the order the rows arrived in.
        float v = static_cast<float>(r);
        if (v == 0) v = 0;
        chunks_.back().push_back(Packed{users_.slot(t.user_id), movies_.slot(t.movie_id), v});
        ++rows_;
    }
}

std::int64_t RatingCollector::bytes() const {
    std::int64_t b = users_.bytes() + movies_.bytes();
    for (const auto& c : chunks_) b += static_cast<std::int64_t>(c.size() * sizeof(Packed));
    return b;
}

RatingMatrix RatingCollector::build(int threads, const Hooks& hooks) {
    if (rows_ == 0) throw Error(ErrorKind::InvalidData, "no ratings to train on");
    hooks.report({"matrix", 0, 3, 0, 0});
    RatingMatrix m;
    std::vector<std::int32_t> user_rank, movie_rank;
    users_.sorted(&m.user_ids_, &user_rank);
    movies_.sorted(&m.movie_ids_, &movie_rank);
    const auto users = static_cast<std::int64_t>(m.user_ids_.size());
    const auto cols = static_cast<std::int64_t>(m.movie_ids_.size());

    // Row offsets from the count of input rows per user.
    std::vector<std::int64_t> cursor(static_cast<std::size_t>(users) + 1, 0);
    for (const auto& chunk : chunks_)
        for (const Packed& p : chunk) ++cursor[static_cast<std::size_t>(user_rank[static_cast<std::size_t>(p.user)]) + 1];
    for (std::int64_t u = 0; u < users; ++u) cursor[static_cast<std::size_t>(u) + 1] += cursor[static_cast<std::size_t>(u)];

    m.rows_.resize(users, cols);
    m.rows_.resizeNonZeros(rows_);
    std::int32_t* outer = m.rows_.outerIndexPtr();
    std::int32_t* inner = m.rows_.innerIndexPtr();
    float* values = m.rows_.valuePtr();
    for (std::int64_t u = 0; u <= users; ++u) outer[u] = static_cast<std::int32_t>(cursor[static_cast<std::size_t>(u)]);

    // Scatter, freeing each chunk once placed.
    for (auto& chunk : chunks_) {
        if (hooks.stop_requested()) cancelled();
        for (const Packed& p : chunk) {
            const auto row = static_cast<std::size_t>(user_rank[static_cast<std::size_t>(p.user)]);
            const std::int64_t at = cursor[row]++;
            inner[at] = movie_rank[static_cast<std::size_t>(p.movie)];
            values[at] = p.rating;
        }
        std::vector<Packed>().swap(chunk);
    }
    chunks_.clear();
    std::vector<std::int32_t>().swap(user_rank);
    std::vector<std::int32_t>().swap(movie_rank);
    hooks.report({"matrix", 1, 3, 0, 0});

    // Per row: sort by column, merge duplicates (the new lengths go to cursor[u]).
    parallel_rows(users, threads, hooks, [&](std::int64_t begin, std::int64_t end) {
        std::vector<std::uint64_t> scratch;
        for (std::int64_t u = begin; u < end; ++u)
            cursor[static_cast<std::size_t>(u)] =
                sort_and_merge_row(inner + outer[u], values + outer[u], outer[u + 1] - outer[u], scratch);
    });
    hooks.report({"matrix", 2, 3, 0, 0});

    // Close the gaps left by merged duplicates.
    std::int64_t nz = 0;
    for (std::int64_t u = 0; u < users; ++u) {
        const std::int64_t from = outer[u];
        const std::int64_t len = cursor[static_cast<std::size_t>(u)];
        if (from != nz) {
            std::memmove(inner + nz, inner + from, static_cast<std::size_t>(len) * sizeof(std::int32_t));
            std::memmove(values + nz, values + from, static_cast<std::size_t>(len) * sizeof(float));
        }
        outer[u] = static_cast<std::int32_t>(nz);
        nz += len;
    }
    outer[users] = static_cast<std::int32_t>(nz);
    m.duplicates_merged_ = rows_ - nz;
    if (nz != rows_) {
        m.rows_.data().resize(nz);
        m.rows_.data().squeeze();
    }
    rows_ = 0;
    hooks.report({"matrix", 3, 3, 0, 0});
    return m;
}

RatingMatrix RatingMatrix::build(const RatingTriple* triples, std::size_t n, const Hooks& hooks) {
    RatingCollector c;
    c.add(triples, n);
    return c.build(1, hooks);
}

std::int64_t RatingMatrix::user_index(std::int64_t user_id) const {
    return index_of(user_ids_, user_id);
}

std::int64_t RatingMatrix::movie_index(std::int64_t movie_id) const {
    return index_of(movie_ids_, movie_id);
}

std::int64_t estimate_build_bytes(std::int64_t ratings, std::int64_t users, std::int64_t movies) {
    // Per id: a hash slot of 16 bytes at a load of at most 1/4, the id by slot, the sorted ids,
    // the rank of each slot, and for users the row offsets and cursors.
    const std::int64_t ids = sat_mul(sat_add(users, movies), 4 * 16 + 8 + 8 + 4 + 8 + 4);
    return sat_add(sat_mul(ratings, 12 + 8), ids);
}

std::int64_t estimate_training_bytes(std::int64_t ratings, std::int64_t users,
                                     std::int64_t movies, int k, int threads) {
    const std::int64_t kk = std::max(k, 1);
    const std::int64_t kp = (kk + 7) / 8 * 8;
    const std::int64_t bounds = kk <= 32 ? kk : 1;  // k-means lower bounds per user
    const std::int64_t t = std::max(threads, 1);
    // Matrix and user vectors (8 bytes an entry each), 16-bit column positions.
    std::int64_t train = sat_mul(ratings, 8 + 8 + 2);
    // Per user: row offsets, ids, norms, assignments, bounds, distances, seeding state, soft
    // assignment and the copies handed to the catalog.
    train = sat_add(train, sat_mul(users, 220 + 4 * bounds));
    // Per movie: ids, column order, popularity and scratch.
    train = sat_add(train, sat_mul(movies, 68));
    // Per centroid coordinate: double centroids, integer sums, two float copies, the model's
    // counts (and each thread's integer counts) and the catalog copy of the non-zeros.
    train = sat_add(train, sat_mul(sat_mul(movies, kp), 8 + 8 + 4 + 4 + 8 + 12 + 4 * t));
    // The model's lists (up to 1000 movies per cluster, and their catalog copies).
    train = sat_add(train, sat_mul(sat_mul(kk, std::min<std::int64_t>(movies, 1000)), 32));
    train = sat_add(train, sat_mul(t, sat_mul(kp, 64)));
    return std::max(estimate_build_bytes(ratings, users, movies), train);
}

}  // namespace movie_recs::core
