// Shared helpers for the core unit tests.
#pragma once

#include <cstdint>
#include <random>
#include <vector>

#include "core/rating_matrix.hpp"

namespace movie_recs::test {

// Users in `groups` disjoint blocks: user u (0-based) belongs to group u % groups and rates
// every movie of its group's block of `movies_per_group` movies (ids from 1000 on).
inline std::vector<core::RatingTriple> separable(int groups, int users_per_group,
                                                 int movies_per_group) {
    std::vector<core::RatingTriple> t;
    for (int u = 0; u < groups * users_per_group; ++u) {
        const int g = u % groups;
        for (int j = 0; j < movies_per_group; ++j)
            t.push_back({u + 1, 1000 + g * movies_per_group + j, 3.0 + (u + j) % 3});
    }
    return t;
}

// Random sparse ratings: each user rates `per_user` distinct movies of `movies`.
inline std::vector<core::RatingTriple> random_ratings(int users, int movies, int per_user,
                                                      std::uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::vector<core::RatingTriple> t;
    for (int u = 1; u <= users; ++u) {
        std::vector<char> taken(static_cast<std::size_t>(movies), 0);
        for (int i = 0; i < per_user; ++i) {
            int m = static_cast<int>(rng() % static_cast<std::uint64_t>(movies));
            while (taken[static_cast<std::size_t>(m)]) m = (m + 1) % movies;
            taken[static_cast<std::size_t>(m)] = 1;
            t.push_back({u, m + 1, 0.5 * static_cast<double>(1 + rng() % 10)});
        }
    }
    return t;
}

inline core::RatingMatrix matrix_of(std::vector<core::RatingTriple> t) {
    return core::RatingMatrix::build(t.data(), t.size());
}

// Adjusted Rand index of two labelings of the same items.
double adjusted_rand_index(const std::vector<int>& a, const std::vector<int>& b);

}  // namespace movie_recs::test
