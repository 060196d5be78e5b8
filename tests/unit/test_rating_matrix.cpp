#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <map>
#include <random>

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
    EXPECT_GT(small, 1000 * 20);
    EXPECT_GT(big, small);
    const auto huge = estimate_training_bytes(std::numeric_limits<std::int64_t>::max() / 2,
                                              std::numeric_limits<std::int64_t>::max() / 2,
                                              std::numeric_limits<std::int64_t>::max() / 2, 10000, 64);
    EXPECT_EQ(huge, std::numeric_limits<std::int64_t>::max());
}

namespace {

void expect_same_matrix(const RatingMatrix& a, const RatingMatrix& b) {
    EXPECT_EQ(a.user_ids(), b.user_ids());
    EXPECT_EQ(a.movie_ids(), b.movie_ids());
    EXPECT_EQ(a.duplicates_merged(), b.duplicates_merged());
    ASSERT_EQ(a.ratings(), b.ratings());
    const auto& x = a.rows();
    const auto& y = b.rows();
    for (std::int64_t i = 0; i <= x.rows(); ++i) ASSERT_EQ(x.outerIndexPtr()[i], y.outerIndexPtr()[i]);
    for (std::int64_t e = 0; e < x.nonZeros(); ++e) {
        ASSERT_EQ(x.innerIndexPtr()[e], y.innerIndexPtr()[e]);
        ASSERT_EQ(x.valuePtr()[e], y.valuePtr()[e]);  // bit-identical
    }
}

}  // namespace

TEST(RatingMatrix, SameMatrixWhateverTheInputOrderBatchesAndThreads) {
    // Enough rows for several collector chunks, with duplicates spread far apart.
    auto t = movie_recs::test::random_ratings(3000, 500, 40, 9);
    for (std::size_t i = 0; i < 20000; ++i) t.push_back(t[(i * 7919) % t.size()]);
    for (std::size_t i = 0; i < 5000; ++i) {
        RatingTriple d = t[(i * 104729) % t.size()];
        d.rating += 0.25;
        t.push_back(d);
    }
    const RatingMatrix reference = matrix_of(t);
    EXPECT_GT(reference.duplicates_merged(), 20000);
    std::mt19937_64 rng(3);
    std::vector<RatingTriple> shuffled = t;
    std::shuffle(shuffled.begin(), shuffled.end(), rng);
    for (int threads : {1, 2, 3}) {
        RatingCollector c;
        for (std::size_t at = 0; at < shuffled.size(); at += 777)
            c.add(shuffled.data() + at, std::min<std::size_t>(777, shuffled.size() - at));
        EXPECT_EQ(c.rows(), static_cast<std::int64_t>(t.size()));
        EXPECT_EQ(c.users(), reference.users());
        EXPECT_EQ(c.movies(), reference.movies());
        EXPECT_GT(c.bytes(), static_cast<std::int64_t>(t.size() * 12));
        expect_same_matrix(reference, c.build(threads));
        EXPECT_EQ(c.rows(), 0);
    }
}

TEST(RatingMatrix, RowsAreSortedByMovie) {
    const auto m = matrix_of(movie_recs::test::random_ratings(200, 300, 30, 2));
    const auto& x = m.rows();
    for (std::int64_t i = 0; i < x.rows(); ++i)
        for (std::int64_t e = x.outerIndexPtr()[i] + 1; e < x.outerIndexPtr()[i + 1]; ++e)
            ASSERT_LT(x.innerIndexPtr()[e - 1], x.innerIndexPtr()[e]);
}

TEST(RatingMatrix, RejectsRatingsBeyondTheRangeOfFloat) {
    try {
        matrix_of({{1, 1, 4.0}, {3, 9, 1e300}});
        FAIL() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.kind(), ErrorKind::InvalidData);
        EXPECT_NE(e.detail().find("User 3 rated movie 9"), std::string::npos) << e.detail();
    }
}

TEST(RatingMatrix, MemoryEstimateCoversThePeakOfBuildingAndTraining) {
    // Building holds 12 bytes per input row and 8 per matrix entry at once; training holds the
    // matrix and the user vectors (8 bytes each per entry) and a float and a double copy of the
    // centroids.
    const std::int64_t ratings = 1000000, users = 10000, movies = 5000;
    const auto bytes = estimate_training_bytes(ratings, users, movies, 20, 2);
    EXPECT_GE(bytes, ratings * 20);
    EXPECT_GE(bytes, ratings * 16 + movies * 24 * (8 + 4));
    EXPECT_LT(bytes, ratings * 24 + movies * 24 * 64 + users * 256);
}

TEST(RatingMatrix, NegativeZeroIsStoredAsZeroWhateverTheOrder) {
    // Found by tests/fuzz: a row of user 3 sorted on arrival kept -0, the same row in the other
    // order went through the merge and came out +0.
    const double tiny = -std::numeric_limits<double>::denorm_min();
    for (const auto& m : {matrix_of({{3, 1, 2.5}, {3, 2, -0.0}, {4, 1, tiny}}),
                          matrix_of({{4, 1, tiny}, {3, 2, -0.0}, {3, 1, 2.5}})}) {
        EXPECT_FALSE(std::signbit(m.rows().coeff(0, 1)));
        EXPECT_FALSE(std::signbit(m.rows().coeff(1, 0)));
    }
}

TEST(RatingMatrix, LongRowsAreSortedAndMergedAsShortOnes) {
    // Rows of hundreds of entries, and one over more than 65536 movies (counting sorts on up to
    // three bytes of the column), with duplicates: each entry must be the mean of its ratings
    // summed in ascending order, as for short rows.
    std::mt19937_64 rng(17);
    std::vector<RatingTriple> t;
    std::map<std::pair<std::int64_t, std::int64_t>, std::vector<float>> want;
    for (std::int64_t u = 1; u <= 6; ++u) {
        const int n = 40 + static_cast<int>(u) * 150;
        for (int i = 0; i < n; ++i) {
            const auto movie = static_cast<std::int64_t>(rng() % 90000) * 3;  // up to 269997
            const int copies = i % 9 == 0 ? 3 : 1;
            for (int c = 0; c < copies; ++c) {
                const double r = static_cast<double>(rng() % 10 + 1) / 2 + (c == 1 ? 0.1 : 0.0);
                t.push_back({u, movie, r});
                want[{u, movie}].push_back(static_cast<float>(r));
            }
        }
    }
    for (std::int64_t movie = 0; movie < 70000 * 3; movie += 3) {
        const double r = static_cast<double>(rng() % 10 + 1) / 2;
        t.push_back({7, movie, r});
        want[{7, movie}].push_back(static_cast<float>(r));
    }
    std::shuffle(t.begin(), t.end(), rng);
    const RatingMatrix m = matrix_of(t);
    ASSERT_GT(m.movies(), 65536);
    ASSERT_EQ(m.ratings(), static_cast<std::int64_t>(want.size()));
    EXPECT_EQ(m.duplicates_merged(), static_cast<std::int64_t>(t.size() - want.size()));
    const auto& x = m.rows();
    auto it = want.begin();
    for (std::int64_t row = 0; row < x.rows(); ++row)
        for (std::int64_t e = x.outerIndexPtr()[row]; e < x.outerIndexPtr()[row + 1]; ++e, ++it) {
            ASSERT_EQ(m.user_ids()[static_cast<std::size_t>(row)], it->first.first);
            ASSERT_EQ(m.movie_ids()[static_cast<std::size_t>(x.innerIndexPtr()[e])], it->first.second);
            std::vector<float> v = it->second;
            std::sort(v.begin(), v.end());
            double sum = 0;
            for (float f : v) sum += static_cast<double>(f);
            EXPECT_EQ(x.valuePtr()[e], static_cast<float>(sum / static_cast<double>(v.size())));
        }
}
