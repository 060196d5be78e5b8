// Deterministic MovieLens-shaped demo data: skewed user activity (log-normal), Zipf movie
// popularity, half-star ratings and planted taste groups, all from one seed. Titles are invented.
#pragma once

#include <cstdint>
#include <random>
#include <string>
#include <vector>

namespace movie_recs::core {

constexpr int kMaxDemoUsers = 10000000;
constexpr int kMaxDemoMovies = 1000000;

struct DemoParams {
    std::int64_t users = 2000;
    std::int64_t movies = 1000;
    std::uint64_t seed = 42;
    int taste_groups = 8;              // planted groups k-means should find
    double mean_ratings_per_user = 50; // mean of the log-normal activity
};

struct DemoMovie {
    std::int64_t movie_id;   // 1..movies
    std::string title;       // invented, e.g. "The Silent Harbor (1987)"
    int year;
    std::string genres;      // "Drama|Romance" (MovieLens style)
};

struct DemoRating {
    std::int64_t user_id;    // 1..users
    std::int64_t movie_id;
    double rating;           // 0.5 .. 5.0 in half stars
    std::int64_t rated_at;   // seconds since the Unix epoch
};

// Throws Error(InvalidParameter) on out-of-range params.
void validate(const DemoParams& p);

std::vector<DemoMovie> demo_movies(const DemoParams& p);

// The planted taste group of a user (0..taste_groups-1), for tests.
int demo_user_group(const DemoParams& p, std::int64_t user_id);

// Streams ratings user by user (user ids ascending, each user's movies distinct). Each user's
// ratings depend only on (seed, user_id), so any prefix of users is reproducible.
class DemoRatingStream {
public:
    explicit DemoRatingStream(const DemoParams& p);
    bool next(DemoRating* out);  // false when done

private:
    void fill_user();
    DemoParams p_;
    // The stream works on popularity ranks: rank r (0-based) has weight 1 / (r + 1), taste group
    // r mod taste_groups, and is the movie by_rank_[r]. The most popular entries of each
    // sampler (its head) are scanned exactly per draw, so re-drawing an already picked hit never
    // happens; the tail is drawn from a CDF and a picked movie is rejected.
    std::vector<double> movie_cdf_;  // Zipf popularity, cumulative over the ranks after the head
    std::vector<int> movie_group_;   // each rank's taste group affinity
    std::int64_t user_ = 0;
    std::vector<DemoRating> pending_;
    std::size_t pos_ = 0;
    struct RankedMovie {
        double bias;         // rating offset of the movie
        std::int32_t index;  // movie index (id - 1)
    };
    std::vector<RankedMovie> by_rank_;            // the movie at each rank
    std::vector<std::vector<double>> group_cdf_;  // group g: ranks g, g + G, ... after the head
    // Guide tables over the CDFs: bucket j of 2^b equal slices of [0, total) holds the first
    // CDF index a draw in that slice can hit, so a draw costs O(1) instead of a binary search.
    struct Guide {
        std::vector<std::int32_t> start;
        int shift = 53;  // bucket = 53-bit draw >> shift
    };
    Guide movie_guide_;
    std::vector<Guide> group_guide_;
    std::vector<std::uint64_t> picked_;  // bitmap over ranks: the current user's picks
    std::vector<std::int32_t> picks_;    // scratch: the current user's ranks
    std::vector<double> means_;          // scratch: expected rating of each pick
    std::vector<std::int64_t> times_;    // scratch: the current user's timestamps
};

}  // namespace movie_recs::core
