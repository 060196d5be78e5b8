// The rows of bench/generate --ratings N (movie_recs_generate with its defaults), for the tools
// that rebuild the benchmark's data in memory instead of reading it from a table.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "core/demo_data.hpp"

namespace movie_recs::tools {

// The generator's parameters for `ratings` rows: users and movies scaled from MovieLens 25M's
// shape (162,000 users and 59,000 movies per 25M ratings), more users drawn than the rows need.
inline core::DemoParams generated_ratings_params(long long ratings) {
    core::DemoParams demo;
    const double scale = static_cast<double>(ratings) / 25e6;
    const long long users = std::max(1LL, std::llround(162000 * scale));
    demo.movies = std::max(16LL, std::llround(59000 * scale));
    demo.mean_ratings_per_user = static_cast<double>(ratings) / static_cast<double>(users);
    demo.users = std::min<std::int64_t>(core::kMaxDemoUsers, users * 4 + 1000);
    if (demo.movies < demo.taste_groups) demo.taste_groups = static_cast<int>(demo.movies);
    return demo;
}

}  // namespace movie_recs::tools
