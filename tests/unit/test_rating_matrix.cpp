#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "core/errors.hpp"
#include "core/rating_matrix.hpp"
#include "test_helpers.hpp"

using namespace movie_recs::core;
using movie_recs::test::matrix_of;

TEST(RatingMatrix, BuildsSortedIndexesAndCsr) {
    const auto m = matrix_of({{30, 7, 4.0}, {10, 9, 1.5}, {10, 7, 3.0}, {20, 5, 5.0}});
    EXPECT_EQ(m.users(), 3);
    EXPECT_EQ(m.movies(), 3);
    EXPECT_EQ(m.ratings(), 4);
    EXPECT_EQ(m.user_ids(), (std::vector<std::int64_t>{10, 20, 30}));
    EXPECT_EQ(m.movie_ids(), (std::vector<std::int64_t>{5, 7, 9}));
    EXPECT_FLOAT_EQ(m.rows().coeff(0, 1), 3.0f);
    EXPECT_FLOAT_EQ(m.rows().coeff(0, 2), 1.5f);
    EXPECT_FLOAT_EQ(m.rows().coeff(1, 0), 5.0f);
    EXPECT_FLOAT_EQ(m.rows().coeff(2, 1), 4.0f);
    EXPECT_EQ(m.rows().coeff(2, 0), 0.0f);
    EXPECT_EQ(m.user_index(20), 1);
    EXPECT_EQ(m.user_index(21), -1);
    EXPECT_EQ(m.movie_index(9), 2);
}

TEST(RatingMatrix, MergesDuplicatesIntoTheirMeanWhateverTheOrder) {
    const auto a = matrix_of({{1, 1, 5.0}, {1, 1, 2.0}, {1, 1, 3.5}, {2, 1, 1.0}});
    const auto b = matrix_of({{1, 1, 3.5}, {2, 1, 1.0}, {1, 1, 2.0}, {1, 1, 5.0}});
    EXPECT_EQ(a.ratings(), 2);
    EXPECT_EQ(a.duplicates_merged(), 2);
    EXPECT_FLOAT_EQ(a.rows().coeff(0, 0), 3.5f);
    EXPECT_EQ(a.rows().coeff(0, 0), b.rows().coeff(0, 0));
}

TEST(RatingMatrix, ExtremeIdsKeepTheirOrder) {
    const auto lo = std::numeric_limits<std::int64_t>::min();
    const auto hi = std::numeric_limits<std::int64_t>::max();
    const auto m = matrix_of({{hi, lo, 1.0}, {lo, hi, 2.0}});
    EXPECT_EQ(m.user_ids(), (std::vector<std::int64_t>{lo, hi}));
    EXPECT_EQ(m.movie_ids(), (std::vector<std::int64_t>{lo, hi}));
    EXPECT_FLOAT_EQ(m.rows().coeff(0, 1), 2.0f);
}

TEST(RatingMatrix, RejectsEmptyInput) {
    EXPECT_THROW(
        {
            try {
                matrix_of({});
            } catch (const Error& e) {
                EXPECT_EQ(e.kind(), ErrorKind::InvalidData);
                throw;
            }
        },
        Error);
}

TEST(RatingMatrix, RejectsNanInfinityAndHugeRatingsNamingTheRow) {
    for (double bad : {std::nan(""), std::numeric_limits<double>::infinity(),
                       -std::numeric_limits<double>::infinity(), 1e308, -1e39}) {
        try {
            matrix_of({{1, 1, 4.0}, {7, 8, bad}});
            FAIL() << "expected an error for " << bad;
        } catch (const Error& e) {
            EXPECT_EQ(e.kind(), ErrorKind::InvalidData);
            EXPECT_NE(e.detail().find("User 7 rated movie 8"), std::string::npos) << e.detail();
        }
    }
}

TEST(RatingMatrix, AcceptsRatingsUpToTheLimit) {
    EXPECT_EQ(matrix_of({{1, 1, kMaxRatingMagnitude}, {2, 1, -kMaxRatingMagnitude}}).ratings(), 2);
}

TEST(RatingMatrix, StopsWhenInterrupted) {
    auto t = movie_recs::test::random_ratings(50, 40, 10, 1);
    Hooks hooks;
    hooks.interrupted = [] { return true; };
    try {
        RatingMatrix::build(t.data(), t.size(), hooks);
        FAIL() << "expected a cancel";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::Cancelled);
    }
}

TEST(RatingMatrix, MemoryEstimateGrowsAndSaturates) {
    const auto small = estimate_training_bytes(1000, 100, 50, 5, 1);
    const auto big = estimate_training_bytes(1000000, 10000, 5000, 5, 1);
    EXPECT_GT(small, 1000 * static_cast<std::int64_t>(sizeof(RatingTriple)));
    EXPECT_GT(big, small);
    const auto huge = estimate_training_bytes(std::numeric_limits<std::int64_t>::max() / 2,
                                              std::numeric_limits<std::int64_t>::max() / 2,
                                              std::numeric_limits<std::int64_t>::max() / 2, 10000, 64);
    EXPECT_EQ(huge, std::numeric_limits<std::int64_t>::max());
}
