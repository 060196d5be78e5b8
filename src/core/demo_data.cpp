// Deterministic MovieLens-shaped demo data. Every random number comes from std::mt19937_64 (whose
// output sequence the standard fixes) converted by the helpers below, never from the
// std::*_distribution classes (whose output is implementation-defined), so a seed produces the
// same movies and ratings with every compiler and standard library.
#include "demo_data.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <numeric>
#include <string>
#include <utility>
#include <vector>

#include "demo_titles.hpp"
#include "errors.hpp"
#include "pure_cpp.hpp"

namespace movie_recs::core {

namespace {

// ---- random helpers ---------------------------------------------------------------------------

// Stream tags, so the per-user, per-movie and table generators never share a seed.
constexpr std::uint64_t kTagTables = 1;
constexpr std::uint64_t kTagMovie = 2;
constexpr std::uint64_t kTagUser = 3;
constexpr std::uint64_t kTagUserGroup = 4;
constexpr std::uint64_t kTagGenres = 5;
constexpr std::uint64_t kTagTitles = 6;

std::uint64_t splitmix64(std::uint64_t x) {
    x += 0x9E3779B97F4A7C15ULL;
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
    return x ^ (x >> 31);
}

// A seed for one generator, from (seed, stream tag, id).
std::uint64_t derive_seed(std::uint64_t seed, std::uint64_t tag, std::int64_t id) {
    return splitmix64(splitmix64(seed ^ splitmix64(tag)) ^ static_cast<std::uint64_t>(id));
}

// Uniform in [0, 1) with 53 random bits.
double uniform01(std::mt19937_64& rng) {
    return static_cast<double>(rng() >> 11) * 0x1.0p-53;
}

// Uniform integer in [0, n), n >= 1, unbiased (rejects the low 2^64 mod n values).
std::uint64_t uniform_below(std::mt19937_64& rng, std::uint64_t n) {
    const std::uint64_t threshold = (0 - n) % n;
    for (;;) {
        const std::uint64_t x = rng();
        if (x >= threshold)
            return x % n;
    }
}

// Standard normal by Box-Muller (one value per call; the second is dropped to keep no state).
double normal01(std::mt19937_64& rng) {
    const double u1 = 1.0 - uniform01(rng);  // (0, 1]
    const double u2 = uniform01(rng);
    constexpr double kTwoPi = 6.283185307179586476925286766559;
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(kTwoPi * u2);
}

// Log-normal with the given mean (not median) and log-space standard deviation sigma.
double lognormal_with_mean(std::mt19937_64& rng, double mean, double sigma) {
    const double mu = std::log(mean) - 0.5 * sigma * sigma;
    return std::exp(mu + sigma * normal01(rng));
}

// Guide table over a cumulative weight table (see DemoRatingStream::Guide): 2^bits >= size
// buckets; bucket j starts at the first entry greater than the smallest draw that falls in it.
void build_guide(const std::vector<double>& cdf, std::vector<std::int32_t>* start, int* shift) {
    int bits = 0;
    while ((std::size_t{1} << bits) < cdf.size())
        ++bits;
    const std::size_t buckets = std::size_t{1} << bits;
    const std::size_t last = cdf.size() - 1;
    start->resize(buckets);
    std::size_t i = 0;
    for (std::size_t j = 0; j < buckets; ++j) {
        const double lowest = std::ldexp(static_cast<double>(j), -bits) * cdf.back();
        while (i < last && cdf[i] <= lowest)
            ++i;
        (*start)[j] = static_cast<std::int32_t>(i);
    }
    *shift = 53 - bits;
}

// Index of the entry of a cumulative weight table hit by a uniform draw: the first entry greater
// than uniform01 x total (what std::upper_bound finds), from the draw's bucket onwards.
std::size_t sample_guided(const std::vector<double>& cdf, const std::vector<std::int32_t>& start,
                          int shift, std::mt19937_64& rng) {
    const std::uint64_t r = rng() >> 11;  // 53 bits, as in uniform01
    const double x = static_cast<double>(r) * 0x1.0p-53 * cdf.back();
    auto i = static_cast<std::size_t>(start[r >> shift]);
    const std::size_t last = cdf.size() - 1;
    while (i < last && cdf[i] <= x)
        ++i;
    return i;
}

bool is_picked(const std::vector<std::uint64_t>& bitmap, std::int64_t movie) {
    const auto i = static_cast<std::size_t>(movie);
    return (bitmap[i / 64] >> (i % 64)) & 1U;
}

// ---- the shape of the data --------------------------------------------------------------------

constexpr double kZipfExponent = 1.0;   // popularity weight of rank r is 1 / r
constexpr double kActivitySigma = 1.2;  // log-space spread of ratings per user
constexpr std::int64_t kMinRatings = 5;
constexpr double kInGroupShare = 0.75;   // share of a user's picks drawn from its group
constexpr int kGroupTries = 32;          // rejection tries before leaving the group
constexpr int kGlobalTries = 256;        // rejection tries before a linear scan
constexpr double kInGroupRating = 4.0;   // mean rating of a movie of the user's group
constexpr double kOutGroupRating = 3.0;  // mean rating of any other movie
constexpr double kUserBiasSd = 0.45;
constexpr double kMovieBiasSd = 0.3;
constexpr double kNoiseSd = 0.75;
constexpr double kMaxMeanRatings = 10000;

constexpr std::int64_t kFirstTime = 946684800;       // 2000-01-01 00:00:00 UTC
constexpr std::int64_t kLastTime = 1704067199;       // 2023-12-31 23:59:59 UTC
constexpr std::int64_t kHalfStarsFrom = 1045526400;  // 2003-02-18: MovieLens added half stars
constexpr double kWindowMedianDays = 20;             // median length of a user's activity window
constexpr double kWindowSigma = 2.0;

constexpr int kFirstYear = 1950;
constexpr int kLastYear = 2023;

constexpr int kGenreCount = 18;
constexpr std::array<const char*, kGenreCount> kGenres = {
    "Action",      "Adventure", "Animation", "Children",  "Comedy", "Crime",
    "Documentary", "Drama",     "Fantasy",   "Film-Noir", "Horror", "Musical",
    "Mystery",     "Romance",   "Sci-Fi",    "Thriller",  "War",    "Western"};
constexpr int kComedy = 4;
constexpr int kDrama = 7;
constexpr int kFavoredGenresPerGroup = 2;


// Tables every consumer shares; they depend only on (seed, movies).
struct MovieTables {
    std::vector<std::int32_t> order;  // movie index at each popularity rank (0-based)
    std::vector<std::int32_t> rank;   // popularity rank of each movie index
    std::vector<double> bias;         // rating offset of the movie at each rank
};

MovieTables build_tables(const DemoParams& p) {
    const auto m = static_cast<std::size_t>(p.movies);
    MovieTables t;
    std::mt19937_64 rng(derive_seed(p.seed, kTagTables, 0));
    // A Fisher-Yates shuffle of the movie indexes, so popularity is not the id order.
    t.order.resize(m);
    std::iota(t.order.begin(), t.order.end(), 0);
    for (std::size_t i = m - 1; i > 0; --i) {
        std::swap(t.order[i], t.order[uniform_below(rng, i + 1)]);
    }
    t.rank.resize(m);
    for (std::size_t r = 0; r < m; ++r) {
        t.rank[static_cast<std::size_t>(t.order[r])] = static_cast<std::int32_t>(r);
    }
    t.bias.resize(m);
    for (std::size_t r = 0; r < m; ++r)
        t.bias[r] = kMovieBiasSd * normal01(rng);
    return t;
}

// Taste group of a popularity rank: round robin, so every group holds an even share of the hits.
int group_of_rank(std::int64_t rank, int groups) {
    return static_cast<int>(rank % groups);
}

double popularity_weight(std::int64_t rank) {
    static_assert(kZipfExponent == 1.0, "the weight below is 1 / r for exponent 1");
    return 1.0 / (static_cast<double>(rank) + 1.0);
}

// One popularity sampler: entry e (0 <= e < size) is rank first + e * step, in decreasing weight.
// The first `head` entries are scanned exactly against the picked bitmap; a draw in the tail
// uses the tail CDF and its guide and may hit an already picked movie (returns -1 then).
struct Sampler {
    std::int64_t first = 0;
    std::int64_t step = 1;
    std::int64_t head = 0;
    const std::vector<double>* tail_cdf = nullptr;
    const std::vector<std::int32_t>* guide = nullptr;
    int shift = 53;
    double head_left_weight = 0;  // weight of the head entries not picked yet (per user)
    std::int64_t head_left = 0;   // how many head entries are not picked yet (per user)

    std::int64_t rank_of(std::int64_t e) const { return first + e * step; }

    // Call when rank r got picked (by this sampler or another one).
    void note_picked(std::int64_t r) {
        if (r < first || (r - first) % step != 0 || (r - first) / step >= head)
            return;
        if (--head_left == 0) {
            head_left_weight = 0;  // exact, whatever the rounding of the subtractions
        } else {
            head_left_weight -= popularity_weight(r);
        }
    }

    std::int64_t draw(const std::vector<std::uint64_t>& picked, std::mt19937_64& rng) const {
        const double tail_total = tail_cdf->empty() ? 0.0 : tail_cdf->back();
        double x = uniform01(rng) * (head_left_weight + tail_total);
        if (head_left > 0 && x < head_left_weight) {
            std::int64_t last = -1;
            for (std::int64_t e = 0; e < head; ++e) {
                const std::int64_t r = rank_of(e);
                if (is_picked(picked, r))
                    continue;
                last = e;
                x -= popularity_weight(r);
                if (x < 0)
                    return e;
            }
            return last;  // only when rounding left x a hair above the last weight
        }
        if (tail_cdf->empty())
            return -1;
        const auto e =
            head + static_cast<std::int64_t>(sample_guided(*tail_cdf, *guide, shift, rng));
        return is_picked(picked, rank_of(e)) ? -1 : e;
    }
};

// Head and tail of a sampler over `size` entries with ranks first, first + step, ...
std::int64_t head_size(std::int64_t size) {
    return std::min<std::int64_t>(size, 64);
}

void build_tail(std::int64_t first, std::int64_t step, std::int64_t size,
                std::vector<double>* cdf) {
    cdf->clear();
    double total = 0;
    for (std::int64_t e = head_size(size); e < size; ++e) {
        total += popularity_weight(first + e * step);
        cdf->push_back(total);
    }
}

int user_group_of(const DemoParams& p, std::int64_t user_id) {
    std::mt19937_64 rng(derive_seed(p.seed, kTagUserGroup, user_id));
    return static_cast<int>(uniform_below(rng, static_cast<std::uint64_t>(p.taste_groups)));
}

}  // namespace

// ---- public API -------------------------------------------------------------------------------

void validate(const DemoParams& p) {
    if (p.users < 1 || p.users > kMaxDemoUsers) {
        throw Error(ErrorKind::InvalidParameter,
                    "users must be between 1 and " + std::to_string(kMaxDemoUsers),
                    "Got users = " + std::to_string(p.users) + ".");
    }
    if (p.movies < 2 || p.movies > kMaxDemoMovies) {
        throw Error(ErrorKind::InvalidParameter,
                    "movies must be between 2 and " + std::to_string(kMaxDemoMovies),
                    "Got movies = " + std::to_string(p.movies) + ".");
    }
    if (p.taste_groups < 1 || p.taste_groups > 64) {
        throw Error(ErrorKind::InvalidParameter, "taste_groups must be between 1 and 64",
                    "Got taste_groups = " + std::to_string(p.taste_groups) + ".");
    }
    if (p.taste_groups > p.movies) {
        throw Error(ErrorKind::InvalidParameter, "taste_groups must not exceed movies",
                    "Got taste_groups = " + std::to_string(p.taste_groups) +
                        " and movies = " + std::to_string(p.movies) + ".");
    }
    if (!(p.mean_ratings_per_user >= 1 && p.mean_ratings_per_user <= kMaxMeanRatings)) {
        throw Error(ErrorKind::InvalidParameter,
                    "mean_ratings_per_user must be between 1 and 10000",
                    "Got mean_ratings_per_user = " + std::to_string(p.mean_ratings_per_user) + ".");
    }
}

int demo_user_group(const DemoParams& p, std::int64_t user_id) {
    validate(p);
    if (user_id < 1 || user_id > p.users) {
        throw Error(ErrorKind::InvalidParameter, "user_id must be between 1 and users",
                    "Got user_id = " + std::to_string(user_id) +
                        " and users = " + std::to_string(p.users) + ".");
    }
    return user_group_of(p, user_id);
}

std::vector<DemoMovie> demo_movies(const DemoParams& p) {
    validate(p);
    const MovieTables t = build_tables(p);
    const auto m = static_cast<std::size_t>(p.movies);

    // Each group favors a few genres: consecutive pairs of a seeded shuffle of the genre list.
    std::array<int, kGenreCount> genre_order{};
    {
        std::mt19937_64 rng(derive_seed(p.seed, kTagGenres, 0));
        std::iota(genre_order.begin(), genre_order.end(), 0);
        for (std::size_t i = kGenreCount - 1; i > 0; --i) {
            std::swap(genre_order[i], genre_order[uniform_below(rng, i + 1)]);
        }
    }
    // Titles: base title (a * rank + b) mod title_space, a coprime with title_space, so the
    // title_space most popular movies get distinct titles; less popular repeats are sequels.
    const std::uint64_t title_space = demo_title_space();
    std::uint64_t stride = 1;
    std::uint64_t offset = 0;
    {
        std::mt19937_64 rng(derive_seed(p.seed, kTagTitles, 0));
        stride = 1 + uniform_below(rng, title_space - 1);
        while (std::gcd(stride, title_space) != 1)
            stride = stride % (title_space - 1) + 1;
        offset = uniform_below(rng, title_space);
    }

    std::vector<DemoMovie> out;
    out.reserve(m);
    std::array<double, kGenreCount> weight{};
    for (std::size_t i = 0; i < m; ++i) {
        const auto id = static_cast<std::int64_t>(i) + 1;
        std::mt19937_64 rng(derive_seed(p.seed, kTagMovie, id));
        const int group = group_of_rank(t.rank[i], p.taste_groups);

        // Recent years are more common: 2023 - floor(74 u^2).
        const double u = uniform01(rng);
        const int span = kLastYear - kFirstYear + 1;
        const int year = kLastYear - static_cast<int>(std::floor(span * u * u));

        // 1 to 3 distinct genres, weighted towards the movie group's favorites.
        const double g_draw = uniform01(rng);
        const int genre_count = g_draw < 0.5 ? 1 : (g_draw < 0.85 ? 2 : 3);
        for (int g = 0; g < kGenreCount; ++g)
            weight[static_cast<std::size_t>(g)] = 1.0;
        weight[kDrama] += 2.0;
        weight[kComedy] += 1.5;
        for (int f = 0; f < kFavoredGenresPerGroup; ++f) {
            const auto slot =
                static_cast<std::size_t>((group * kFavoredGenresPerGroup + f) % kGenreCount);
            weight[static_cast<std::size_t>(genre_order[slot])] += 12.0;
        }
        std::array<bool, kGenreCount> chosen{};
        for (int c = 0; c < genre_count; ++c) {
            double total = 0;
            for (int g = 0; g < kGenreCount; ++g) {
                if (!chosen[static_cast<std::size_t>(g)])
                    total += weight[static_cast<std::size_t>(g)];
            }
            double x = uniform01(rng) * total;
            int pick = -1;
            for (int g = 0; g < kGenreCount; ++g) {
                if (chosen[static_cast<std::size_t>(g)])
                    continue;
                pick = g;  // the last unchosen genre absorbs rounding at the top end
                x -= weight[static_cast<std::size_t>(g)];
                if (x < 0)
                    break;
            }
            chosen[static_cast<std::size_t>(pick)] = true;
        }
        std::string genres;
        for (int g = 0; g < kGenreCount; ++g) {  // MovieLens lists genres alphabetically
            if (!chosen[static_cast<std::size_t>(g)])
                continue;
            if (!genres.empty())
                genres += '|';
            genres += kGenres[static_cast<std::size_t>(g)];
        }

        const auto r = static_cast<std::uint64_t>(t.rank[i]);
        std::string title = demo_title_words((stride * (r % title_space) + offset) % title_space);
        const std::uint64_t sequel = r / title_space + 1;
        if (sequel > 1)
            title += " " + roman_numeral(sequel);
        title += " (" + std::to_string(year) + ")";

        out.push_back(DemoMovie{id, std::move(title), year, std::move(genres)});
    }
    return out;
}

DemoRatingStream::DemoRatingStream(const DemoParams& p) : p_(p) {
    validate(p_);
    MovieTables t = build_tables(p_);
    const std::int64_t m = p_.movies;
    const int groups = p_.taste_groups;
    by_rank_.resize(static_cast<std::size_t>(m));
    for (std::size_t r = 0; r < by_rank_.size(); ++r)
        by_rank_[r] = RankedMovie{t.bias[r], t.order[r]};
    movie_group_.resize(static_cast<std::size_t>(m));
    for (std::int64_t r = 0; r < m; ++r) {
        movie_group_[static_cast<std::size_t>(r)] = group_of_rank(r, groups);
    }
    build_tail(0, 1, m, &movie_cdf_);
    if (!movie_cdf_.empty())
        build_guide(movie_cdf_, &movie_guide_.start, &movie_guide_.shift);
    group_cdf_.resize(static_cast<std::size_t>(groups));
    group_guide_.resize(static_cast<std::size_t>(groups));
    for (int g = 0; g < groups; ++g) {
        auto& cdf = group_cdf_[static_cast<std::size_t>(g)];
        auto& guide = group_guide_[static_cast<std::size_t>(g)];
        build_tail(g, groups, (m - g + groups - 1) / groups, &cdf);
        if (!cdf.empty())
            build_guide(cdf, &guide.start, &guide.shift);
    }
    picked_.assign(static_cast<std::size_t>((m + 63) / 64), 0);
}

bool DemoRatingStream::next(DemoRating* out) {
    while (pos_ >= pending_.size()) {
        if (user_ >= p_.users)
            return false;
        fill_user();
    }
    *out = pending_[pos_++];
    return true;
}

void DemoRatingStream::fill_user() {
    ++user_;
    pending_.clear();
    pos_ = 0;
    picks_.clear();
    means_.clear();
    times_.clear();

    const std::int64_t movies = p_.movies;
    const int groups = p_.taste_groups;
    const int group = user_group_of(p_, user_);
    std::mt19937_64 rng(derive_seed(p_.seed, kTagUser, user_));

    // How many movies: log-normal (heavy tail), at least 5, at most half the catalog.
    const std::int64_t lo = std::min<std::int64_t>(movies, kMinRatings);
    const std::int64_t hi = std::max<std::int64_t>(lo, movies / 2);
    const double draw = lognormal_with_mean(rng, p_.mean_ratings_per_user, kActivitySigma);
    const std::int64_t n =
        std::clamp<std::int64_t>(std::llround(std::min(draw, static_cast<double>(hi))), lo, hi);
    const double user_bias = kUserBiasSd * normal01(rng);

    // Which movies: mostly the group's, by popularity, then any, by popularity.
    const auto make_sampler = [](std::int64_t first, std::int64_t step, std::int64_t size,
                                 const std::vector<double>& cdf, const Guide& guide) {
        Sampler s;
        s.first = first;
        s.step = step;
        s.head = head_size(size);
        s.tail_cdf = &cdf;
        s.guide = &guide.start;
        s.shift = guide.shift;
        for (std::int64_t e = 0; e < s.head; ++e)
            s.head_left_weight += popularity_weight(s.rank_of(e));
        s.head_left = s.head;
        return s;
    };
    const std::int64_t group_size = (movies - group + groups - 1) / groups;
    Sampler all = make_sampler(0, 1, movies, movie_cdf_, movie_guide_);
    Sampler own =
        make_sampler(group, groups, group_size, group_cdf_[static_cast<std::size_t>(group)],
                     group_guide_[static_cast<std::size_t>(group)]);
    const std::int64_t in_group_limit = (group_size + 1) / 2;
    std::int64_t in_group = 0;
    picks_.reserve(static_cast<std::size_t>(n));
    means_.reserve(static_cast<std::size_t>(n));
    for (std::int64_t k = 0; k < n; ++k) {
        std::int64_t rank = -1;
        if (in_group < in_group_limit && uniform01(rng) < kInGroupShare) {
            for (int tries = 0; tries < kGroupTries && rank < 0; ++tries) {
                const std::int64_t e = own.draw(picked_, rng);
                if (e >= 0)
                    rank = own.rank_of(e);
            }
            if (rank >= 0)
                ++in_group;
        }
        for (int tries = 0; tries < kGlobalTries && rank < 0; ++tries) {
            const std::int64_t e = all.draw(picked_, rng);
            if (e >= 0)
                rank = all.rank_of(e);
        }
        if (rank < 0) {  // unlucky: take the next free rank from a random place
            rank =
                static_cast<std::int64_t>(uniform_below(rng, static_cast<std::uint64_t>(movies)));
            while (is_picked(picked_, rank))
                rank = (rank + 1) % movies;
        }
        const auto r = static_cast<std::size_t>(rank);
        picked_[r / 64] |= std::uint64_t{1} << (r % 64);
        all.note_picked(rank);
        own.note_picked(rank);
        picks_.push_back(static_cast<std::int32_t>(rank));
        means_.push_back((movie_group_[r] == group ? kInGroupRating : kOutGroupRating) + user_bias +
                         by_rank_[r].bias);
    }
    for (const std::int32_t r : picks_)
        picked_[static_cast<std::size_t>(r) / 64] = 0;

    // When: a log-normal activity window placed uniformly in 2000..2023, strictly increasing
    // timestamps in pick order.
    const std::int64_t span = kLastTime - kFirstTime;
    const double days = kWindowMedianDays * std::exp(kWindowSigma * normal01(rng));
    const double max_len = static_cast<double>(span - n);
    const std::int64_t len =
        std::clamp<std::int64_t>(std::llround(std::min(days * 86400.0, max_len)),
                                 std::max<std::int64_t>(3600, 30 * n), span - n);
    const std::int64_t start =
        kFirstTime + static_cast<std::int64_t>(
                         uniform_below(rng, static_cast<std::uint64_t>(span - n - len + 1)));
    times_.resize(static_cast<std::size_t>(n));
    for (auto& time : times_) {
        time = start + static_cast<std::int64_t>(uniform01(rng) * static_cast<double>(len));
    }
    std::sort(times_.begin(), times_.end());
    for (std::size_t k = 1; k < times_.size(); ++k) {
        if (times_[k] <= times_[k - 1])
            times_[k] = times_[k - 1] + 1;
    }

    // How much: group affinity + user bias + movie bias + noise, in half stars (whole stars for
    // users who started rating before MovieLens offered half stars).
    const bool whole_stars = start < kHalfStarsFrom;
    const double steps = whole_stars ? 1.0 : 2.0;
    const double lowest = whole_stars ? 1.0 : 0.5;
    pending_.reserve(static_cast<std::size_t>(n));
    for (std::size_t k = 0; k < picks_.size(); ++k) {
        const double x = means_[k] + kNoiseSd * normal01(rng);
        const double rating = std::clamp(std::round(x * steps) / steps, lowest, 5.0);
        const std::int32_t movie = by_rank_[static_cast<std::size_t>(picks_[k])].index;
        pending_.push_back(
            DemoRating{user_, static_cast<std::int64_t>(movie) + 1, rating, times_[k]});
    }
}

}  // namespace movie_recs::core
