// libFuzzer target: the rating-matrix builder and k-means on sparse inputs decoded from the fuzz
// bytes (ids small, negative, extreme or raw; duplicates; NaN, infinite, huge, tiny ratings; k
// from out of range to more than the users, Elkan and Hamerly sides; 2 to 4 threads; inputs
// copied over many users so that several threads get rows; optional cancellation). Checks:
//   - errors come only as core::Error of the kind the input calls for (anything else aborts);
//   - the matrix holds exactly the distinct (user, movie) pairs with their mean rating, ids
//     ascending, columns ascending per row, whatever the input order, however the rows reach
//     RatingCollector and on any number of threads;
//   - k-means on 1 thread and on 2-4 threads gives the same result to the bit; every row is in a
//     cluster in [0, k), cluster sizes add up, distances and inertia are finite and >= 0.
// Built with clang: -DCMAKE_CXX_COMPILER=clang++ -DMOVIE_RECS_FUZZ=ON (tests/sanitize/run.sh).
#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <map>
#include <set>
#include <utility>
#include <vector>

#include "core/errors.hpp"
#include "core/hooks.hpp"
#include "core/kmeans.hpp"
#include "core/rating_matrix.hpp"

namespace core = movie_recs::core;

namespace {

constexpr std::size_t kMaxTriples = 256;
// Copies of the decoded rows under other user ids, up to kMaxCopiedRows rows in all: more users
// than one block of parallel_rows() (kBlockRows), so that 2-4 threads really share the rows.
constexpr std::size_t kMaxCopiedRows = 8192;

[[noreturn]] void fail(const char* what) {
    std::fprintf(stderr, "fuzz_matrix_kmeans: invariant broken: %s\n", what);
    std::abort();
}

#define CHECK(cond)                 \
    do {                            \
        if (!(cond)) fail(#cond);   \
    } while (0)

// Reads the fuzz bytes front to back; past the end every read gives 0.
class Bytes {
public:
    Bytes(const std::uint8_t* data, std::size_t size) : p_(data), n_(size) {}
    bool empty() const { return n_ == 0; }
    std::uint8_t u8() {
        if (n_ == 0) return 0;
        --n_;
        return *p_++;
    }
    std::uint64_t u64() {
        std::uint64_t v = 0;
        for (int i = 0; i < 8; ++i) v = (v << 8) | u8();
        return v;
    }

private:
    const std::uint8_t* p_;
    std::size_t n_;
};

// An id of one of four shapes: small (many duplicates), small around zero (negatives), next to
// the int64 limits, or any 64-bit value.
std::int64_t decode_id(Bytes& in, unsigned shape, int small_range) {
    const std::uint8_t b = in.u8();
    switch (shape & 3) {
        case 0: return b % small_range;
        case 1: return static_cast<std::int64_t>(b) - 128;
        case 2:
            return (b & 1) ? std::numeric_limits<std::int64_t>::max() - (b >> 1)
                           : std::numeric_limits<std::int64_t>::min() + (b >> 1);
        default: {
            const std::uint64_t raw = (static_cast<std::uint64_t>(b) << 56) | (in.u64() >> 8);
            std::int64_t v;
            std::memcpy(&v, &raw, sizeof v);
            return v;
        }
    }
}

// Mostly ratings from 0 to 5 in halves; one selector in 16 gives a special value.
double decode_rating(Bytes& in, unsigned shape) {
    const std::uint8_t b = in.u8();
    if (shape < 15) return (b % 11) * 0.5;
    switch (b % 10) {
        case 0: return std::numeric_limits<double>::quiet_NaN();
        case 1: return std::numeric_limits<double>::infinity();
        case 2: return -std::numeric_limits<double>::infinity();
        case 3: return (b & 0x80) ? 1e300 : -1e300;  // beyond float
        case 4: return static_cast<double>(std::numeric_limits<float>::max()) * 1.5;
        case 5: return (b & 0x80) ? std::numeric_limits<float>::max() : -std::numeric_limits<float>::max();
        case 6: return std::ldexp(1.0, (b >> 4) * 8);  // 1 to 2^120
        case 7: return (b & 0x80) ? std::numeric_limits<double>::denorm_min() : -0.0;
        case 8: return -static_cast<double>(b);
        default: {
            const std::uint64_t raw = in.u64();
            double v;
            std::memcpy(&v, &raw, sizeof v);
            return v;
        }
    }
}

bool float_range(double r) {
    return std::isfinite(r) && std::fabs(r) <= static_cast<double>(std::numeric_limits<float>::max());
}

bool same_bits(const void* a, const void* b, std::size_t bytes) {
    return bytes == 0 || std::memcmp(a, b, bytes) == 0;
}

template <typename T>
bool same(const std::vector<T>& a, const std::vector<T>& b) {
    return a.size() == b.size() && same_bits(a.data(), b.data(), a.size() * sizeof(T));
}

bool same_matrix(const core::RatingMatrix& a, const core::RatingMatrix& b) {
    const auto& x = a.rows();
    const auto& y = b.rows();
    return same(a.user_ids(), b.user_ids()) && same(a.movie_ids(), b.movie_ids()) &&
           a.duplicates_merged() == b.duplicates_merged() && x.nonZeros() == y.nonZeros() &&
           same_bits(x.outerIndexPtr(), y.outerIndexPtr(), (x.rows() + 1) * sizeof(*x.outerIndexPtr())) &&
           same_bits(x.innerIndexPtr(), y.innerIndexPtr(), x.nonZeros() * sizeof(*x.innerIndexPtr())) &&
           same_bits(x.valuePtr(), y.valuePtr(), x.nonZeros() * sizeof(*x.valuePtr()));
}

bool same_result(const core::KMeansResult& a, const core::KMeansResult& b) {
    return a.k == b.k && a.iterations == b.iterations && a.converged == b.converged &&
           same_bits(&a.inertia, &b.inertia, sizeof a.inertia) && same(a.centroids, b.centroids) &&
           same(a.assignment, b.assignment) && same(a.sq_distance, b.sq_distance) &&
           same(a.sizes, b.sizes) && a.empty_clusters_reseeded == b.empty_clusters_reseeded;
}

// The matrix against a plain reference: the distinct pairs and the mean of their ratings.
void check_matrix(const core::RatingMatrix& m, const std::vector<core::RatingTriple>& triples) {
    struct Acc {
        double sum = 0, max_abs = 0;
        std::int64_t count = 0;
    };
    std::map<std::pair<std::int64_t, std::int64_t>, Acc> pairs;
    std::set<std::int64_t> users, movies;
    for (const auto& t : triples) {
        Acc& a = pairs[{t.user_id, t.movie_id}];
        a.sum += static_cast<double>(static_cast<float>(t.rating));
        a.max_abs = std::max(a.max_abs, std::fabs(t.rating));
        ++a.count;
        users.insert(t.user_id);
        movies.insert(t.movie_id);
    }
    CHECK(m.users() == static_cast<std::int64_t>(users.size()));
    CHECK(m.movies() == static_cast<std::int64_t>(movies.size()));
    CHECK(m.ratings() == static_cast<std::int64_t>(pairs.size()));
    CHECK(m.duplicates_merged() == static_cast<std::int64_t>(triples.size() - pairs.size()));
    CHECK(std::equal(users.begin(), users.end(), m.user_ids().begin()));
    CHECK(std::equal(movies.begin(), movies.end(), m.movie_ids().begin()));
    for (std::int64_t u = 0; u < m.users(); ++u) {
        const std::int64_t id = m.user_ids()[static_cast<std::size_t>(u)];
        CHECK(m.user_index(id) == u);
        if (id != std::numeric_limits<std::int64_t>::max() && !users.count(id + 1))
            CHECK(m.user_index(id + 1) == -1);
    }
    for (std::int64_t c = 0; c < m.movies(); ++c) {
        const std::int64_t id = m.movie_ids()[static_cast<std::size_t>(c)];
        CHECK(m.movie_index(id) == c);
        if (id != std::numeric_limits<std::int64_t>::min() && !movies.count(id - 1))
            CHECK(m.movie_index(id - 1) == -1);
    }
    const auto& x = m.rows();
    CHECK(x.rows() == m.users() && x.cols() == m.movies() && x.isCompressed());
    for (std::int64_t u = 0; u < x.rows(); ++u) {
        std::int64_t previous = -1, entries = 0;
        for (core::SparseRows::InnerIterator it(x, u); it; ++it, ++entries) {
            CHECK(it.index() > previous && it.index() < m.movies());
            previous = it.index();
            const auto found = pairs.find({m.user_ids()[static_cast<std::size_t>(u)],
                                           m.movie_ids()[static_cast<std::size_t>(it.index())]});
            CHECK(found != pairs.end());
            const Acc& a = found->second;
            const double mean = a.sum / static_cast<double>(a.count);
            CHECK(std::isfinite(it.value()));
            CHECK(std::fabs(it.value() - mean) <= 1e-6 * a.max_abs + 1e-30);
        }
        CHECK(entries > 0);  // every user has a rating
    }
}

void check_kmeans(const core::KMeansResult& r, const core::SparseRows& x, int k) {
    const std::int64_t n = x.rows();
    CHECK(r.k == k);
    CHECK(r.iterations >= 0);
    CHECK(static_cast<std::int64_t>(r.assignment.size()) == n);
    CHECK(static_cast<std::int64_t>(r.sq_distance.size()) == n);
    CHECK(static_cast<int>(r.sizes.size()) == k);
    CHECK(static_cast<std::int64_t>(r.centroids.size()) == static_cast<std::int64_t>(k) * x.cols());
    std::vector<std::int64_t> sizes(static_cast<std::size_t>(k), 0);
    double sum = 0, norms = 0;
    for (std::int64_t i = 0; i < n; ++i) {
        const std::int32_t c = r.assignment[static_cast<std::size_t>(i)];
        CHECK(c >= 0 && c < k);
        ++sizes[static_cast<std::size_t>(c)];
        const double d = r.sq_distance[static_cast<std::size_t>(i)];
        CHECK(std::isfinite(d) && d >= 0);
        sum += d;
        norms += static_cast<double>(x.row(i).squaredNorm());
    }
    CHECK(sizes == r.sizes);
    for (double v : r.centroids) CHECK(std::isfinite(v));
    CHECK(std::isfinite(r.inertia) && r.inertia >= 0);
    // Inertia is the sum of the distances, up to the rounding of ||x||^2 - 2 x.c + ||c||^2.
    CHECK(std::fabs(r.inertia - sum) <= 1e-5 * (norms + sum) + 1e-9);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    Bytes in(data, size);
    // Header: k, threads and iterations, tolerance, seed, cancellation.
    const std::uint8_t kb = in.u8();
    const std::uint8_t tb = in.u8();
    const std::uint8_t tolb = in.u8();
    const std::uint8_t seedb = in.u8();
    const std::uint8_t cancelb = in.u8();
    const std::uint8_t copyb = in.u8();
    const std::uint8_t splitb = in.u8();

    core::KMeansParams params;
    params.k = kb == 255 ? 0 : kb == 254 ? core::kMaxClusters + 1 : 1 + kb % 48;
    params.max_iterations = 1 + (tb >> 2) % 16;
    static const double tolerances[8] = {0, 1e-4, 1e-2, 0.5, 1e-4, 0, -1,
                                         std::numeric_limits<double>::quiet_NaN()};
    params.tolerance = tolerances[tolb % 8];
    params.seed = seedb * 0x9E3779B97F4A7C15ULL;
    const int threads = 2 + tb % 3;
    // 1 to 63: the interrupt callback asks to stop at its cancelb-th call; otherwise never.
    const int cancel_at = cancelb < 64 ? cancelb : -1;

    std::vector<core::RatingTriple> triples;
    bool finite = true;
    while (!in.empty() && triples.size() < kMaxTriples) {
        const std::uint8_t s = in.u8();
        core::RatingTriple t;
        t.user_id = decode_id(in, s, 16);
        t.movie_id = decode_id(in, s >> 2, 32);
        t.rating = decode_rating(in, s >> 4);
        finite = finite && float_range(t.rating);
        triples.push_back(t);
    }
    const std::size_t base = triples.size();
    std::size_t copies = copyb >= 240 ? static_cast<std::size_t>(copyb - 239) * 32 : 1;
    if (base > 0) copies = std::max<std::size_t>(1, std::min(copies, kMaxCopiedRows / base));
    for (std::size_t c = 1; c < copies; ++c)
        for (std::size_t i = 0; i < base; ++i) {
            core::RatingTriple t = triples[i];
            // Wrapping addition (no signed overflow): another user per copy.
            t.user_id = static_cast<std::int64_t>(static_cast<std::uint64_t>(t.user_id) +
                                                  static_cast<std::uint64_t>(c) * 1000003U);
            triples.push_back(t);
        }

    // The matrix: a documented error for no rows and for ratings out of range, else checked
    // against the reference and against the same rows in reverse order.
    const bool expect_ok = !triples.empty() && finite;
    try {
        core::RatingMatrix m = core::RatingMatrix::build(triples.data(), triples.size());
        CHECK(expect_ok);
        check_matrix(m, triples);
        std::vector<core::RatingTriple> reversed(triples.rbegin(), triples.rend());
        CHECK(same_matrix(m, core::RatingMatrix::build(reversed.data(), reversed.size())));
        {
            // The same rows handed over in two parts, the matrix sorted on 2-4 threads.
            core::RatingCollector collector;
            const std::size_t split = triples.size() * splitb / 255;
            collector.add(triples.data(), split);
            collector.add(triples.data() + split, triples.size() - split);
            CHECK(collector.rows() == static_cast<std::int64_t>(triples.size()));
            CHECK(same_matrix(m, collector.build(threads)));
            CHECK(collector.rows() == 0);
        }

        // k-means on one thread, then on 2-4: the same result to the bit.
        const std::int64_t users = m.users();
        const bool bad_params = params.k < 1 || params.k > core::kMaxClusters ||
                                !(params.tolerance >= 0);
        params.threads = 1;
        try {
            core::KMeansResult one = core::kmeans(m.rows(), params);
            CHECK(!bad_params && params.k <= users);
            check_kmeans(one, m.rows(), params.k);
            params.threads = threads;
            core::KMeansResult many = core::kmeans(m.rows(), params);
            CHECK(same_result(one, many));
        } catch (const core::Error& e) {
            if (bad_params)
                CHECK(e.kind() == core::ErrorKind::InvalidParameter);
            else
                CHECK(e.kind() == core::ErrorKind::TooFewUsers && params.k > users);
            return 0;
        }

        // Cancellation while workers run: either the work ends first or Error(Cancelled), and
        // nothing leaks (LeakSanitizer) or runs on.
        if (cancel_at > 0) {
            int calls = 0;
            core::Hooks hooks;
            hooks.interrupted = [&calls, cancel_at] { return ++calls >= cancel_at; };
            params.threads = threads;
            try {
                core::KMeansResult r = core::kmeans(m.rows(), params, hooks);
                check_kmeans(r, m.rows(), params.k);
            } catch (const core::Error& e) {
                CHECK(e.kind() == core::ErrorKind::Cancelled);
            }
        }
    } catch (const core::Error& e) {
        CHECK(!expect_ok && e.kind() == core::ErrorKind::InvalidData);
    }
    return 0;
}
